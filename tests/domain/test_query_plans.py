"""The plans of the hot queries on PostgreSQL, on a users table that was never analyzed: a new
deployment right after its first import (20,000 users in one organization, autovacuum off, no
ANALYZE), where the planner has no statistics to choose by. Each statement Tortoise sends for a
hot request reads through the index meant for it and touches about a page of rows, never every
user of the organization: no Seq Scan, no Sort of the organization, no COUNT over it.

The statements are the real ones, captured from Tortoise's client log while the domain runs
them; each is then explained with its values, as the custom plan of its first executions and
as the generic plan a prepared statement may settle on (asyncpg prepares every statement)."""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import pytest
from tortoise.log import db_client_logger

from domain import bus, database, queries
from domain.actors import Actor
from domain.commands import DeactivateUser, ProvisionUser
from domain.paging import KeysetPage, OffsetPage
from domain.queries import UserFilter
from domain.walks import Walks
from scim.filters import user_filter
from tests.conftest import drop_postgres_database
from tests.stress import seeding
from tests.stress.seeding import user_name

SERVER = os.environ.get("ROSTER_TEST_DATABASE_URL", "").rstrip("/")
pytestmark = pytest.mark.skipif(
    not SERVER, reason="query plans are PostgreSQL's: runs when ROSTER_TEST_DATABASE_URL is set"
)

USERS = 20_000
PAGE = 100
MOST_ROWS = 2 * PAGE  # what one step of a hot plan may read: about a page, not the organization
TABLES = ("users", "user_values")  # where reading everything would grow with the organization

Statement = tuple[str, list[Any]]


@dataclass(frozen=True, slots=True)
class Tenant:
    url: str
    actor: Actor  # the organization's identity provider
    ids: list[str]  # of seeded user i, created in that order
    indexes: dict[str, str]  # index name -> its table, for users and user_values


async def autovacuum_off(url: str) -> None:
    """No autovacuum (nor its ANALYZE) on any table of the database, so that no plan depends on
    whether it ran: PostgreSQL has no such setting per database, so each table gets it."""
    connection = await asyncpg.connect(url)
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
        for row in tables:
            await connection.execute(
                f'ALTER TABLE "{row["tablename"]}" SET '
                "(autovacuum_enabled = false, toast.autovacuum_enabled = false)"
            )
    finally:
        await connection.close()


@pytest.fixture(scope="module")
async def tenant() -> AsyncIterator[Tenant]:
    """A database of its own, seeded in bulk by the domain's own functions and left as a new
    deployment has it: never analyzed, autovacuum off."""
    url = f"{SERVER}/roster_plans_{uuid.uuid4().hex[:12]}"
    try:
        credentials = await seeding.prepare(url, admin=False)
        await autovacuum_off(url)
        ids = await seeding.bulk_seed(url, credentials, USERS, 2000, analyzed=False)
        connection = await asyncpg.connect(url)
        try:
            rows = await connection.fetch(
                "SELECT indexname, tablename FROM pg_indexes WHERE tablename = ANY($1)",
                list(TABLES),
            )
            statistics = await connection.fetchval(
                "SELECT count(*) FROM pg_stats WHERE tablename = ANY($1)", list(TABLES)
            )
        finally:
            await connection.close()
        assert statistics == 0, "the database must be planned without statistics"
        actor = Actor.scim_token("plans", "Okta", credentials.organization_id)
        yield Tenant(url, actor, ids, {row["indexname"]: row["tablename"] for row in rows})
    finally:
        await drop_postgres_database(url)


class _Sent(logging.Handler):
    """Tortoise's client logs each statement and its values just before sending it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[Statement] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.args, tuple) and len(record.args) == 2:
            sql, values = record.args
            self.statements.append((str(sql), list(values or [])))


@asynccontextmanager
async def sending(tenant: Tenant) -> AsyncIterator[list[Statement]]:
    """The domain on the tenant's database; the statements sent meanwhile."""
    context = await database.open_database(tenant.url)
    sent = _Sent()
    level = db_client_logger.level
    db_client_logger.addHandler(sent)
    db_client_logger.setLevel(logging.DEBUG)
    try:
        yield sent.statements
    finally:
        db_client_logger.removeHandler(sent)
        db_client_logger.setLevel(level)
        await database.close_database(context)


