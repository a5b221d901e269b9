"""Tortoise's SQLite engine, with transactions that take the write lock when they begin.

Every transaction Roster opens is a command that reads and then writes. Under SQLite's default
deferred BEGIN it starts as a reader and upgrades at its first write; if another connection
(another `roster serve` worker) is writing or has written since, SQLite answers "database is
locked" at once, without the busy timeout: waiting could not help a reader whose snapshot is
stale. `BEGIN IMMEDIATE` waits (up to the busy timeout) for the other writer before the
command reads anything, so it reads the latest state and its write cannot be refused. Readers
outside transactions are unaffected (WAL), and PostgreSQL does not use this module.

Used as the connection's `engine` (`domain.database.connection_config`)."""

from __future__ import annotations

import sqlite3

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite import client as tortoise_sqlite
from tortoise.exceptions import DBConnectionError, TransactionManagementError


class DatabaseBusy(DBConnectionError):
    """Another writer held the file for longer than the busy timeout: the doors answer 503
    with Retry-After, as for a database that is down (never "database is locked")."""


class ImmediateTransaction(tortoise_sqlite.SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise DatabaseBusy(str(error)) from error
            raise TransactionManagementError(error) from error


class SqliteClient(tortoise_sqlite.SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return tortoise_sqlite.SqliteTransactionContext(ImmediateTransaction(self), self._lock)


client_class = SqliteClient  # what Tortoise looks for in an engine module
