"""Test fixtures: one database per test session, built by the real migrations, emptied
before each test that asks for `db`.

The database is SQLite (a temporary file) unless ROSTER_TEST_DATABASE_URL names a PostgreSQL
server (`postgres://postgres@127.0.0.1:5432`): then a fresh database is created on it for the
session and dropped afterwards.

Redis (shared state, ROSTER_REDIS_URL) is the one on 127.0.0.1:6379 (ROSTER_TEST_REDIS_URL
names another): CI starts it, and a test that asks for it fails when it is not there. Each test
keeps its keys under a prefix of its own."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis
from asgi_lifespan import LifespanManager
from tortoise.context import TortoiseContext

from domain import bus, database, provisioning
from domain.actors import Actor
from domain.commands import CreateOrganization, Email, ProvisionUser, UserAttributes
from domain.group_presence import forget_group_presence
from domain.models import Organization, User
from domain.roles import forget_roles
from tests.processes import drop_postgres_database, user_environment
from web.app import create_app
from web.settings import Settings

TABLES = (
    "audit_events",
    "login_failures",
    "tokens",
    "group_members",
    "groups",
    "user_values",
    "users",
    "user_counts",
    "roles",
    "organizations",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """The stress suite's options (tests/stress; here, where pytest reads options early)."""
    group = parser.getgroup("stress", "the stress suite (tests/stress, marker `stress`)")
    group.addoption(
        "--stress-full",
        action="store_true",
        help="the full stress suite (`make stress`): longer loads, more requests and rounds",
    )
    group.addoption(
        "--stress-json",
        metavar="FILE",
        help="write each stress scenario's figures to FILE as JSON",
    )


def _session_database_url(tmp: Path) -> str:
    server = os.environ.get("ROSTER_TEST_DATABASE_URL", "").rstrip("/")
    if not server:
        return f"sqlite://{tmp / 'roster-test.sqlite3'}"
    return f"{server}/roster_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _session_database_url(tmp_path_factory.mktemp("db"))


async def _create_postgres_test_database(url: str) -> None:
    """The suite's PostgreSQL database, whose commits do not wait for the disk: every test
    empties the tables and writes afresh, and waiting on each commit's flush made the
    PostgreSQL pass several times slower than the SQLite one without testing anything more
    (what a commit shows other sessions is the same; only a crash of the server could lose
    the last commits, and no test crashes PostgreSQL)."""
    server, _, name = url.rpartition("/")
    connection = await asyncpg.connect(f"{server}/postgres")
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
        await connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
async def database_context(database_url: str) -> AsyncIterator[TortoiseContext]:
    if database_url.startswith("postgres"):
        await _create_postgres_test_database(database_url)
    context = await database.open_database(database_url, create=True)
    try:
        await database.migrate(context)
        yield context
    finally:
        await database.close_database(context)
        if database_url.startswith("postgres"):
            await drop_postgres_database(database_url)


# No statement of an earlier test is still running when a test begins, except one whose
# coroutine was dropped half-way: graphql-core drops the pending field resolvers of a response
# whose non-null field failed (see tests/api/test_fuzz.py), and a dropped resolver's query keeps
# its connection, with its locks, until the garbage collector closes it minutes later. The
# next test's TRUNCATE would wait for it that long: such leftovers are ended first.
ABANDONED_STATEMENTS_END = """
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'
"""