def on_users(statements: list[Statement]) -> list[Statement]:
    """The statements that read or write users or their values (not roles, audit events)."""
    return [s for s in statements if any(f'"{table}"' in s[0] for table in TABLES)]


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text.replace("'", "''") + "'"


async def explained(tenant: Tenant, statements: list[Statement]) -> list[dict[str, Any]]:
    """Each statement's custom plan and generic plan (run, for a SELECT: EXPLAIN ANALYZE)."""
    connection = await asyncpg.connect(tenant.url)
    plans = []
    try:
        for number, (sql, values) in enumerate(statements):
            options = "ANALYZE, FORMAT JSON" if sql.lstrip().startswith("SELECT") else "FORMAT JSON"
            custom = await connection.fetchval(f"EXPLAIN ({options}) {sql}", *values)
            await connection.execute(f"PREPARE plan_{number} AS {sql}")
            await connection.execute("SET plan_cache_mode = force_generic_plan")
            arguments = f"({', '.join(map(_literal, values))})" if values else ""
            generic = await connection.fetchval(
                f"EXPLAIN ({options}) EXECUTE plan_{number}{arguments}"
            )
            await connection.execute("RESET plan_cache_mode")
            for mode, found in (("custom", custom), ("generic", generic)):
                plans.append({"sql": sql, "mode": mode, **json.loads(found)[0]})
    finally:
        await connection.close()
    return plans


