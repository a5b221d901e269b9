from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.models import Channel, RoleOrigin, TokenKind
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='LoginFailure',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=600)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'login_failures', 'app': 'models', 'indexes': [Index(fields=['key', 'at'], name='login_failures_key_at')], 'pk_attr': 'id', 'table_description': 'A failed sign-in, kept for a while to slow down guessing per account and per address.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Organization',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=200)),
                ('default_role_key', fields.CharField(default='basic-user', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'organizations', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='audit_events', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('actor_kind', fields.CharField(max_length=32)),
                ('actor_id', fields.CharField(null=True, max_length=64)),
                ('actor_label', fields.CharField(max_length=512)),
                ('channel', fields.CharEnumField(description='SCIM: SCIM\nGRAPHQL: GRAPHQL\nCLI: CLI', enum_type=Channel, max_length=16)),
                ('action', fields.CharField(max_length=64)),
                ('target_type', fields.CharField(max_length=32)),
                ('target_id', fields.CharField(max_length=64)),
                ('changes', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'audit_events', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id'], name='audit_org_id'), Index(fields=['organization_id', 'target_id'], name='audit_org_target')], 'pk_attr': 'id', 'table_description': 'One row per command that changed something: who, through which door, what, which target,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Role',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='roles', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=64)),
                ('builtin', fields.BooleanField(default=False)),
                ('name', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('permission_level', fields.CharField(max_length=64)),
                ('restricted_apps', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'roles', 'app': 'models', 'unique_together': (('organization', 'key'),), 'pk_attr': 'id', 'table_description': 'A role of an organization: one row per built-in role, plus the custom roles.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.CASCADE)),
                ('user_name', fields.CharField(max_length=512)),
                ('user_name_key', fields.CharField(max_length=512)),
                ('external_id', fields.CharField(null=True, max_length=512)),
                ('given_name', fields.CharField(null=True, max_length=256)),
                ('family_name', fields.CharField(null=True, max_length=256)),
                ('middle_name', fields.CharField(null=True, max_length=256)),
                ('formatted_name', fields.CharField(null=True, max_length=512)),
                ('honorific_prefix', fields.CharField(null=True, max_length=64)),
                ('honorific_suffix', fields.CharField(null=True, max_length=64)),
                ('display_name', fields.CharField(null=True, max_length=512)),
                ('nick_name', fields.CharField(null=True, max_length=256)),
                ('title', fields.CharField(null=True, max_length=256)),
                ('user_type', fields.CharField(null=True, max_length=64)),
                ('preferred_language', fields.CharField(null=True, max_length=64)),
                ('locale', fields.CharField(null=True, max_length=64)),
                ('timezone', fields.CharField(null=True, max_length=64)),
                ('emails', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('phone_numbers', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('extras', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('email_key', fields.CharField(null=True, max_length=512)),
                ('employee_number', fields.CharField(null=True, max_length=128)),
                ('cost_center', fields.CharField(null=True, max_length=128)),
                ('organization_name', fields.CharField(null=True, max_length=256)),
                ('division', fields.CharField(null=True, max_length=256)),
                ('department', fields.CharField(null=True, max_length=256)),
                ('manager_id', fields.CharField(null=True, max_length=512)),
                ('active', fields.BooleanField(default=True)),
                ('role', fields.ForeignKeyField('models.Role', source_field='role_id', db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.RESTRICT)),
                ('role_origin', fields.CharEnumField(description='IDENTITY_PROVIDER: identity_provider\nDEFAULT: default\nMANUAL: manual', enum_type=RoleOrigin, max_length=32)),
                ('password_hash', fields.CharField(null=True, max_length=256)),
                ('version', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'users', 'app': 'models', 'unique_together': (('organization', 'user_name_key'),), 'indexes': [Index(fields=['organization_id', 'external_id'], name='users_org_external_id'), Index(fields=['organization_id', 'id'], name='users_org_id'), Index(fields=['organization_id', 'email_key'], name='users_org_email')], 'pk_attr': 'id', 'table_description': 'A person of an organization, as provisioned by the identity provider.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Token',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='SCIM: scim\nAPI: api\nSESSION: session', enum_type=TokenKind, max_length=16)),
                ('lookup', fields.CharField(unique=True, max_length=32)),
                ('digest', fields.CharField(max_length=64)),
                ('name', fields.CharField(max_length=200)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.SET_NULL)),
                ('created_by_label', fields.CharField(max_length=512)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'tokens', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A bearer token, stored as its SHA-256 digest only.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserValue',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='values', on_delete=OnDelete.CASCADE)),
                ('attribute', fields.CharField(max_length=32)),
                ('value', fields.CharField(max_length=512)),
                ('value_key', fields.CharField(max_length=512)),
                ('type', fields.CharField(null=True, max_length=64)),
                ('primary', fields.BooleanField(default=False)),
            ],
            options={'table': 'user_values', 'app': 'models', 'indexes': [Index(fields=['attribute', 'value_key'], name='user_values_lookup'), Index(fields=['user_id'], name='user_values_user')], 'pk_attr': 'id', 'table_description': "One row per value of a user's multi-valued attributes (emails, phoneNumbers): what"},
            bases=['Model'],
        ),
    ]