@pytest.fixture
async def db(database_context: TortoiseContext) -> TortoiseContext:
    """An empty, migrated database."""
    # Tortoise keeps each model's base query on the model class, in the dialect of the last
    # context initialised: a test that opened a SQLite database of its own (the migration
    # tests, the several-writers test) leaves them in SQLite's; rebuild them for this one.
    assert database_context.apps is not None
    database_context.apps._build_initial_querysets()
    forget_roles()  # the ids of the emptied tables are given out again
    forget_group_presence()
    provisioning.forget()
    connection = database_context.db()
    if connection.capabilities.dialect == "postgres":
        await connection.execute_script(ABANDONED_STATEMENTS_END)
        await connection.execute_script(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    else:
        for table in TABLES:
            await connection.execute_script(f"DELETE FROM {table}")  # noqa: S608
    return database_context


@pytest.fixture
async def organization(db: TortoiseContext) -> Organization:
    return await bus.handle(CreateOrganization(slug="acme", name="Acme"), Actor.operator())


@pytest.fixture
def operator(organization: Organization) -> Actor:
    """The command line, acting on the `acme` organization."""
    return Actor.operator(organization.id)


@pytest.fixture
def scim(organization: Organization) -> Actor:
    """An identity provider provisioning into `acme` with a SCIM token."""
    return Actor.scim_token("00000000-0000-0000-0000-000000000001", "Okta", organization.id)


def attributes(user_name: str, **values: Any) -> UserAttributes:
    """Okta's usual profile for `user_name`, with `values` on top."""
    defaults: dict[str, Any] = {
        "given_name": "Test",
        "family_name": "User",
        "display_name": "Test User",
        "emails": (Email(user_name, "work", primary=True),),
        "external_id": "00u" + user_name.split("@")[0],
    }
    defaults.update(values)
    return UserAttributes(user_name=user_name, **defaults)


async def provision(actor: Actor, user_name: str, role: str | None = None, **values: Any) -> User:
    return await bus.handle(ProvisionUser(attributes(user_name, **values), role=role), actor)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server the suite shares state on; the test fails when it does not answer."""
    url = os.environ.get("ROSTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(
            f"no Redis answers at {url} ({error}): start one (.ci/run does: redis-server "
            "--daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no)"
        )
    finally:
        client.close()
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix (ROSTER_REDIS_PREFIX) of this test's own; its keys are deleted after it."""
    prefix = f"roster-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A user's environment, with a database of its own (on the suite's PostgreSQL server when
    the suite runs on PostgreSQL: `roster migrate` creates it)."""
    environment, postgres_url = user_environment(tmp_path, "cli")
    yield environment
    if postgres_url:
        asyncio.run(drop_postgres_database(postgres_url))


@asynccontextmanager
async def running_app(
    database_url: str, data_dir: Path, **environment: str
) -> AsyncIterator[httpx.ASGITransport]:
    """The app, its lifespan run, with ROSTER_* settings on top of the test database's.
    Rate limiting is off unless a test turns it on (tests/web/test_rate_limits.py): tests
    fire requests faster than any identity provider. So is the provisioning request log
    (tests/scim/test_request_log.py), whose writes in the background would land among the
    statements other tests count."""
    settings = Settings.from_env(
        {
            "ROSTER_DATABASE_URL": database_url,
            "ROSTER_DATA_DIR": str(data_dir),
            "ROSTER_PUBLIC_URL": "http://roster.test",
            "ROSTER_SCIM_RATE_LIMIT": "off",
            "ROSTER_GRAPHQL_RATE_LIMIT": "off",
            "ROSTER_REQUEST_LOG": "off",
            **environment,
        }
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        yield httpx.ASGITransport(app=manager.app)


@pytest.fixture
async def app_transport(db, database_url, tmp_path) -> AsyncIterator[httpx.ASGITransport]:
    async with running_app(database_url, tmp_path / "data") as transport:
        yield transport


class QueryCounter:
    """Counts the SQL statements sent on `connection` while it is entered."""

    def __init__(self, connection) -> None:
        self.count = 0
        self.connection = connection
        self.originals = {}

    def __enter__(self):
        cls = type(self.connection)
        for name in ("execute_query", "execute_query_dict"):
            original = getattr(cls, name)
            self.originals[name] = original

            async def counting(client, *args, _original=original, **kwargs):
                self.count += 1
                return await _original(client, *args, **kwargs)

            setattr(cls, name, counting)
        return self

    def __exit__(self, *exc):
        for name, original in self.originals.items():
            setattr(type(self.connection), name, original)


class StatementCounter:
    """Counts the statements the database driver is sent while it is entered, inside
    transactions or not (asyncpg's connection, or aiosqlite's); BEGIN and COMMIT included."""

    _METHODS = {
        "asyncpg": ("execute", "executemany", "fetch", "fetchrow", "fetchval"),
        "aiosqlite": ("execute", "executemany", "execute_fetchall", "execute_insert"),
    }

    def __init__(self, dialect: str) -> None:
        self.count = 0
        self.statements: list[str] = []
        if dialect == "postgres":
            from domain.database import _Connection

            self.cls: type = _Connection
            self.names = self._METHODS["asyncpg"]
        else:
            import aiosqlite

            self.cls = aiosqlite.Connection
            self.names = self._METHODS["aiosqlite"]
        self.originals: dict[str, Any] = {}

    def __enter__(self) -> StatementCounter:
        for name in self.names:
            original = self.cls.__dict__.get(name) or getattr(self.cls, name)
            self.originals[name] = original

            async def counting(connection, query, *args, _original=original, **kwargs):
                self.count += 1
                self.statements.append(str(query))
                return await _original(connection, query, *args, **kwargs)

            setattr(self.cls, name, counting)
        return self

    def __exit__(self, *exc: object) -> None:
        for name, original in self.originals.items():
            setattr(self.cls, name, original)
