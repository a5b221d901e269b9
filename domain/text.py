"""What text the database can hold: one vocabulary for every door and handler.

- `storable(text)`: no database holds NUL (PostgreSQL's text and jsonb refuse it) or half of
  a UTF-16 surrogate pair (which JSON's `\\ud800` escapes make), nor compares a column with it.
- `fits(model, field, text)`: storable and no longer than the column. Tortoise refuses a
  filter on a value longer than the column before the database is asked, so a lookup checks
  this first and answers "no match" itself.
- `require_fit(model, field, value, label)`: the same for a value to be written; a clear
  `InvalidValue` instead of a silent truncation.
- `holds_unstorable(value)`: whether any string in a JSON document (keys included) is not
  storable.
- `made_storable(text)`: what cannot be held replaced, for recording what was sent."""

from __future__ import annotations

import re
from typing import Any

from tortoise.fields import CharField
from tortoise.models import Model

from domain.errors import InvalidValue

_SURROGATE = re.compile("[\ud800-\udfff]")
UNSTORABLE = "must not contain NUL or lone surrogate characters"


def storable(text: str) -> bool:
    return "\x00" not in text and _SURROGATE.search(text) is None


def fits(model: type[Model], field: str, text: str) -> bool:
    column = model._meta.fields_map[field]
    too_long = isinstance(column, CharField) and len(text) > column.max_length
    return storable(text) and not too_long


def require_fit(model: type[Model], field: str, value: Any, label: str | None = None) -> None:
    """Refuse a string longer than its column holds (never truncate silently), or one no
    database can hold."""
    if not isinstance(value, str):
        return
    if not storable(value):
        raise InvalidValue(label or field, UNSTORABLE)
    column = model._meta.fields_map.get(field)
    if isinstance(column, CharField) and len(value) > column.max_length:
        raise InvalidValue(label or field, f"at most {column.max_length} characters")


def require_storable(value: str, label: str) -> None:
    if not storable(value):
        raise InvalidValue(label, UNSTORABLE)


def required_text(value: str | None, label: str, model: type[Model], column: str) -> str:
    """`value` stripped, refused when empty or when the column cannot hold it."""
    text = (value or "").strip()
    if not text:
        raise InvalidValue(label, "must not be empty")
    require_fit(model, column, text, label)
    return text


def holds_unstorable(document: Any) -> bool:
    """Walked without recursion: a JSON document may be nested as deep as its parser allows."""
    pending: list[Any] = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str) and not storable(value):
            return True
        if isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def made_storable(text: str) -> str:
    return text.encode("utf-8", "replace").decode().replace("\x00", "\ufffd")
