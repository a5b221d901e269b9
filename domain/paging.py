"""Pages of results: by offset (SCIM's startIndex) or by keyset (opaque cursors)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from domain.errors import InvalidCursor

T = TypeVar("T")
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
