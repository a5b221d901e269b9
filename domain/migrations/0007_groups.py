"""Groups of an organization's users (SCIM's Group resource) and their members, one row per
membership."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.models import BoundedText
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_user_search_key')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Group',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='groups', on_delete=OnDelete.CASCADE)),
                ('display_name', BoundedText(max_length=512)),
                ('display_name_key', BoundedText(max_length=512)),
                ('external_id', BoundedText(null=True, max_length=512)),
                ('version', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'groups', 'app': 'models', 'unique_together': (('organization', 'display_name_key'),), 'indexes': [Index(fields=['organization_id', 'external_id'], name='groups_org_external_id'), Index(fields=['organization_id', 'created_at', 'id'], name='groups_org_created')], 'pk_attr': 'id', 'table_description': "A group of an organization's users, as the identity provider pushes it (SCIM's Group)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GroupMember',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('display', BoundedText(null=True, max_length=512)),
            ],
            options={'table': 'group_members', 'app': 'models', 'unique_together': (('group', 'user'),), 'indexes': [Index(fields=['user_id'], name='group_members_user')], 'pk_attr': 'id', 'table_description': "A user's membership of a group."},
            bases=['Model'],
        ),
    ]
