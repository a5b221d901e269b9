"""Each organization's user count is split into slots on PostgreSQL (see
`domain.models.UserCount`): a user counts in the slot its id hashes to, so concurrent creates
in one organization lock different rows. An organization's first rows are made on demand; a
bulk insert or delete takes its slots' locks in slot order, so two of them cannot deadlock.
The rows counted before stay in slot 0. SQLite keeps its one row per organization, and its
table as it was (a rebuild would drop the table the triggers write to): there the
organization's own unique index stays, and is as true."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from domain.migrations._operations import AddFieldBySQL, AlterFieldOnPostgres, RunSQLOn

SLOTS = 64  # a power of two: the slot is the hash's low bits

POSTGRES = [
    """CREATE OR REPLACE FUNCTION organization_counted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO user_counts (organization_id, slot, users) VALUES (NEW.id, 0, 0);
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION users_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO user_counts (organization_id, slot, users)
        SELECT organization_id, hashtext(id::text) & {SLOTS - 1}, count(*)
        FROM inserted GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (organization_id, slot)
        DO UPDATE SET users = user_counts.users + EXCLUDED.users;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION users_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO user_counts (organization_id, slot, users)
        SELECT organization_id, hashtext(id::text) & {SLOTS - 1}, -count(*)
        FROM deleted GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (organization_id, slot)
        DO UPDATE SET users = user_counts.users + EXCLUDED.users;
        RETURN NULL;
    END $$""",
]
POSTGRES_REVERSE = [
    """CREATE OR REPLACE FUNCTION organization_counted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO user_counts (organization_id, users) VALUES (NEW.id, 0);
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION users_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE user_counts SET users = user_counts.users + added.users
        FROM (SELECT organization_id, count(*) AS users FROM inserted GROUP BY organization_id)
            AS added
        WHERE user_counts.organization_id = added.organization_id;
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION users_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE user_counts SET users = user_counts.users - gone.users
        FROM (SELECT organization_id, count(*) AS users FROM deleted GROUP BY organization_id)
            AS gone
        WHERE user_counts.organization_id = gone.organization_id;
        RETURN NULL;
    END $$""",
]
SQLITE = [
    "DROP TRIGGER organization_counted",
    """CREATE TRIGGER organization_counted AFTER INSERT ON organizations BEGIN
        INSERT INTO user_counts (organization_id, slot, users) VALUES (NEW.id, 0, 0);
    END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER organization_counted",
    """CREATE TRIGGER organization_counted AFTER INSERT ON organizations BEGIN
        INSERT INTO user_counts (organization_id, users) VALUES (NEW.id, 0);
    END""",
]


class Migration(migrations.Migration):
    dependencies = [('models', '0004_user_counts')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='UserCount',
            options={'table': 'user_counts', 'app': 'models', 'unique_together': (('organization', 'slot'),), 'pk_attr': 'id', 'table_description': 'How many users an organization has, deactivated ones included, kept by the database'},
        ),
        AlterFieldOnPostgres(
            model_name='UserCount',
            name='organization',
            field=fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='user_counts', on_delete=OnDelete.CASCADE),
        ),
        AddFieldBySQL(
            model_name='UserCount',
            name='slot',
            field=fields.SmallIntField(default=0),
            sql="ALTER TABLE user_counts ADD COLUMN slot SMALLINT NOT NULL DEFAULT 0",
            reverse_sql="ALTER TABLE user_counts DROP COLUMN slot",
        ),
        ops.AddConstraint(
            model_name='UserCount',
            constraint=UniqueConstraint(fields=('organization', 'slot'), name=None),
        ),
        RunSQLOn("postgres", POSTGRES, POSTGRES_REVERSE),
        RunSQLOn("sqlite", SQLITE, SQLITE_REVERSE),
    ]
