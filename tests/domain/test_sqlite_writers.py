"""SQLite with several writers on one file, as under `roster serve --workers 2`: each process
has its own connection. A command reads before it writes, so its transaction must hold the
write lock from its start: otherwise a writer that read first and meets another writer's lock
fails at once with "database is locked" (SQLite does not wait for a read lock to upgrade)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from domain import bus, database, provisioning_log
from domain.actors import Actor
from domain.clock import utcnow
from domain.commands import CreateOrganization, UpdateUser
from domain.models import ProvisioningRequest, User
from domain.sqlite import DatabaseBusy
from tests.conftest import provision

WRITES = 15
# SQLite's own locking; on a PostgreSQL run, a second (SQLite) context would also rebind the
# models' query builders to SQLite's dialect for the tests after it (Tortoise keeps them on
# the model classes).
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("ROSTER_TEST_DATABASE_URL")), reason="SQLite's locking only"
)


async def _prepared(url: str) -> tuple[Actor, str]:
    """A migrated database file with an organization and one user; its SCIM actor, the id."""
    context = await database.open_database(url, create=True)
    try:
        await database.migrate(context)
        organization = await bus.handle(CreateOrganization("acme", "Acme"), Actor.operator())
        scim = Actor.scim_token("00000000-0000-0000-0000-000000000001", "Okta", organization.id)
        user = await provision(scim, "jane@acme.test")
        return scim, str(user.id)
    finally:
        await database.close_database(context)


async def _writer(url: str, actor: Actor, user_id: str, name: str) -> None:
    """A process of its own, as far as SQLite knows: its own connection to the file."""
    context = await database.open_database(url)  # current in this task only
    try:
        for number in range(WRITES):
            await bus.handle(UpdateUser(user_id, {"title": f"{name} {number}"}), actor)
    finally:
        await database.close_database(context)


async def test_two_connections_updating_one_user_wait_for_each_other(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'roster.sqlite3'}"
    actor, user_id = await _prepared(url)

    await asyncio.gather(*(_writer(url, actor, user_id, name) for name in ("a", "b")))

    context = await database.open_database(url)
    try:
        stored = await User.get(id=user_id)
        assert stored.version == 1 + 2 * WRITES
    finally:
        await database.close_database(context)


async def test_a_write_refused_as_busy_does_not_stall_the_writes_after_it(tmp_path: Path) -> None:
    path = tmp_path / "roster.sqlite3"
    url = f"sqlite://{path}?busy_timeout=100"
    actor, user_id = await _prepared(url)
    other_writer = sqlite3.connect(path, isolation_level=None)
    context = await database.open_database(url)
    try:
        other_writer.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseBusy):
            await bus.handle(UpdateUser(user_id, {"title": "refused"}), actor)
        other_writer.execute("ROLLBACK")

        await asyncio.wait_for(bus.handle(UpdateUser(user_id, {"title": "then"}), actor), 5)
        assert (await User.get(id=user_id)).title == "then"
    finally:
        await database.close_database(context)
        other_writer.close()


def _entry(organization_id: int, path: str) -> provisioning_log.Entry:
    return provisioning_log.Entry(
        organization_id=organization_id,
        at=utcnow(),
        token_id=None,
        token_name="Okta",
        method="GET",
        path=path,
        query="",
        status=200,
        duration_ms=1.0,
        user_id=None,
        request_body=None,
        response_body="{}",
    )


async def test_the_provisioning_log_is_written_beside_the_connection_requests_wait_for(
    tmp_path: Path,
) -> None:
    url = f"sqlite://{tmp_path / 'roster.sqlite3'}"
    actor, _ = await _prepared(url)
    assert actor.organization_id is not None
    context = await database.open_database(url)
    try:
        client = ProvisioningRequest._meta.db
        async with client.acquire_connection():  # a request's query under way
            await asyncio.wait_for(
                provisioning_log.write([_entry(actor.organization_id, "/Users")]), 5
            )
        assert await ProvisioningRequest.filter(path="/Users").count() == 1
    finally:
        await database.close_database(context)


async def test_a_provisioning_log_write_waits_for_another_writer_then_fails_as_busy(
    tmp_path: Path,
) -> None:
    path = tmp_path / "roster.sqlite3"
    url = f"sqlite://{path}?busy_timeout=100"
    actor, _ = await _prepared(url)
    assert actor.organization_id is not None
    other_writer = sqlite3.connect(path, isolation_level=None)
    context = await database.open_database(url)
    try:
        other_writer.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseBusy):
            await provisioning_log.write([_entry(actor.organization_id, "/Users/refused")])
        other_writer.execute("ROLLBACK")

        await provisioning_log.write([_entry(actor.organization_id, "/Users/then")])
        assert [row.path for row in await ProvisioningRequest.all()] == ["/Users/then"]
    finally:
        await database.close_database(context)
        other_writer.close()
