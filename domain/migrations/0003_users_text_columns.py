"""The users' text columns become TEXT on PostgreSQL (see `domain.models.BoundedText`): the
planner then estimates an unanalyzed users table at its size instead of as empty. Elsewhere
their SQL type does not change, and SQLite would rebuild the table for nothing (dropping the
old one deletes, by cascade, the rows that refer to it): there the change is the state's only."""

from tortoise import migrations
from domain.migrations._operations import AlterFieldOnPostgres
from domain.models import BoundedText


class Migration(migrations.Migration):
    dependencies = [('models', '0002_listing_indexes')]

    initial = False

    operations = [
        AlterFieldOnPostgres(
            model_name='User',
            name='cost_center',
            field=BoundedText(null=True, max_length=128),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='department',
            field=BoundedText(null=True, max_length=256),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='display_name',
            field=BoundedText(null=True, max_length=512),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='division',
            field=BoundedText(null=True, max_length=256),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='email_key',
            field=BoundedText(null=True, max_length=512),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='employee_number',
            field=BoundedText(null=True, max_length=128),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='external_id',
            field=BoundedText(null=True, max_length=512),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='family_name',
            field=BoundedText(null=True, max_length=256),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='formatted_name',
            field=BoundedText(null=True, max_length=512),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='given_name',
            field=BoundedText(null=True, max_length=256),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='honorific_prefix',
            field=BoundedText(null=True, max_length=64),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='honorific_suffix',
            field=BoundedText(null=True, max_length=64),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='locale',
            field=BoundedText(null=True, max_length=64),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='manager_id',
            field=BoundedText(null=True, max_length=512),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='middle_name',
            field=BoundedText(null=True, max_length=256),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='nick_name',
            field=BoundedText(null=True, max_length=256),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='organization_name',
            field=BoundedText(null=True, max_length=256),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='password_hash',
            field=BoundedText(null=True, max_length=256),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='preferred_language',
            field=BoundedText(null=True, max_length=64),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='timezone',
            field=BoundedText(null=True, max_length=64),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='title',
            field=BoundedText(null=True, max_length=256),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='user_name',
            field=BoundedText(max_length=512),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='user_name_key',
            field=BoundedText(max_length=512),
        ),
        AlterFieldOnPostgres(
            model_name='User',
            name='user_type',
            field=BoundedText(null=True, max_length=64),
        ),
    ]
