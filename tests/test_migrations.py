"""The schema comes from the committed migrations, and they match the models."""

from __future__ import annotations

import pytest
from tortoise.exceptions import IntegrityError

from domain import database
from domain.database import DatabaseNotMigrated
from tests.known_migrations import MIGRATIONS


async def test_models_and_migrations_agree(db):
    assert await database.unmigrated_model_changes(db) == [], "run `make migrations`"


async def test_the_migrated_database_has_nothing_pending(db):
    assert await database.pending_migrations(db) == []


async def index_names(db) -> set[str]:
    connection = db.db()
    if connection.capabilities.dialect == "postgres":
        _, rows = await connection.execute_query("SELECT indexname FROM pg_indexes")
        return {row["indexname"] for row in rows}
    _, rows = await connection.execute_query("SELECT name FROM sqlite_master WHERE type='index'")
    return {row["name"] for row in rows}


async def test_the_lookups_later_issues_need_have_indexes(db):
    names = await index_names(db)
    for expected in ("users_org_external_id", "users_org_id", "users_org_email", "audit_org_id"):
        assert expected in names


async def test_token_lookup_is_unique_in_the_database(organization, operator):
    from domain import bus
    from domain.commands import IssueScimToken
    from domain.models import Token

    issued = await bus.handle(IssueScimToken(), operator)
    with pytest.raises(IntegrityError):
        await Token.create(
            organization_id=organization.id,
            kind=issued.token.kind,
            lookup=issued.token.lookup,
            digest="0" * 64,
            name="copy",
            created_by_label="test",
        )


async def test_an_unmigrated_database_is_refused_with_advice(tmp_path):
    context = await database.open_database(f"sqlite://{tmp_path / 'empty.sqlite3'}", create=True)
    try:
        with pytest.raises(DatabaseNotMigrated, match="roster migrate"):
            await database.ensure_migrated(context)
    finally:
        await database.close_database(context)


async def test_migrate_builds_an_empty_database_then_has_nothing_left_to_do(tmp_path):
    context = await database.open_database(f"sqlite://{tmp_path / 'fresh.sqlite3'}", create=True)
    try:
        assert await database.migrate(context) == MIGRATIONS
        assert await database.migrate(context) == []
        await database.ensure_migrated(context)
    finally:
        await database.close_database(context)
