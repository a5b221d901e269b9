"""Each organization's number of users, kept by the database (see `domain.models.UserCount`):
the table, the triggers that keep it on each database, and the counts of the organizations
that exist already.

On PostgreSQL the users triggers run once per statement, over its transition table: a bulk
insert updates each organization's row once, not once per user (every update of a row leaves
a version behind until the transaction ends). SQLite has row triggers only; it updates rows in
place."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

from domain.migrations._operations import RunSQLOn

POSTGRES = [
    """CREATE FUNCTION organization_counted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO user_counts (organization_id, users) VALUES (NEW.id, 0);
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER organization_counted AFTER INSERT ON organizations
    FOR EACH ROW EXECUTE FUNCTION organization_counted()""",
    """CREATE FUNCTION users_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE user_counts SET users = user_counts.users + added.users
        FROM (SELECT organization_id, count(*) AS users FROM inserted GROUP BY organization_id)
            AS added
        WHERE user_counts.organization_id = added.organization_id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER users_inserted AFTER INSERT ON users
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION users_inserted()""",
    """CREATE FUNCTION users_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE user_counts SET users = user_counts.users - gone.users
        FROM (SELECT organization_id, count(*) AS users FROM deleted GROUP BY organization_id)
            AS gone
        WHERE user_counts.organization_id = gone.organization_id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER users_deleted AFTER DELETE ON users
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION users_deleted()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER users_deleted ON users",
    "DROP FUNCTION users_deleted()",
    "DROP TRIGGER users_inserted ON users",
    "DROP FUNCTION users_inserted()",
    "DROP TRIGGER organization_counted ON organizations",
    "DROP FUNCTION organization_counted()",
]
SQLITE = [
    """CREATE TRIGGER organization_counted AFTER INSERT ON organizations BEGIN
        INSERT INTO user_counts (organization_id, users) VALUES (NEW.id, 0);
    END""",
    """CREATE TRIGGER users_inserted AFTER INSERT ON users BEGIN
        UPDATE user_counts SET users = users + 1 WHERE organization_id = NEW.organization_id;
    END""",
    """CREATE TRIGGER users_deleted AFTER DELETE ON users BEGIN
        UPDATE user_counts SET users = users - 1 WHERE organization_id = OLD.organization_id;
    END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER users_deleted",
    "DROP TRIGGER users_inserted",
    "DROP TRIGGER organization_counted",
]
COUNTED = [
    """INSERT INTO user_counts (organization_id, users)
    SELECT id, (SELECT count(*) FROM users WHERE users.organization_id = organizations.id)
    FROM organizations""",
]


class Migration(migrations.Migration):
    dependencies = [('models', '0003_users_text_columns')]

    initial = False

    operations = [
        ops.CreateModel(
            name='UserCount',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.OneToOneField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='user_count', on_delete=OnDelete.CASCADE)),
                ('users', fields.IntField(default=0)),
            ],
            options={'table': 'user_counts', 'app': 'models', 'pk_attr': 'id', 'table_description': 'How many users an organization has, deactivated ones included: kept by the database'},
            bases=['Model'],
        ),
        RunSQLOn("postgres", POSTGRES, POSTGRES_REVERSE),
        RunSQLOn("sqlite", SQLITE, SQLITE_REVERSE),
        ops.RunSQL(COUNTED, ["DELETE FROM user_counts"]),
    ]
