"""The provisioning request log: each SCIM request an organization's identity provider sent,
with its redacted bodies, kept for the retention period."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_provisioning_pause')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ProvisioningRequest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='provisioning_requests', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('token_id', fields.UUIDField(null=True)),
                ('token_name', fields.CharField(max_length=512)),
                ('method', fields.CharField(max_length=8)),
                ('path', fields.CharField(max_length=1024)),
                ('query', fields.TextField(default='', unique=False)),
                ('status', fields.SmallIntField()),
                ('duration_ms', fields.FloatField()),
                ('user_id', fields.UUIDField(null=True)),
                ('request_body', fields.TextField(null=True, unique=False)),
                ('response_body', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'provisioning_requests', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id'], name='provisioning_requests_org_id'), Index(fields=['organization_id', 'user_id'], name='provisioning_requests_org_user'), Index(fields=['at'], name='provisioning_requests_at')], 'pk_attr': 'id', 'table_description': "One SCIM request an identity provider sent, as its organization's admins may read it:"},
            bases=['Model'],
        ),
    ]
