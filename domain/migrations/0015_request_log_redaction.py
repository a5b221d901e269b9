"""The SCIM attributes an organization's admin keeps out of its provisioning log."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_request_ids')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Organization',
            name='request_log_redacted',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
