"""Roster's row ids as callers name them: users, tokens and sessions are UUIDs."""

from __future__ import annotations

import uuid


def parse_id(text: str) -> uuid.UUID | None:
    """The UUID `text` names, or None when it names none (then no row has it)."""
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None