def _steps(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _steps(child)


def assert_reads_through(
    tenant: Tenant, plans: list[dict[str, Any]], indexes: set[str], most_rows: int = MOST_ROWS
) -> None:
    """Every read of users or their values goes through one of `indexes`, and no step of a
    plan reads (or sorts) more than `most_rows` rows."""
    assert plans
    assert indexes <= set(tenant.indexes), f"unknown indexes {indexes - set(tenant.indexes)}"
    for plan in plans:
        shown = f"{plan['mode']} plan of {plan['sql']}\n{json.dumps(plan['Plan'], indent=1)}"
        for step in _steps(plan["Plan"]):
            assert not (step["Node Type"] == "Seq Scan" and step["Relation Name"] in TABLES), shown
            index = step.get("Index Name")
            assert index not in tenant.indexes or index in indexes, f"{index} used:\n{shown}"
            read = step.get("Actual Rows", 0) * step.get("Actual Loops", 1)
            read += step.get("Rows Removed by Filter", 0)
            read += step.get("Rows Removed by Index Recheck", 0)
            assert read <= most_rows, f"{read} rows read in one step:\n{shown}"


def unique_user_name(tenant: Tenant) -> str:
    """The name Tortoise gave the unique (organization_id, user_name_key) index."""
    (name,) = [name for name in tenant.indexes if name.startswith("uid_users_")]
    return name


async def test_okta_s_user_name_lookup_reads_one_row_by_the_unique_index(tenant):
    lookup = user_filter(f'userName eq "{user_name(12_345).upper()}"')
    async with sending(tenant) as sent:
        page = await queries.list_users(
            tenant.actor, lookup, page=OffsetPage(0, PAGE), sort="created_at", walks=Walks()
        )

    assert [str(user.id) for user in page.items] == [tenant.ids[12_345]]
    [(sql, _)] = on_users(sent)
    assert not any(word in sql for word in ("ORDER BY", "LIMIT", "COUNT(")), sql
    plans = await explained(tenant, on_users(sent))
    assert_reads_through(tenant, plans, {unique_user_name(tenant)}, most_rows=1)


async def test_a_lookup_by_email_reads_the_email_index_then_the_user(tenant):
    async with sending(tenant) as sent:
        lookup = user_filter(
            f'emails[value eq "{user_name(4_321)}"]'
        )  # its subquery needs the database
        page = await queries.list_users(
            tenant.actor, lookup, page=OffsetPage(0, PAGE), sort="created_at", walks=Walks()
        )

    assert [str(user.id) for user in page.items] == [tenant.ids[4_321]]
    plans = await explained(tenant, on_users(sent))
    assert_reads_through(tenant, plans, {"user_values_lookup", "users_org_id", "users_pkey"})


async def test_a_user_is_read_by_its_id(tenant):
    async with sending(tenant) as sent:
        user = await queries.get_user(tenant.actor, tenant.ids[17_000])

    assert str(user.id) == tenant.ids[17_000]
    plans = await explained(tenant, on_users(sent))
    assert_reads_through(tenant, plans, {"users_org_id", "users_pkey"}, most_rows=1)


async def test_the_first_page_counts_nobody_and_reads_an_index_of_the_organization(tenant):
    """Its total is the count the database keeps. Its rows come from the creation-order index
    in order once the planner expects more users than a page (from about 100,000 users
    unanalyzed, at any size once analyzed); below, it may read the organization's rows by a
    bitmap of that index and keep the first hundred (a top-N sort): no plan can be asserted
    for every size without statistics, only that nothing is scanned whole or counted."""
    async with sending(tenant) as sent:
        page = await queries.list_users(
            tenant.actor,
            UserFilter(where_text=""),
            page=OffsetPage(0, PAGE),
            sort="created_at",
            walks=Walks(),
        )

    assert (len(page.items), page.total) == (PAGE, USERS)
    assert not any("COUNT(" in sql for sql, _ in sent)
    plans = await explained(tenant, on_users(sent))
    assert_reads_through(tenant, plans, set(tenant.indexes) - {"users_pkey"}, most_rows=USERS)


async def test_a_page_at_the_end_of_a_walk_reads_on_from_where_the_last_page_ended(tenant):
    walks = Walks()
    everyone = UserFilter(where_text="")
    last = OffsetPage(USERS - PAGE, PAGE)
    before = OffsetPage(USERS - 2 * PAGE, PAGE)  # read by OFFSET: nobody walked to it
    async with sending(tenant) as sent:
        await queries.list_users(
            tenant.actor, everyone, page=before, sort="created_at", walks=walks
        )
        sent.clear()
        page = await queries.list_users(
            tenant.actor, everyone, page=last, sort="created_at", walks=walks
        )

    assert [str(user.id) for user in page.items] == tenant.ids[-PAGE:]
    assert not any("COUNT(" in sql or "OFFSET" in sql for sql, _ in sent)
    plans = await explained(tenant, on_users(sent))
    assert_reads_through(tenant, plans, {"users_org_created"})


async def test_deactivating_reads_and_writes_the_user_by_its_id(tenant):
    async with sending(tenant) as sent:
        await bus.handle(DeactivateUser(tenant.ids[9_999]), tenant.actor)

    plans = await explained(tenant, on_users(sent))
    assert_reads_through(tenant, plans, {"users_org_id", "users_pkey"}, most_rows=1)


async def test_creating_a_user_reads_no_other_user(tenant):
    async with sending(tenant) as sent:
        await bus.handle(ProvisionUser(seeding.attributes(USERS + 1)), tenant.actor)

    assert [sql.split()[0] for sql, _ in on_users(sent)] == ["INSERT", "INSERT"]


async def test_a_search_for_one_person_reads_no_more_than_the_organization_once(tenant):
    """The settings page's search, as its GraphQL `users(search:)` asks: one statement (the
    page reached its end, so nothing is counted), never a scan of the table. Unanalyzed, the
    planner expects an organization to hold 0.5% of the table, so up to some 50,000 users it
    reads the organization's entries of a btree index and checks each (a few milliseconds);
    beyond, and at any size once analyzed, the trigram index over (organization_id,
    search_key) finds the match alone (the scale bench measures it at 100,000 users)."""
    search = user_name(7_777).partition("@")[0].upper()
    async with sending(tenant) as sent:
        page = await queries.list_users(
            tenant.actor, UserFilter(search=search), page=KeysetPage(None, PAGE), sort="created_at"
        )

    assert ([str(user.id) for user in page.items], page.total) == ([tenant.ids[7_777]], 1)
    assert len(on_users(sent)) == 1
    plans = await explained(tenant, on_users(sent))
    organization = USERS + PAGE  # and the few users other tests here add
    assert_reads_through(tenant, plans, set(tenant.indexes), most_rows=organization)
