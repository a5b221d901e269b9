"""Opening the database, and its schema: Tortoise's own migrations under `domain/migrations`.

Opening connects at once (`SELECT 1`) and turns a failure into `DatabaseUnreachable`, whose
message names the cause an operator can act on (the role, host:port, database or path), or
`DatabaseMissing`, which `roster migrate` answers by creating the database."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import asyncpg.transaction
from asyncpg.exceptions import (
    InternalClientError,
    InvalidAuthorizationSpecificationError,
    InvalidCatalogNameError,
    OperatorInterventionError,
    PostgresConnectionError,
    PostgresError,
    UndefinedTableError,
)
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.base_postgres.client import BasePostgresClient
from tortoise.context import TortoiseContext
from tortoise.exceptions import DBConnectionError
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.executor import MigrationExecutor
from tortoise.migrations.graph import MigrationKey

from domain.roles import forget_roles
from domain.sqlite import DatabaseFileMissing, SqliteClient, TableMissing

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
# How long opening the database waits for an answer (asyncpg's own default is 60 s).
CONNECT_TIMEOUT_SECONDS = 10.0
# `roster migrate` holds this PostgreSQL advisory lock for its whole run, so that replicas
# migrating at once apply each migration once: the others wait, then find nothing to do.
MIGRATION_LOCK_KEY = 0x726F73746572  # "roster"


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


class CommitUnconfirmed(DBConnectionError):
    """The database went away while a change was being committed (or after, before what the
    answer shows of it could be read): it may have been applied, and no one can tell until it
    is back. Answered as any database that went away (503
    with Retry-After), but saying the change may stand, so that the caller reads it back
    before it sends it again (a create sent again would find its own user)."""


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
    connection next time).

    Its way back to the pool costs no round trip: asyncpg's reset query (release advisory
    locks, close cursors, UNLISTEN, RESET ALL) undoes session state that Roster never leaves
    behind (it opens no cursor, listens to nothing and sets nothing for the session; the
    migration's advisory lock is released, or its connection closed, by `_migration_lock`).
    An open transaction is still rolled back. The query would be a second round trip for
    every statement run outside a transaction."""

    def get_reset_query(self) -> str:
        return ""

    def transaction(
        self, *, isolation: str | None = None, readonly: bool = False, deferrable: bool = False
    ) -> _Transaction:
        self._check_open()
        return _Transaction(self, isolation, readonly, deferrable)

    # A table that does not exist yet: the database is not migrated (`TableMissing`, a 503).
    async def execute(self, query: str, *args: Any, **options: Any) -> str:
        with _missing_table():
            status: str = await super().execute(query, *args, **options)
        return status

    async def executemany(self, command: str, args: Any, **options: Any) -> None:
        with _missing_table():
            await super().executemany(command, args, **options)

    async def fetch(self, query: str, *args: Any, **options: Any) -> list[Any]:
        with _missing_table():
            rows: list[Any] = await super().fetch(query, *args, **options)
        return rows

    async def fetchrow(self, query: str, *args: Any, **options: Any) -> Any:
        with _missing_table():
            return await super().fetchrow(query, *args, **options)

    async def reset(self, *, timeout: float | None = None) -> None:  # noqa: ASYNC109 - its API
        try:
            await super().reset(timeout=timeout)
        except Exception:
            if not self.is_closed():
                raise
            self.terminate()


@contextlib.contextmanager
def _missing_table() -> Iterator[None]:
    try:
        yield
    except UndefinedTableError as error:
        raise TableMissing(str(error)) from error


class DatabaseNotMigrated(Exception):
    def __init__(self, pending: list[str]) -> None:
        self.pending = pending
        super().__init__(
            f"the database schema is not up to date ({len(pending)} migration(s) pending: "
            f"{', '.join(pending)}); run `roster migrate` first"
        )


class DatabaseUnreachable(Exception):
    """No connection to the database could be made; `cause` says why, naming what to fix."""

    def __init__(self, cause: str) -> None:
        self.cause = cause
        super().__init__(f"cannot use the database: {cause}")


class DatabaseMissing(DatabaseUnreachable):
    """The server answers but the database (or the SQLite file) does not exist."""

    def __init__(self, name: str, why: str | None = None) -> None:
        self.name = name
        super().__init__(f"{why or f'database {name} does not exist'}; `roster migrate` creates it")


