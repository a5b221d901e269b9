"""SAML assertions each connection has accepted, kept until they expire so that a replayed
one is refused."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_sso_connections')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SsoAssertion',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('connection', fields.ForeignKeyField('models.SsoConnection', source_field='connection_id', db_constraint=True, to_field='id', related_name='assertions', on_delete=OnDelete.CASCADE)),
                ('assertion_id', fields.CharField(max_length=256)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sso_assertions', 'app': 'models', 'unique_together': (('connection', 'assertion_id'),), 'pk_attr': 'id', 'table_description': 'A SAML assertion a connection has accepted, kept until it expires: the same assertion'},
            bases=['Model'],
        ),
    ]
