"""Audit entries: what a command changed, written by the bus in the command's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Never copied into an audit entry, whatever a handler passes.
SECRET_FIELDS = frozenset({"password", "password_hash", "digest", "token", "secret"})


@dataclass(frozen=True, slots=True)
class AuditEntry:
    action: str  # e.g. "user.provisioned"
    target_type: str  # "user", "role", "token", "organization"
    target_id: str
    changes: dict[str, Any] = field(default_factory=dict)
    # set only when the event belongs to another organization than the actor's (a new one)
    organization_id: int | None = None


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """{field: {"before": old, "after": new}} for each field whose value differs."""
    return {
        name: {"before": before.get(name), "after": after.get(name)}
        for name in sorted(set(before) | set(after))
        if name not in SECRET_FIELDS and before.get(name) != after.get(name)
    }


def created(after: Mapping[str, Any]) -> dict[str, Any]:
    return diff({}, {name: value for name, value in after.items() if value not in (None, [], "")})


def removed(before: Mapping[str, Any]) -> dict[str, Any]:
    return diff({name: value for name, value in before.items() if value not in (None, [], "")}, {})
