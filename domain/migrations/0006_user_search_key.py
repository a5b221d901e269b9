"""Users keep what a search looks in, in one column (see `domain.user_search`): the column,
its value for the users there are, and on PostgreSQL the trigram index over
(organization_id, search_key) that answers a substring search of one organization. The index
needs the pg_trgm and btree_gin extensions, both shipped with PostgreSQL and trusted: the
database's owner may create them. It is built without GIN's pending list (fastupdate off):
every write of a user lands in the index itself, instead of in a list that each search reads
through until a vacuum merges it (with 100,000 users and autovacuum off, a few thousand
deactivations brought a search from 5 ms to 50 ms)."""

import json
from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from domain.migrations._operations import RunSQLOn
from domain.user_search import search_key

BATCH = 1000

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "CREATE INDEX users_org_search ON users USING gin (organization_id, search_key gin_trgm_ops)"
    " WITH (fastupdate = off)",
]
POSTGRES_REVERSE = ["DROP INDEX users_org_search"]


async def fill(apps: Any, state_editor: Any) -> None:
    """Each user's search_key, a batch of users at a time in id order."""
    if state_editor.collect_sql:
        return
    client = state_editor.client
    if state_editor.DIALECT == "postgres":
        select = "SELECT id, user_name, emails, display_name, given_name, family_name FROM users WHERE id > $1 ORDER BY id LIMIT $2"
        update = "UPDATE users SET search_key = $1 WHERE id = $2"
    else:
        select = "SELECT id, user_name, emails, display_name, given_name, family_name FROM users WHERE id > ? ORDER BY id LIMIT ?"
        update = "UPDATE users SET search_key = ? WHERE id = ?"
    after: Any = "" if state_editor.DIALECT != "postgres" else "00000000-0000-0000-0000-000000000000"
    while True:
        _, rows = await client.execute_query(select, [after, BATCH])
        if not rows:
            return
        keys = []
        for row in rows:
            emails = row["emails"]
            if isinstance(emails, (str, bytes)):
                emails = json.loads(emails)
            key = search_key(row["user_name"], emails or [], row["display_name"], row["given_name"], row["family_name"])
            keys.append([key, row["id"]])
        await client.execute_many(update, keys)
        after = rows[-1]["id"]


class Migration(migrations.Migration):
    dependencies = [('models', '0005_user_count_slots')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='search_key',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.RunPython(fill, ops.RunPython.noop),
        RunSQLOn("postgres", POSTGRES, POSTGRES_REVERSE),
    ]
