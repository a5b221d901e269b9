"""Where page-by-page walks through a listing of users stand, so that deep pages stay cheap.

Okta's "Import Users" asks for `startIndex=1&count=100`, then 101, 201, ... A plain OFFSET
makes each page cost more than the last (the database skips every earlier row), and counting
100,000 users for each page's `totalResults` costs more than the page itself. So
`domain.queries.list_users` remembers here, for a little while, where each page of a listing
ended (the keyset cursor of its last row) and the total it counted: the next page starts at
that cursor, at the same cost at any depth, and reports the total counted at most
`TOTAL_SECONDS` ago (never less than the rows in sight). A page nobody walked to is still read
by OFFSET, and counted afresh.

With Redis (ROSTER_REDIS_URL) page ends and totals are also kept there, with the same expiry,
so that a page served by another process or host (behind a balancer without stickiness)
continues the walk; when Redis fails the walk uses what this process remembers, else OFFSET.

RFC 7644 (3.4.2.4) does not promise consistent index paging while the data changes; this
walk is at least as consistent as OFFSET: a user created or deleted during the walk does not
shift later pages by one."""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass

from domain.shared_store import SharedStore

POSITION_SECONDS = 120.0
TOTAL_SECONDS = 10.0
_MAX_ENTRIES = 4096
STORE = "walks"  # the shared store's name in logs and metrics

# (organization id, the listing's filter, sort key, descending): what makes "the same listing"
ListingKey = tuple[int, str, str, bool]


@dataclass(frozen=True, slots=True)
class _Remembered:
    value: str
    at: float


class Walks:
    """Listings' page ends and totals: in this process's memory (least recently used dropped)
    and, with a shared store, in Redis."""

    def __init__(self, shared: SharedStore | None = None) -> None:
        self._entries: OrderedDict[tuple[ListingKey, int | None], _Remembered] = OrderedDict()
        self._shared = shared

    async def cursor_before(self, listing: ListingKey, offset: int) -> str | None:
        """The cursor of the row just before `offset`, if a page of this listing ended there."""
        return await self._get((listing, offset), POSITION_SECONDS) if offset > 0 else None

    async def page_ended(self, listing: ListingKey, offset: int, cursor: str) -> None:
        await self._put((listing, offset), cursor, POSITION_SECONDS)

    async def total(self, listing: ListingKey) -> int | None:
        value = await self._get((listing, None), TOTAL_SECONDS)
        return int(value) if value is not None and value.isdigit() else None

    async def counted(self, listing: ListingKey, total: int) -> None:
        await self._put((listing, None), str(total), TOTAL_SECONDS)

    async def _get(self, key: tuple[ListingKey, int | None], seconds: float) -> str | None:
        shared = self._shared
        if shared is not None:
            name = shared.key(STORE, _digest(key))
            value = await shared.attempt(STORE, lambda client: client.get(name))
            if isinstance(value, bytes):
                return value.decode()
        return self._recalled(key, seconds)  # no Redis, Redis failing, or it forgot first

    async def _put(self, key: tuple[ListingKey, int | None], value: str, seconds: float) -> None:
        self._remember(key, value)
        shared = self._shared
        if shared is not None:
            name, milliseconds = shared.key(STORE, _digest(key)), int(seconds * 1000)
            await shared.attempt(STORE, lambda client: client.set(name, value, px=milliseconds))

    def _recalled(self, key: tuple[ListingKey, int | None], seconds: float) -> str | None:
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry.at > seconds:
            return None
        self._entries.move_to_end(key)
        return entry.value

    def _remember(self, key: tuple[ListingKey, int | None], value: str) -> None:
        self._entries[key] = _Remembered(value, time.monotonic())
        self._entries.move_to_end(key)
        while len(self._entries) > _MAX_ENTRIES:
            self._entries.popitem(last=False)


def _digest(key: tuple[ListingKey, int | None]) -> str:
    """A short Redis key for a listing's page end (or its total): filters can be long."""
    (organization, where, sort, descending), offset = key
    text = json.dumps([organization, where, sort, descending, offset])
    return hashlib.sha256(text.encode()).hexdigest()
