"""Single sign-on: each organization's connections to its identity provider, the subjects
they link to provisioned users, and whether password sign-in is off but for a break-glass
super-admin."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.models import SsoProtocol
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_group_roles')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SsoConnection',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='sso_connections', on_delete=OnDelete.CASCADE)),
                ('protocol', fields.CharEnumField(description='OIDC: oidc\nSAML: saml', enum_type=SsoProtocol, max_length=16)),
                ('issuer', fields.CharField(max_length=512)),
                ('client_id', fields.CharField(null=True, max_length=512)),
                ('client_secret_sealed', fields.TextField(null=True, unique=False)),
                ('client_secret_hint', fields.CharField(null=True, max_length=16)),
                ('provider', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('tested_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'sso_connections', 'app': 'models', 'unique_together': (('organization', 'protocol'),), 'pk_attr': 'id', 'table_description': "An organization's single sign-on through its identity provider: at most one per"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SsoLink',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('connection', fields.ForeignKeyField('models.SsoConnection', source_field='connection_id', db_constraint=True, to_field='id', related_name='links', on_delete=OnDelete.CASCADE)),
                ('subject', fields.CharField(max_length=512)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sso_links', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sso_links', 'app': 'models', 'unique_together': (('connection', 'subject'),), 'pk_attr': 'id', 'table_description': 'A user as the identity provider knows them: the subject it signs them in as. The first'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Organization',
            name='break_glass_user_id',
            field=fields.UUIDField(null=True),
        ),
        ops.AddField(
            model_name='Organization',
            name='sso_enforced',
            field=fields.BooleanField(default=False),
        ),
    ]
