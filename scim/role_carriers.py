"""Where a SCIM user states its role in the product. Three attributes carry it, read in this
order:
1. `permissionsRole` in the core User schema (Okta's custom attribute);
2. `permissionsRole` in Roster's extension schema (`ROSTER`), for an identity provider whose
   custom attributes live in an extension (Entra ID's "custom attribute");
3. `roles`, Entra ID's app roles: the primary entry's value, or the only entry's. Entra's
   `AppRoleAssignmentsComplex` PATCHes an entry whose value is itself JSON
   (`{"id": …, "value": "admin", "displayName": …}`): its `value` is the role.

A create or replace states the first carrier the body holds. A PATCH states only what the
carriers it touches hold afterwards (a PATCH of `roles` is not outvoted by the
`permissionsRole` every read shows); a PATCH touching none leaves the role as it was."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import scim2_models as sm
from scim2_models import CaseExact, Mutability, Returned
from scim2_models.urn import URN

from scim.errors import ScimProblem

if TYPE_CHECKING:
    from scim.resources import User

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ROSTER = "urn:ietf:params:scim:schemas:extension:roster:2.0:User"


class RosterUser(sm.Extension):
    """Roster's own User extension: the role, for identity providers that send custom
    attributes in an extension schema."""

    __schema__ = URN(ROSTER)

    permissions_role: Annotated[
        str | None, Mutability.read_write, Returned.default, CaseExact.false
    ] = None
    """The user's role in the product: a built-in role string (super-admin, admin,
    basic-user, limited-plus-user, limited-user, appstore-user) or a custom role's ID."""


class Carrier(StrEnum):
    CORE = "permissionsRole"
    EXTENSION = f"{ROSTER}:permissionsRole"
    APP_ROLES = "roles"


ALL = tuple(Carrier)


def app_role(roles: Iterable[sm.Role] | None) -> str | None:
    """The role Entra's app roles state: the primary entry's value, or the only entry's. Two
    or more entries and none primary state no one role: refused rather than guessed."""
    entries = [role for role in roles or [] if role.value]
    if not entries:
        return None
    primary = [role for role in entries if role.primary]
    if len(primary) > 1 or (not primary and len(entries) > 1):
        values = ", ".join(repr(_value(role)) for role in entries)
        raise ScimProblem(
            400,
            f"roles: {len(entries)} app roles ({values}) and not exactly one primary; Roster "
            "takes the role from the primary or only entry: map Entra ID's roles with "
            "SingleAppRoleAssignment, or assign the user one app role",
            "invalidValue",
        )
    return _value((primary or entries)[0])


def _value(role: sm.Role) -> str:
    """An app role's value, unwrapped from the JSON object Entra's complex PATCH sends."""
    text = str(role.value).strip()
    if text.startswith("{"):
        try:
            wrapped = json.loads(text)
        except ValueError:
            return text
        if isinstance(wrapped, dict) and isinstance(wrapped.get("value"), str):
            return str(wrapped["value"]).strip()
    return text


def carried(resource: User, carrier: Carrier) -> str | None:
    """What one carrier of `resource` states, blank as none."""
    if carrier is Carrier.CORE:
        value = resource.permissions_role
    elif carrier is Carrier.EXTENSION:
        extension = resource[RosterUser]
        value = extension.permissions_role if extension else None
    else:
        value = app_role(resource.roles)
    return value if value is not None and value.strip() else None


def stated(resource: User, carriers: Iterable[Carrier] = ALL) -> str | None:
    """The role the first of `carriers` that holds one states, None when none does."""
    for carrier in carriers:
        value = carried(resource, carrier)
        if value is not None:
            return value
    return None


def touched(operations: Iterable[Mapping[str, Any]]) -> tuple[Carrier, ...]:
    """The carriers a PATCH's operations touch (by path, or by a path-less value's keys), in
    the order they are read."""
    paths: list[str] = []
    for operation in operations:
        path = operation.get("path")
        value = operation.get("value")
        if isinstance(path, str) and path:
            paths.append(path)
        elif isinstance(value, Mapping):
            paths.extend(str(key) for key in value)
    return tuple(carrier for carrier in ALL if any(_touches(path, carrier) for path in paths))


def _touches(path: str, carrier: Carrier) -> bool:
    path = path.strip().lower()
    if path.startswith(CORE.lower() + ":"):
        path = path[len(CORE) + 1 :]
    if carrier is Carrier.EXTENSION:
        return path == ROSTER.lower() or path.startswith(ROSTER.lower() + ":")
    name = carrier.value.lower()
    return path == name or path.startswith((name + ".", name + "["))
