"""Opening the database, and its schema: Tortoise's own migrations under `domain/migrations`."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import asyncpg.transaction
from asyncpg.exceptions import (
    InternalClientError,
    OperatorInterventionError,
    PostgresConnectionError,
)
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.exceptions import DBConnectionError
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.executor import MigrationExecutor
from tortoise.migrations.graph import MigrationKey

APP_LABEL = "models"
MODELS_MODULE = "domain.models"
MIGRATIONS_MODULE = "domain.migrations"
# SQLite: WAL (set by Tortoise) lets readers run beside the writer; NORMAL sync is durable
# across a process crash in WAL mode; a busy writer is waited for instead of failing at once.
# LIKE is case-sensitive, as on PostgreSQL: `externalId co "jane"` must not match "00uJANE"
# (case-insensitive lookups fold both sides with UPPER() themselves).
SQLITE_PRAGMAS = {
    "busy_timeout": "5000",
    "synchronous": "NORMAL",
    "foreign_keys": "ON",
    "case_sensitive_like": "ON",
}
# Tortoise's SQLite engine, but a transaction takes the write lock at BEGIN (see the module):
# several `roster serve` workers write one file.
SQLITE_ENGINE = "domain.sqlite"
# libpq's TLS modes, which asyncpg takes by name. Tortoise would turn `?ssl=...` into a bool
# (so `ssl=disable` meant verify-full) and hand `sslmode` to asyncpg, which has no such
# argument: Roster reads either parameter itself.
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


# What a request meets while the database is down or restarting: no connection could be made
# (refused, timed out), the server shut the connection (admin shutdown, crash), or it is not
# accepting connections yet (starting up), or the shutdown notice reached an idle pooled
# connection, which asyncpg then refuses to use ("cannot switch to state ..."; it is replaced
# once the socket's close is seen). Each door answers these with 503 and Retry-After.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    DBConnectionError,
    ConnectionError,
    TimeoutError,
    PostgresConnectionError,
    OperatorInterventionError,
    InternalClientError,
)


class _Transaction(asyncpg.transaction.Transaction):  # type: ignore[misc]
    async def rollback(self) -> None:
        if self._connection.is_closed():
            return  # the server dropped the connection, and the transaction with it
        await super().rollback()


class _Connection(asyncpg.Connection):  # type: ignore[misc]
    """asyncpg's connection, for a server that goes away (a restart, a failover) mid-request:
    rolling back on a connection the server closed is not a second error that hides the first
    (a 500 instead of a 503), and a reset that fails on the way back to the pool, after a
    commit that succeeded, does not turn the commit into an error (the pool opens a new
    connection next time)."""

    def transaction(
        self, *, isolation: str | None = None, readonly: bool = False, deferrable: bool = False
    ) -> _Transaction:
        self._check_open()
        return _Transaction(self, isolation, readonly, deferrable)

    async def reset(self, *, timeout: float | None = None) -> None:  # noqa: ASYNC109 - its API
        try:
            await super().reset(timeout=timeout)
        except Exception:
            if not self.is_closed():
                raise
            self.terminate()


class DatabaseNotMigrated(Exception):
    def __init__(self, pending: list[str]) -> None:
        self.pending = pending
        super().__init__(
            f"the database schema is not up to date ({len(pending)} migration(s) pending: "
            f"{', '.join(pending)}); run `roster migrate` first"
        )


def connection_config(database_url: str) -> dict[str, Any]:
    """Tortoise's connection settings for a `sqlite://` or `postgres://` URL. A PostgreSQL URL
    may carry asyncpg's pool and cache settings as query parameters (`minsize`, `maxsize`,
    `statement_cache_size`, ...) and the TLS mode as `ssl` or `sslmode` (libpq's names)."""
    scheme = urlsplit(database_url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "asyncpg"}:
        raise ValueError(
            f"unsupported database URL {database_url!r}: use sqlite://PATH or "
            "postgres://USER@HOST:PORT/DATABASE"
        )
    config = expand_db_url(database_url)
    if scheme == "sqlite":
        config["engine"] = SQLITE_ENGINE
        credentials = config["credentials"]
        for pragma, value in SQLITE_PRAGMAS.items():
            credentials.setdefault(pragma, value)
        path = credentials["file_path"]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    else:
        credentials = config["credentials"]
        credentials["connection_class"] = _Connection
        credentials.pop("sslmode", None)
        ssl_mode = _ssl_mode(database_url)
        if ssl_mode is None:
            credentials.pop("ssl", None)
        else:
            credentials["ssl"] = ssl_mode
    return config


def _ssl_mode(database_url: str) -> str | None:
    query = parse_qs(urlsplit(database_url).query)
    given = query.get("sslmode", []) + query.get("ssl", [])
    if not given:
        return None
    if len(set(given)) > 1 or given[0] not in SSL_MODES:
        raise ValueError(
            f"ssl/sslmode {', '.join(given)!r} in the database URL: use one of "
            + ", ".join(SSL_MODES)
        )
    return given[0]


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(database_url)},
        "apps": {
            APP_LABEL: {
                "models": [MODELS_MODULE],
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def open_database(
    database_url: str, *, create: bool = False, global_fallback: bool = False
) -> TortoiseContext:
    """Connect and return the context. Without `global_fallback` it becomes the current
    context of this task and the tasks it starts; with it, it serves every task that has no
    context of its own (a server's request tasks): Tortoise's supported way for servers.
    `create` creates a PostgreSQL database that does not exist yet (SQLite files always are)."""
    context = await _open(database_url, create=False, global_fallback=global_fallback)
    if not create:
        return context  # Tortoise connects on first use
    try:
        await context.db().execute_query("SELECT 1")
        return context
    except DBConnectionError as error:
        await close_database(context)
        if "does not exist" not in str(error.__cause__):
            raise
    return await _open(database_url, create=True, global_fallback=global_fallback)


async def _open(database_url: str, *, create: bool, global_fallback: bool) -> TortoiseContext:
    config = tortoise_config(database_url)
    context = TortoiseContext()
    context.__enter__()  # models are bound while the context is current
    try:
        await context.init(
            config=config, _create_db=create, _enable_global_fallback=global_fallback
        )
    except BaseException:
        context.__exit__(None, None, None)
        raise
    if global_fallback:
        context.__exit__(None, None, None)  # this task's context is what it was before
    return context


async def close_database(context: TortoiseContext) -> None:
    await context.__aexit__(None, None, None)


def _executor(context: TortoiseContext) -> MigrationExecutor:
    config = tortoise_config("sqlite://:memory:")["apps"]
    return MigrationExecutor(context.db(), config)


async def migrate(context: TortoiseContext) -> list[str]:
    """Apply every pending migration; return the names applied."""
    pending = await pending_migrations(context)
    if pending:
        await _executor(context).migrate()
    return pending


async def pending_migrations(context: TortoiseContext) -> list[str]:
    plan = await _executor(context).plan()
    return [step.migration.name for step in plan if not step.backward]


async def ensure_migrated(context: TortoiseContext) -> None:
    pending = await pending_migrations(context)
    if pending:
        raise DatabaseNotMigrated(pending)


async def unmigrated_model_changes(context: TortoiseContext) -> list[str]:
    """Model changes that no migration holds yet (empty when models and migrations agree)."""
    assert context.apps is not None
    detector = MigrationAutodetector(context.apps, tortoise_config("sqlite://:memory:")["apps"])
    return [
        str(operation) for writer in await detector.changes() for operation in writer.operations
    ]


async def make_migrations(context: TortoiseContext) -> list[str]:
    """Write a migration file for the model changes; return the files written."""
    assert context.apps is not None
    detector = MigrationAutodetector(context.apps, tortoise_config("sqlite://:memory:")["apps"])
    return await detector.write()


__all__ = [
    "DatabaseNotMigrated",
    "MigrationKey",
    "close_database",
    "ensure_migrated",
    "make_migrations",
    "migrate",
    "open_database",
    "pending_migrations",
    "unmigrated_model_changes",
]
