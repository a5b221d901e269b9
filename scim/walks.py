"""Where identity providers' page-by-page walks stand, so that deep pages stay cheap.

Okta's "Import Users" asks for `startIndex=1&count=100`, then 101, 201, ... A plain OFFSET
makes each page cost more than the last (the database skips every earlier row), and counting
100,000 users for each page's `totalResults` costs more than the page itself. So this process
remembers, for a little while, where each page of a listing ended (the keyset cursor of its
last row) and the total it counted: the next page starts at that cursor, at the same cost at
any depth, and reports the total counted at most `TOTAL_SECONDS` ago (never less than the rows
in sight). A page nobody walked to is still read by OFFSET, and counted afresh.

RFC 7644 (3.4.2.4) does not promise consistent index paging while the data changes; this
walk is at least as consistent as OFFSET: a user created or deleted during the walk does not
shift later pages by one."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

POSITION_SECONDS = 120.0
TOTAL_SECONDS = 10.0
_MAX_ENTRIES = 4096

# (organization id, the listing's filter and order): what identifies "the same listing"
ListingKey = tuple[int, str, str, bool]


@dataclass(frozen=True, slots=True)
class _Remembered:
    value: str | int
    at: float


class Walks:
    """Per-process memory of listings' page ends and totals (least recently used dropped)."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[ListingKey, int | None], _Remembered] = OrderedDict()

    def _get(self, key: tuple[ListingKey, int | None], seconds: float) -> str | int | None:
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry.at > seconds:
            return None
        self._entries.move_to_end(key)
        return entry.value

    def _put(self, key: tuple[ListingKey, int | None], value: str | int) -> None:
        self._entries[key] = _Remembered(value, time.monotonic())
        self._entries.move_to_end(key)
        while len(self._entries) > _MAX_ENTRIES:
            self._entries.popitem(last=False)

    def cursor_before(self, listing: ListingKey, offset: int) -> str | None:
        """The cursor of the row just before `offset`, if a page of this listing ended there."""
        value = self._get((listing, offset), POSITION_SECONDS) if offset > 0 else None
        return value if isinstance(value, str) else None

    def page_ended(self, listing: ListingKey, offset: int, cursor: str) -> None:
        self._put((listing, offset), cursor)

    def total(self, listing: ListingKey) -> int | None:
        value = self._get((listing, None), TOTAL_SECONDS)
        return value if isinstance(value, int) else None

    def counted(self, listing: ListingKey, total: int) -> None:
        self._put((listing, None), total)