# Connections a process keeps open to PostgreSQL, unless the URL says `maxsize`. A transaction
# holds its connection across several round trips, and between them waits for the event loop,
# which serves the other requests: Tortoise's default of 5 left requests queueing for a
# connection while the database idled. 20 per process leaves PostgreSQL's default of 100
# connections room for several processes and hosts.
POOL_MAXSIZE = 20


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
    else:
        credentials = config["credentials"]
        credentials["connection_class"] = _Connection
        credentials.setdefault("maxsize", POOL_MAXSIZE)
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
    database_url: str,
    *,
    create: bool = False,
    global_fallback: bool = False,
    connect: bool = True,
) -> TortoiseContext:
    """Connect and return the context; raise `DatabaseUnreachable` (or `DatabaseMissing`)
    naming the cause. `create` creates a database that does not exist yet (a SQLite file
    readable by its owner only, in a folder only its owner may enter if Roster makes it).
    Without `connect`, return at once: Tortoise connects on first use, and again on the next
    use after a failure (a server that starts while its database is down).

    Without `global_fallback` the context becomes the current context of this task and the
    tasks it starts; with it, it serves every task that has no context of its own (a server's
    request tasks): Tortoise's supported way for servers."""
    forget_roles()  # kept from another database, whose ids may name other roles
    context = await _open(database_url, create=False, global_fallback=global_fallback)
    if not connect:
        return context
    try:
        await check_connection(context)
        return context
    except DatabaseMissing:
        await close_database(context)
        if not create:
            raise
    except BaseException:
        await close_database(context)
        raise
    if _is_sqlite(database_url):
        _create_sqlite_file(Path(connection_config(database_url)["credentials"]["file_path"]))
        return await open_database(database_url, global_fallback=global_fallback)
    try:
        await _create_postgres_database(database_url)
    except DatabaseUnreachable as error:
        try:  # another replica's `roster migrate` may have created it meanwhile
            return await open_database(database_url, global_fallback=global_fallback)
        except DatabaseMissing:
            raise error from None
    return await open_database(database_url, global_fallback=global_fallback)


async def _create_postgres_database(database_url: str) -> None:
    """CREATE DATABASE, owned by the URL's role, from the server's `postgres` database (which
    every server has; the URL's role may have no database of its own)."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    server = parts._replace(path="/postgres").geturl()
    context = await _open(server, create=False, global_fallback=False)
    try:
        quoted = name.replace('"', '""')
        await context.db().execute_script(f'CREATE DATABASE "{quoted}"')
    except Exception as error:
        cause = error.__cause__ or error
        raise DatabaseUnreachable(
            f"cannot create the database {name!r} on {parts.hostname}:{parts.port or 5432} "
            f"({cause})"
        ) from error
    finally:
        await close_database(context)


async def check_connection(context: TortoiseContext) -> None:
    """Run `SELECT 1`; raise `DatabaseUnreachable` naming the cause if it cannot be run."""
    client = context.db()
    try:
        await asyncio.wait_for(client.execute_query("SELECT 1"), CONNECT_TIMEOUT_SECONDS)
    except Exception as error:
        cause = _unreachable(client, error)
        if cause is None:
            raise
        raise cause from error


def _unreachable(client: BaseDBAsyncClient, error: Exception) -> DatabaseUnreachable | None:
    """What `error`, met while connecting, means for the operator (None: not a connection
    failure, a bug to show as it is)."""
    original: BaseException = error
    while isinstance(original, DBConnectionError) and original.__cause__ is not None:
        original = original.__cause__  # Tortoise's wrapper around the driver's error
    if isinstance(client, SqliteClient):
        return _sqlite_unreachable(Path(client.filename), original)
    if isinstance(client, BasePostgresClient):
        return _postgres_unreachable(client, original)
    return None


def _postgres_unreachable(
    client: BasePostgresClient, error: BaseException
) -> DatabaseUnreachable | None:
    where = f"{client.host}:{client.port}"
    if isinstance(error, InvalidCatalogNameError):
        return DatabaseMissing(f"{client.database!r} on {where}")
    if isinstance(error, InvalidAuthorizationSpecificationError):
        if "no encryption" in str(error):  # pg_hba.conf has only `hostssl` lines for us
            return DatabaseUnreachable(
                f"the PostgreSQL server at {where} requires TLS, which this connection does "
                f"not use (PGSSLMODE=disable in the environment?) ({error})"
            )
        return DatabaseUnreachable(
            f"authentication failed for role {client.user!r} at {where} ({error})"
        )
    if isinstance(error, TimeoutError):
        return DatabaseUnreachable(
            f"no answer from PostgreSQL at {where} within {CONNECT_TIMEOUT_SECONDS:g} s"
        )
    if isinstance(error, ConnectionError) and "rejected SSL upgrade" in str(error):
        if client.extra.get("ssl"):
            return DatabaseUnreachable(
                f"the database URL requires TLS (ssl=...) but the PostgreSQL server at {where} "
                "does not offer it"
            )
        return DatabaseUnreachable(  # its answer to "TLS?" was neither yes nor no
            f"what answers at {where} does not speak PostgreSQL's protocol: is it the right port?"
        )
    if isinstance(error, ssl.SSLError):  # e.g. a certificate the system does not trust
        reason = getattr(error, "verify_message", None) or error.reason or str(error)
        return DatabaseUnreachable(f"TLS with the PostgreSQL server at {where} failed ({reason})")
    if isinstance(error, OSError):
        number = error.errno or 0  # a resolver's errors are negative
        reason = os.strerror(number) if number > 0 else error.strerror or str(error)
        return DatabaseUnreachable(f"cannot reach PostgreSQL at {where} ({reason})")
    if isinstance(error, PostgresError | DBConnectionError):  # e.g. "the database is starting up"
        return DatabaseUnreachable(f"PostgreSQL at {where} refused the connection ({error})")
    return None


def _sqlite_unreachable(path: Path, error: BaseException) -> DatabaseUnreachable | None:
    if isinstance(error, DatabaseFileMissing):
        if not path.parent.exists():
            return DatabaseMissing(str(path), f"directory {path.parent} not found (for {path})")
        return _sqlite_folder_problem(path) or DatabaseMissing(str(path))
    if isinstance(error, OSError | DBConnectionError):
        return _sqlite_folder_problem(path) or DatabaseUnreachable(
            f"cannot open the SQLite database {path} ({error})"
        )
    if "readonly" in str(error) or "read-only" in str(error):
        return DatabaseUnreachable(f"the SQLite database {path} is not writable ({error})")
    return None


def _sqlite_folder_problem(path: Path) -> DatabaseUnreachable | None:
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        return DatabaseUnreachable(f"{folder} is not a directory (for the SQLite database {path})")
    if not folder.exists():
        return DatabaseUnreachable(f"directory {folder} not found (for the SQLite database {path})")
    if not os.access(folder, os.W_OK | os.X_OK):
        return DatabaseUnreachable(
            f"directory {folder} is not writable (for the SQLite database {path})"
        )
    return None


def _create_sqlite_file(path: Path) -> None:
    """An empty database file, readable and writable by its owner only; SQLite gives its -wal
    and -shm files the same mode. A folder Roster creates for it is its owner's only too."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError as error:
        if error.errno in {errno.EACCES, errno.EPERM, errno.EROFS}:
            raise DatabaseUnreachable(
                f"cannot create the SQLite database {path}: its directory is not writable "
                f"({error.strerror})"
            ) from error
        if error.errno in {errno.ENOENT, errno.ENOTDIR}:
            problem = _sqlite_folder_problem(path)
            raise problem or DatabaseUnreachable(
                f"cannot create the SQLite database {path} ({error.strerror})"
            ) from error
        raise DatabaseUnreachable(
            f"cannot create the SQLite database {path} ({error.strerror})"
        ) from error


