"""Provisioning paused by an organization's admin: since when, and by whom."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_sso_assertions')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Organization',
            name='provisioning_paused_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Organization',
            name='provisioning_paused_by',
            field=fields.CharField(null=True, max_length=200),
        ),
    ]
