"""Roles from groups: the role a group gives its members, the group a user's role comes from,
and the role an admin set by hand, kept beneath a group's or the identity provider's (filled
for the users whose role was set by hand). The role origin's new value changes the column's
comment only: on SQLite, where altering a column rebuilds the table (and would drop its
triggers), nothing is done."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.models import RoleOrigin
from tortoise.fields.base import OnDelete
from tortoise import fields

from domain.migrations._operations import AlterFieldOnPostgres

MANUAL_ROLES = ["UPDATE users SET manual_role_id = role_id WHERE role_origin = 'manual'"]

class Migration(migrations.Migration):
    dependencies = [('models', '0007_groups')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Group',
            name='role',
            field=fields.ForeignKeyField('models.Role', source_field='role_id', null=True, db_constraint=True, to_field='id', related_name='groups', on_delete=OnDelete.SET_NULL),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='role_origin',
            field=fields.CharEnumField(description='IDENTITY_PROVIDER: identity_provider\nGROUP: group\nMANUAL: manual\nDEFAULT: default', enum_type=RoleOrigin, max_length=32),
        ),
        ops.AddField(
            model_name='User',
            name='manual_role',
            field=fields.ForeignKeyField('models.Role', source_field='manual_role_id', null=True, db_constraint=True, to_field='id', related_name='manual_holders', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='User',
            name='role_group',
            field=fields.ForeignKeyField('models.Group', source_field='role_group_id', null=True, db_constraint=True, to_field='id', related_name='role_holders', on_delete=OnDelete.SET_NULL),
        ),
        ops.RunSQL(MANUAL_ROLES, ["SELECT 1"]),
    ]
