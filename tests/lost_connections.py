"""Transactions whose connection to the database is lost, before or during their commit."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from asyncpg.exceptions import AdminShutdownError
from tortoise.transactions import in_transaction

SHUT_DOWN = "terminating connection due to administrator command"


@contextlib.asynccontextmanager
async def committed_then_lost() -> AsyncIterator[object]:
    """A transaction whose COMMIT goes through while its answer is lost with the connection."""
    async with in_transaction() as connection:
        yield connection
    raise AdminShutdownError(SHUT_DOWN)


async def connection_lost(*args: object, **kwargs: object) -> None:
    """A statement whose connection to the database is lost."""
    raise AdminShutdownError(SHUT_DOWN)