def _is_sqlite(database_url: str) -> bool:
    return urlsplit(database_url).scheme == "sqlite"


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


async def migrate(
    context: TortoiseContext, *, waiting: Callable[[], None] | None = None
) -> list[str]:
    """Apply every pending migration; return the names applied. Several processes may run
    this at once (replicas starting together): one migrates while the others wait (`waiting`
    is called once when this one has to), then find nothing left to do."""
    async with _migration_lock(context, waiting or (lambda: None)):
        pending = await pending_migrations(context)
        if pending:
            await _executor(context).migrate()
        return pending


async def _unlock(connection: asyncpg.Connection) -> None:
    """Release the migration's lock; a connection that could not release it is closed (the
    server releases it then), never handed back to the pool holding it."""
    if connection.is_closed():
        return
    try:
        await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    except BaseException:
        connection.terminate()
        raise


@contextlib.asynccontextmanager
async def _migration_lock(
    context: TortoiseContext, waiting: Callable[[], None]
) -> AsyncIterator[None]:
    """PostgreSQL: a session advisory lock, held on one connection of its own for the whole run
    (released by the server if the process dies). SQLite: an exclusive `flock` on the file's
    folder (not on the file itself: closing a second descriptor of a database file drops the
    POSIX locks SQLite holds on it)."""
    client = context.db()
    if isinstance(client, BasePostgresClient):
        async with client.acquire_connection() as connection:
            if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", MIGRATION_LOCK_KEY):
                waiting()
                await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
            try:
                yield
            finally:
                await _unlock(connection)
    elif isinstance(client, SqliteClient) and client.filename != ":memory:":
        folder = os.open(Path(client.filename).parent, os.O_RDONLY)
        try:
            try:
                fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                waiting()
                await asyncio.to_thread(fcntl.flock, folder, fcntl.LOCK_EX)
            yield
        finally:
            os.close(folder)  # and the lock with it
    else:
        yield


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
    "DatabaseMissing",
    "DatabaseNotMigrated",
    "DatabaseUnreachable",
    "MigrationKey",
    "check_connection",
    "close_database",
    "ensure_migrated",
    "make_migrations",
    "migrate",
    "open_database",
    "pending_migrations",
    "unmigrated_model_changes",
]
