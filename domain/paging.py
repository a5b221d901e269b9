"""Pages of results: by offset (SCIM's startIndex) or by keyset (opaque cursors)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from domain.errors import InvalidCursor

T = TypeVar("T")
M = TypeVar("M", bound=Model)
MAX_PAGE_SIZE = 10_000  # the domain's own bound; each door sets its own, lower one


@dataclass(frozen=True, slots=True)
class OffsetPage:
    offset: int = 0  # 0-based
    count: int = 100


@dataclass(frozen=True, slots=True)
class KeysetPage:
    after: str | None = None  # a cursor from a previous page
    count: int = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    next_cursor: str | None  # None on the last page


def clamp_count(count: int) -> int:
    return max(0, min(count, MAX_PAGE_SIZE))


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidCursor() from error
    if not isinstance(values, list) or len(values) != length:
        raise InvalidCursor()
    return values


async def newest_first(query: QuerySet[M], first: int, after: str | None) -> Page[M]:
    """A page of the rows `query` selects, by their BIGINT id, highest (newest) first: after
    the row an `id_cursor` names, if given."""
    total = await query.count()
    if after:
        (last_id,) = decode_cursor(after, 1)
        if not isinstance(last_id, int) or not 0 < last_id < 2**63:  # a BIGINT id
            raise InvalidCursor()
        query = query.filter(id__lt=last_id)
    count = clamp_count(first)
    rows = await query.order_by("-id").limit(count + 1)
    more = len(rows) > count
    rows = rows[:count]
    return Page(items=rows, total=total, next_cursor=id_cursor(rows[-1]) if more and rows else None)


def id_cursor(row: Model) -> str:
    """The cursor of a row of a page `newest_first` gave."""
    return encode_cursor([row.pk])
