"""The provisioning request log: every SCIM request an organization's identity provider sent,
as the SCIM door recorded it (bodies already redacted), readable by the organization's admins
and kept for a retention period.

Writing is the door's business to do off the request's path (a batch at a time, `write`);
`prune` deletes what is older than the retention period a bounded batch at a time, so that it
never holds long locks on the table requests are logged into."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Subquery

from domain.actors import Actor, organization_id_of
from domain.errors import InvalidValue
from domain.ids import parse_id
from domain.models import ProvisioningRequest
from domain.paging import Page, newest_first
from domain.permissions import Permission
from domain.sqlite import SqliteClient

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PRUNE_BATCH = 2000  # rows one pruning statement deletes
ALWAYS_REDACTED = frozenset({"password"})  # SCIM attributes never stored, whatever is configured


@dataclass(frozen=True, slots=True)
class Entry:
    """One request, as the door recorded it."""

    organization_id: int
    at: datetime
    token_id: str | None
    token_name: str
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    user_id: str | None
    request_body: str | None
    response_body: str | None
    request_id: str | None = None  # as the edge named the request (domain.request_ids)


_COLUMNS = (
    "organization_id",
    "at",
    "token_id",
    "token_name",
    "method",
    "path",
    "query",
    "status",
    "duration_ms",
    "user_id",
    "request_body",
    "response_body",
    "request_id",
)
SQLITE_ROWS_PER_INSERT = 500  # 13 values a row: within SQLite's 32,766 bound parameters
_INSERTS: dict[int, str] = {}  # rows -> SQLite's insert statement of a full chunk


async def write(entries: Sequence[Entry]) -> None:
    """Store a batch of entries as cheaply as the database allows, since the log is written
    beside the requests it logs (no model object is built): PostgreSQL's COPY; on SQLite,
    inserts of many rows each, on a connection of its own beside the one the requests' queries
    take turns on. The rows are made a chunk at a time, letting requests answer in between."""
    if not entries:
        return
    db = ProvisioningRequest._meta.db
    if db.capabilities.dialect == "postgres":
        records = [row async for chunk in _chunks(entries, _uuid) for row in chunk]
        async with db.acquire_connection() as connection:
            await connection.copy_records_to_table(
                ProvisioningRequest._meta.db_table, records=records, columns=list(_COLUMNS)
            )
        return
    # SQLite: a few statements of many rows each, rather than one per row, so that the
    # thread writing them lets go of the GIL for each statement, not each row
    statements = [
        (_insert(len(chunk)), [value for row in chunk for value in row])
        async for chunk in _chunks(entries, _uuid_text)  # (SQLite's UUIDs are text)
    ]
    if isinstance(db, SqliteClient):
        await db.execute_beside(statements)
    else:  # (inside a transaction: on its connection)
        for text, values in statements:
            await db.execute_query(text, values)


async def _chunks(
    entries: Sequence[Entry], uuid_of: Callable[[str | None], object]
) -> AsyncIterator[list[tuple[object, ...]]]:
    """The entries' rows, `SQLITE_ROWS_PER_INSERT` at a time, the event loop's other work
    let in between two."""
    for start in range(0, len(entries), SQLITE_ROWS_PER_INSERT):
        if start:
            await asyncio.sleep(0)
        yield [_values(entry, uuid_of) for entry in entries[start : start + SQLITE_ROWS_PER_INSERT]]


def _values(entry: Entry, uuid_of: Callable[[str | None], object]) -> tuple[object, ...]:
    return (
        entry.organization_id,
        entry.at,
        uuid_of(entry.token_id),
        entry.token_name[:512],
        entry.method[:8],
        entry.path[:1024],
        entry.query,
        entry.status,
        round(entry.duration_ms, 2),
        uuid_of(entry.user_id),
        entry.request_body,
        entry.response_body,
        entry.request_id,
    )


def _insert(rows: int) -> str:
    """SQLite's insert of that many rows (the full chunk's kept, the others made)."""
    text = _INSERTS.get(rows)
    if text is None:
        marks = f"({', '.join('?' * len(_COLUMNS))})"
        columns = ", ".join(f'"{column}"' for column in _COLUMNS)
        table = ProvisioningRequest._meta.db_table
        text = f'INSERT INTO "{table}" ({columns}) VALUES {", ".join([marks] * rows)}'  # noqa: S608 - names from the model, values bound
        if rows == SQLITE_ROWS_PER_INSERT:
            _INSERTS[rows] = text
    return text


def _uuid(text: str | None) -> uuid.UUID | None:
    return parse_id(text) if text is not None else None


def _uuid_text(text: str | None) -> str | None:
    return str(parse_id(text)) if text is not None else None


async def prune(before: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete up to `batch` entries older than `before` (the oldest first); how many went. The
    caller repeats while a whole batch went."""
    oldest = ProvisioningRequest.filter(at__lt=before).order_by("at").limit(batch).values("id")
    return await ProvisioningRequest.filter(id__in=Subquery(oldest)).delete()


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Which entries to read: all of them unless narrowed."""

    user_id: str | None = None
    status: int | None = None
    failed: bool | None = None  # True: status 400 and above; False: below 400
    method: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    request_id: str | None = None  # the request an audit event names


async def entries(
    actor: Actor, filters: LogFilter, *, first: int = 50, after: str | None = None
) -> Page[ProvisioningRequest]:
    """The organization's logged requests, newest first."""
    actor.require(Permission.AUDIT_READ)
    query = ProvisioningRequest.filter(organization_id=organization_id_of(actor))
    if filters.user_id is not None:
        user_id = parse_id(filters.user_id)
        if user_id is None:
            return Page(items=[], total=0, next_cursor=None)  # no request was about such a user
        query = query.filter(user_id=user_id)
    if filters.status is not None:
        query = query.filter(status=filters.status)
    if filters.failed is not None:
        query = query.filter(status__gte=400) if filters.failed else query.filter(status__lt=400)
    if filters.method is not None:
        method = filters.method.strip().upper()
        if method not in METHODS:
            raise InvalidValue("method", f"one of {', '.join(METHODS)}")
        query = query.filter(method=method)
    if filters.request_id is not None:
        query = query.filter(request_id=filters.request_id)
    if filters.since is not None:
        query = query.filter(at__gte=filters.since)
    if filters.until is not None:
        query = query.filter(at__lt=filters.until)
    return await newest_first(query, first, after)
