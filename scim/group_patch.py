"""A SCIM PATCH of a group (RFC 7644 §3.5.2) as the domain's `UpdateGroup`: the attributes it
sets and its changes to the members, in order. The patch is read here rather than applied to
the whole group in memory, so that adding or removing members costs the same in a group of
fifty thousand as in an empty one.

The forms identity providers send:
- Okta: `{"op": "add", "path": "members", "value": [{"value": id, "display": ...}]}`,
  `{"op": "remove", "path": "members[value eq \\"id\\"]"}` (both possibly in one request), a
  path-less `{"op": "replace", "value": {"id": ..., "displayName": ...}}` with every
  membership change, and `{"op": "replace", "path": "members", "value": [...]}`;
- Entra ID: the same with `Add`/`Remove`/`Replace`, members removed by naming them
  (`{"op": "Remove", "path": "members", "value": [{"value": id}]}`), `displayName` replaced by
  path or path-less."""

from __future__ import annotations

import json
import re
from typing import Any

from domain.commands import MembersChange, NewMember
from scim.errors import ScimProblem

_PREFIX = "urn:ietf:params:scim:schemas:core:2.0:group:"
_VALUE_EQ = r'\s*value\s+eq\s+"((?:[^"\\\x00-\x1f]|\\.)*)"\s*'
_MEMBER_FILTER = re.compile(rf"^members\[({_VALUE_EQ}(?:or{_VALUE_EQ})*)\]$", re.IGNORECASE)
_VALUES = re.compile(_VALUE_EQ, re.IGNORECASE)
_IGNORED = frozenset({"id", "schemas", "meta"})  # Okta's path-less replace names the id


def read_patch(body: dict[str, Any]) -> tuple[dict[str, str | None], tuple[MembersChange, ...]]:
    """The attribute changes (`display_name`, `external_id`) and the member changes."""
    operations = body.get("Operations", body.get("operations"))
    if not isinstance(operations, list) or not operations:
        raise ScimProblem(400, "a PATCH needs a non-empty Operations list", "invalidSyntax")
    changes: dict[str, str | None] = {}
    members: list[MembersChange] = []
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimProblem(400, "each operation must be a JSON object", "invalidSyntax")
        op = str(operation.get("op", "")).lower()
        if op not in ("add", "remove", "replace"):
            detail = f"op must be add, remove or replace, not {operation.get('op')!r}"
            raise ScimProblem(400, detail, "invalidSyntax")
        path, value = operation.get("path"), operation.get("value")
        if path is None or path == "":
            _without_path(op, value, changes, members)
        elif isinstance(path, str):
            _with_path(op, path.strip(), value, changes, members)
        else:
            raise ScimProblem(400, "path must be a string", "invalidPath")
    return changes, tuple(members)


def _unprefixed(path: str) -> str:
    return path[len(_PREFIX) :] if path.lower().startswith(_PREFIX) else path


def _attribute(name: str) -> str:
    return _unprefixed(name).lower()


def _without_path(
    op: str, value: Any, changes: dict[str, str | None], members: list[MembersChange]
) -> None:
    if op == "remove":
        raise ScimProblem(400, "a remove needs a path", "noTarget")
    if not isinstance(value, dict):
        raise ScimProblem(400, "a PATCH without a path needs an object value", "invalidValue")
    for key, item in value.items():
        name = _attribute(str(key))
        if name in _IGNORED:
            continue
        _set(op, name, str(key), item, changes, members)


def _with_path(
    op: str, path: str, value: Any, changes: dict[str, str | None], members: list[MembersChange]
) -> None:
    name = _attribute(path)
    filtered = _MEMBER_FILTER.match(_unprefixed(path))
    if filtered:
        if op != "remove":
            detail = f"{path!r} selects members to remove; add members with the path 'members'"
            raise ScimProblem(400, detail, "invalidPath")
        removed = tuple(NewMember(user_id) for user_id in _filter_values(filtered.group(1)))
        members.append(MembersChange("remove", removed))
    elif name == "members" and op == "remove":
        if value is None:
            members.append(MembersChange("replace", ()))  # every member
        else:
            members.append(MembersChange("remove", _members(value)))
    elif op == "remove" and name == "externalid":
        changes["external_id"] = None
    elif op == "remove" and name == "displayname":
        raise ScimProblem(400, "displayName is required: it cannot be removed", "mutability")
    elif op == "remove":
        raise ScimProblem(400, f"no group attribute {path!r} to remove", "invalidPath")
    else:
        _set(op, name, path, value, changes, members)


def _set(
    op: str,
    name: str,
    sent: str,
    value: Any,
    changes: dict[str, str | None],
    members: list[MembersChange],
) -> None:
    if name == "members":
        members.append(MembersChange("add" if op == "add" else "replace", _members(value)))
    elif name == "displayname":
        if not isinstance(value, str):
            raise ScimProblem(400, "displayName must be a string", "invalidValue")
        changes["display_name"] = value
    elif name == "externalid":
        if value is not None and not isinstance(value, str):
            raise ScimProblem(400, "externalId must be a string", "invalidValue")
        changes["external_id"] = value or None
    else:
        raise ScimProblem(400, f"no group attribute {sent!r}", "invalidPath")


def _members(value: Any) -> tuple[NewMember, ...]:
    """The members a value names: a list of `{"value": id, "display": ...}` (one object alone
    is read as a list of one)."""
    items = [value] if isinstance(value, dict) else value
    if not isinstance(items, list):
        raise ScimProblem(400, 'members must be a list of {"value": id}', "invalidValue")
    members = []
    for item in items:
        member = item.get("value") if isinstance(item, dict) else None
        if not isinstance(member, str) or not member:
            raise ScimProblem(400, "each member needs a value: the id of a user", "invalidValue")
        display = item.get("display")
        named = display if isinstance(display, str) and display else None
        members.append(NewMember(member, named))
    return tuple(members)


def _filter_values(text: str) -> tuple[str, ...]:
    ids = []
    for quoted in _VALUES.findall(text):
        try:
            ids.append(str(json.loads(f'"{quoted}"')))
        except ValueError as error:
            raise ScimProblem(400, f"unreadable member id in {text!r}", "invalidFilter") from error
    return tuple(ids)
