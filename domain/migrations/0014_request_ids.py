"""The request each audit event and each provisioning log entry came from, so that an event
leads to the request the identity provider sent. (The index is built while the log's writes
wait: on a large log they are queued meanwhile, and beyond the queue dropped and counted.)"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0013_deprovisioning_guard')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AuditEvent',
            name='request_id',
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.AddField(
            model_name='ProvisioningRequest',
            name='request_id',
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.AddIndex(
            model_name='ProvisioningRequest',
            index=Index(fields=['organization_id', 'request_id'], name='provisioning_requests_org_request'),
        ),
    ]
