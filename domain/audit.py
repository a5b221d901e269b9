"""Audit entries: what a command changed (written by the bus in the command's transaction),
or what a failed command records for the organization's admin to fix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.actors import Actor
from domain.models import AuditEvent
from domain.request_ids import REQUEST_ID
from domain.text import made_storable

# Never copied into an audit entry, whatever a handler passes.
SECRET_FIELDS = frozenset({"password", "password_hash", "digest", "token", "secret"})
_TARGET_ID_LENGTH = 64  # AuditEvent.target_id's column


@dataclass(frozen=True, slots=True)
class AuditEntry:
    action: str  # e.g. "user.provisioned"
    target_type: str  # "user", "group", "role", "token", "organization"
    target_id: str
    changes: dict[str, Any] = field(default_factory=dict)
    # set only when the event belongs to another organization than the actor's (a new one)
    organization_id: int | None = None


async def record(entry: AuditEntry, actor: Actor) -> None:
    """Write the entry as the actor's audit event (secrets left out, whatever was passed)."""
    await AuditEvent.create(**_event(entry, actor))


async def record_all(entries: list[AuditEntry], actor: Actor) -> None:
    """Write the entries as the actor's audit events, in one statement: what a command did to
    each of many users besides its own target (the roles a group's new role changed)."""
    if entries:
        await AuditEvent.bulk_create([AuditEvent(**_event(entry, actor)) for entry in entries])


def _event(entry: AuditEntry, actor: Actor) -> dict[str, Any]:
    """The audit event's columns."""
    return {
        "organization_id": entry.organization_id or actor.organization_id,
        "actor_kind": actor.kind.value,
        "actor_id": actor.id,
        "actor_label": actor.label,
        "channel": actor.channel,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": made_storable(entry.target_id[:_TARGET_ID_LENGTH]),
        "changes": {k: v for k, v in entry.changes.items() if k not in SECRET_FIELDS},
        "request_id": REQUEST_ID.get(),
    }


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


# The fields of an event's changes that hold its target's name, by target type, best first: a
# user's userName as changed (or as sent, for a failed attempt), a role's, token's or
# organization's name.
_NAME_FIELDS: dict[str, tuple[str, ...]] = {
    "user": ("user_name", "userName"),
    "group": ("display_name",),
    "role": ("name",),
    "token": ("name",),
    "organization": ("name",),
}


def recorded_name(target_type: str, changes: Mapping[str, Any]) -> str | None:
    """The target's name as an event recorded it, if the event recorded one: events keep no
    name of their own, but one that created, renamed or deleted its target holds the name in
    its changes (and a failed provisioning, the userName sent). It outlives the target."""
    for name in _NAME_FIELDS.get(target_type, ()):
        value = changes.get(name)
        if isinstance(value, Mapping):
            value = value.get("after") if value.get("after") is not None else value.get("before")
        if isinstance(value, str):
            return value
    return None
