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

from tortoise.backends.base.client import (
    ConnectionWrapper,
    TransactionalDBClient,
    TransactionContext,
)
from tortoise.backends.sqlite import client as tortoise_sqlite
from tortoise.connection import get_connections
from tortoise.exceptions import DBConnectionError, OperationalError, TransactionManagementError


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
    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection  # type: ignore[no-any-return]


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

    def _in_transaction(self) -> TransactionContext:
        return ImmediateTransactionContext(ImmediateTransaction(self), self._lock)


client_class = SqliteClient  # what Tortoise looks for in an engine module
