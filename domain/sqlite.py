"""Tortoise's SQLite engine, with transactions that take the write lock when they begin.

Every transaction Roster opens is a command that reads and then writes. Under SQLite's default
deferred BEGIN it starts as a reader and upgrades at its first write; if another connection
(another `roster serve` worker) is writing or has written since, SQLite answers "database is
locked" at once, without the busy timeout: waiting could not help a reader whose snapshot is
stale. `BEGIN IMMEDIATE` waits (up to the busy timeout) for the other writer before the
command reads anything, so it reads the latest state and its write cannot be refused. Readers
outside transactions are unaffected (WAL), and PostgreSQL does not use this module.

A connection or a BEGIN that fails lets go of the client's lock (Tortoise's own wrappers keep
it, and every later query of the process would wait for it for ever: one busy timeout, or a
start while the file was missing, would hang the server).

It also never creates the database file: `roster migrate` does (`domain.database`, readable
by its owner only), so a wrong path is an error that names it, not a new empty database.

Used as the connection's `engine` (`domain.database.connection_config`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import aiosqlite
from tortoise.backends.base.client import (
    ConnectionWrapper,
    TransactionalDBClient,
    TransactionContext,
)
from tortoise.backends.sqlite import client as tortoise_sqlite
from tortoise.connection import get_connections
from tortoise.exceptions import DBConnectionError, OperationalError, TransactionManagementError

# what a connection beside the client's keeps of its configuration
BESIDE_PRAGMAS = ("busy_timeout", "synchronous")


class DatabaseBusy(DBConnectionError):
    """Another writer held the file for longer than the busy timeout: the doors answer 503
    with Retry-After, as for a database that is down (never "database is locked")."""


class DatabaseFileMissing(DBConnectionError):
    """The database file does not exist (`roster migrate` creates it)."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"the SQLite database {path} does not exist")


class TableMissing(DBConnectionError):
    """A table the code uses does not exist: the database is not migrated yet (a server started
    before `roster migrate`). The doors answer 503 with Retry-After, as for a database that is
    down, not 500. PostgreSQL's connection raises it too (`domain.database`)."""


class MissingTablesUnavailable(tortoise_sqlite.SqliteClient):
    """Raises `TableMissing` for SQLite's "no such table"."""

    async def execute_insert(self, query: str, values: list[Any]) -> int:
        with _missing_table():
            row_id: int = await super().execute_insert(query, values)
        return row_id

    async def execute_many(self, query: str, values: list[list[Any]]) -> None:
        with _missing_table():
            await super().execute_many(query, values)

    async def execute_query(
        self, query: str, values: list[Any] | None = None
    ) -> tuple[int, Sequence[dict[str, Any]]]:
        with _missing_table():
            result: tuple[int, Sequence[dict[str, Any]]] = await super().execute_query(
                query, values
            )
        return result

    async def execute_query_dict(
        self, query: str, values: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        with _missing_table():
            rows: list[dict[str, Any]] = await super().execute_query_dict(query, values)
        return rows

    async def execute_script(self, query: str) -> None:
        with _missing_table():
            await super().execute_script(query)


@contextlib.contextmanager
def _missing_table() -> Iterator[None]:
    try:
        yield
    except OperationalError as error:
        if "no such table" not in str(error):
            raise
        raise TableMissing(str(error)) from error


@contextlib.contextmanager
def _sqlite_errors() -> Iterator[None]:
    """sqlite3's own errors, from a connection outside Tortoise, as Roster's."""
    try:
        yield
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            raise TableMissing(str(error)) from error
        if "locked" in str(error) or "busy" in str(error):
            raise DatabaseBusy(str(error)) from error
        raise


class ImmediateTransaction(MissingTablesUnavailable, tortoise_sqlite.SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise DatabaseBusy(str(error)) from error
            raise TransactionManagementError(error) from error


class ImmediateTransactionContext(tortoise_sqlite.SqliteTransactionContext):
    def __init__(self, connection: ImmediateTransaction, client: SqliteClient) -> None:
        super().__init__(connection, client._lock)
        self._writing = client.writing

    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            await self._writing.acquire()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                self._writing.release()
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection  # type: ignore[no-any-return]

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        try:
            await super().__aexit__(exc_type, exc_val, exc_tb)
        finally:
            self._writing.release()


class LockReleasingConnection(ConnectionWrapper[Any]):
    async def __aenter__(self) -> Any:
        await self._lock.acquire()
        try:
            await self.ensure_connection()
        except BaseException:
            self._lock.release()
            raise
        return self.connection


class SqliteClient(MissingTablesUnavailable):
    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)
        # The process's writers, its transactions and the writes beside them, take turns here
        # before they take SQLite's write lock: whoever waits is woken as soon as it is free,
        # where SQLite's busy handler would sleep in steps of up to 100 ms.
        self.writing = asyncio.Lock()

    def acquire_connection(self) -> ConnectionWrapper[Any]:
        return LockReleasingConnection(self._lock, self)

    async def create_connection(self, with_db: bool) -> None:
        if self.filename != ":memory:" and not await asyncio.to_thread(
            os.path.exists, self.filename
        ):
            raise DatabaseFileMissing(self.filename)
        try:
            await super().create_connection(with_db)
        except sqlite3.Error as error:  # "unable to open database file", a read-only file...
            if self._connection is not None:  # opened, but a pragma failed
                await self._connection.close()
                self._connection = None
            raise DBConnectionError(f"{self.filename}: {error}") from error

    async def execute_beside(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """The statements, in a transaction of their own on a connection of its own, opened
        for it and closed after. The client's one connection, which every query of the process
        waits for in turn, stays free meanwhile: in WAL mode readers go on beside the write,
        and the process's transactions wait only for its commit (`writing`). (An in-memory
        database has no other connection: its own is used.)"""
        if self.filename == ":memory:":
            async with self._in_transaction() as connection:
                for text, values in statements:
                    await connection.execute_query(text, list(values))
            return
        beside = await aiosqlite.connect(self.filename, isolation_level=None)
        try:
            for pragma in BESIDE_PRAGMAS:
                value = str(self.pragmas.get(pragma, ""))
                if value.isalnum():  # (the configured value; nothing else goes into the text)
                    await beside.execute(f"PRAGMA {pragma}={value}")
            async with self.writing:
                with _sqlite_errors():
                    await beside.execute("BEGIN IMMEDIATE")
                    try:
                        for text, values in statements:
                            await beside.execute(text, values)
                    except BaseException:
                        await beside.execute("ROLLBACK")
                        raise
                    await beside.execute("COMMIT")
            # and, from this thread, a checkpoint that waits for no one: the WAL this write
            # grew is copied into the file here, not by the requests' connection (which would
            # do it at a commit once the WAL is full, with the process's queries waiting)
            await beside.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            await beside.close()

    def _in_transaction(self) -> TransactionContext:
        return ImmediateTransactionContext(ImmediateTransaction(self), self)


client_class = SqliteClient  # what Tortoise looks for in an engine module
