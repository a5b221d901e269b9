"""The identity provider's user commands as JSON, and back: what the circuit breaker keeps of
a held change so that confirming it applies exactly what was sent. Only the commands that can
deactivate or delete a user are kept; a version the provider expected is not (the change is
applied to the user as they are when an admin confirms it)."""

from __future__ import annotations

import dataclasses
from typing import Any

from domain.commands import (
    DeactivateUser,
    DeleteUser,
    Email,
    PhoneNumber,
    ReplaceUser,
    UpdateUser,
    UserAttributes,
)

HeldCommand = DeactivateUser | DeleteUser | UpdateUser | ReplaceUser
_KINDS: dict[type[HeldCommand], str] = {
    DeactivateUser: "deactivate",
    DeleteUser: "delete",
    UpdateUser: "update",
    ReplaceUser: "replace",
}
_MULTI_VALUED = {"emails": Email, "phone_numbers": PhoneNumber}


def kind_of(command: HeldCommand) -> str:
    return _KINDS[type(command)]


def dump(command: HeldCommand) -> dict[str, Any]:
    """The command as JSON values."""
    if isinstance(command, DeactivateUser | DeleteUser):
        return {"user_id": command.user_id}
    if isinstance(command, UpdateUser):
        return {
            "user_id": command.user_id,
            "changes": {name: _plain(value) for name, value in command.changes.items()},
            "role": command.role,
            "clear_role": command.clear_role,
        }
    return {
        "user_id": command.user_id,
        "attributes": _plain(command.attributes),
        "role": command.role,
    }


def load(kind: str, data: dict[str, Any]) -> HeldCommand:
    """The command `dump` made `data` of."""
    user_id = str(data["user_id"])
    if kind == "deactivate":
        return DeactivateUser(user_id)
    if kind == "delete":
        return DeleteUser(user_id)
    if kind == "update":
        changes = {name: _value(name, value) for name, value in data["changes"].items()}
        return UpdateUser(
            user_id, changes, role=data.get("role"), clear_role=bool(data.get("clear_role"))
        )
    attributes = dict(data["attributes"])
    for name in _MULTI_VALUED:
        attributes[name] = _value(name, attributes.get(name, []))
    return ReplaceUser(user_id, UserAttributes(**attributes), role=data.get("role"))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _value(name: str, value: Any) -> Any:
    """An attribute's value from JSON: emails and phone numbers as their tuples."""
    cls = _MULTI_VALUED.get(name)
    if cls is None:
        return value
    return tuple(cls(**item) for item in value or [])
