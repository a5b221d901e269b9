"""The mass-deactivation circuit breaker: each organization's threshold and state, the
deactivations it counts, and the changes it holds for review."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.models import HeldChangeStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0012_provisioning_requests')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Deprovisioning',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='deprovisionings', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.UUIDField()),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deprovisionings', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'at'], name='deprovisionings_org_at')], 'pk_attr': 'id', 'table_description': 'A user the identity provider deactivated or deleted, while active: what the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HeldChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='held_changes', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.UUIDField()),
                ('user_name', fields.CharField(max_length=512)),
                ('kind', fields.CharField(max_length=16)),
                ('command', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('token_id', fields.CharField(null=True, max_length=64)),
                ('token_label', fields.CharField(max_length=512)),
                ('held_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=HeldChangeStatus.HELD, description='HELD: held\nREJECTED: rejected', enum_type=HeldChangeStatus, max_length=16)),
            ],
            options={'table': 'held_changes', 'app': 'models', 'unique_together': (('organization', 'user_id'),), 'pk_attr': 'id', 'table_description': 'A change the identity provider sent that would deactivate or delete a user, held by the'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Organization',
            name='deprovisioning_guard',
            field=fields.BooleanField(default=True),
        ),
        ops.AddField(
            model_name='Organization',
            name='deprovisioning_guard_minimum',
            field=fields.IntField(default=20),
        ),
        ops.AddField(
            model_name='Organization',
            name='deprovisioning_guard_minutes',
            field=fields.IntField(default=60),
        ),
        ops.AddField(
            model_name='Organization',
            name='deprovisioning_guard_percent',
            field=fields.SmallIntField(default=10),
        ),
        ops.AddField(
            model_name='Organization',
            name='deprovisioning_guard_reset_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Organization',
            name='deprovisioning_guard_tripped_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
