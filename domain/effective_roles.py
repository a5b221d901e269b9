"""Which role a user has, when several could apply. In order:

1. the role the identity provider stated for the user (Okta's `permissionsRole`, Entra ID's
   app role or extension attribute): `RoleOrigin.IDENTITY_PROVIDER`;
2. else the highest-ranked role among the roles of the user's groups (`RoleOrigin.GROUP`, with
   the group): built-in roles rank super-admin > admin > limited-plus-user > basic-user >
   limited-user > appstore-user, a custom role as the built-in role it is based on; between
   equal ranks, the group whose name sorts first;
3. else the role an admin set by hand (`RoleOrigin.MANUAL`);
4. else the organization's default (`RoleOrigin.DEFAULT`).

A user's `role_id` is that role, written whenever one of its sources changes, so that reads
and filters use it as it is. `settle` writes it anew for many users at once (members added to
or removed from a group, a group's role set): a few statements per 5,000 users."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F

from domain.audit import AuditEntry
from domain.clock import utcnow
from domain.models import GroupMember, Role, RoleOrigin, User
from domain.roles import default_role

# permission level (a built-in role key) -> rank, highest first
RANKS: dict[str, int] = {
    "super-admin": 6,
    "admin": 5,
    "limited-plus-user": 4,
    "basic-user": 3,
    "limited-user": 2,
    "appstore-user": 1,
}
CHUNK = 5000


def rank(role: Role) -> int:
    return RANKS.get(role.permission_level, 0)


@dataclass(frozen=True, slots=True)
class Source:
    """A user's role and where it comes from."""

    role_id: int
    origin: RoleOrigin
    group_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class _GroupRole:
    group_id: uuid.UUID
    name_key: str
    role_id: int


async def _group_roles(user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[_GroupRole]]:
    """The roles the users' groups give, by user (one query)."""
    found: dict[uuid.UUID, list[_GroupRole]] = defaultdict(list)
    rows = await GroupMember.filter(
        user_id__in=list(user_ids), group__role_id__isnull=False
    ).values_list("user_id", "group_id", "group__display_name_key", "group__role_id")
    for user_id, group_id, name_key, role_id in rows:
        key = uuid.UUID(str(user_id))
        found[key].append(_GroupRole(uuid.UUID(str(group_id)), str(name_key), int(role_id)))
    return found


def _from_groups(candidates: Iterable[_GroupRole], roles: dict[int, Role]) -> Source | None:
    best = min(
        candidates,
        key=lambda c: (-rank(roles[c.role_id]), c.name_key, str(c.group_id)),
        default=None,
    )
    return Source(best.role_id, RoleOrigin.GROUP, best.group_id) if best else None


def _unstated(
    groups: Iterable[_GroupRole], manual_role_id: int | None, default: Role, roles: dict[int, Role]
) -> Source:
    """The role of a user the identity provider states none for."""
    found = _from_groups(groups, roles)
    if found is not None:
        return found
    if manual_role_id is not None:
        return Source(manual_role_id, RoleOrigin.MANUAL)
    return Source(default.id, RoleOrigin.DEFAULT)


def _moved(user_id: uuid.UUID, before: Source, after: Source, roles: dict[int, Role]) -> AuditEntry:
    changes: dict[str, Any] = {
        "role": {"before": roles[before.role_id].key, "after": roles[after.role_id].key},
        "role_origin": {"before": before.origin.value, "after": after.origin.value},
    }
    if after.group_id is not None:
        changes["role_group"] = {"before": None, "after": str(after.group_id)}
    return AuditEntry("user.role_changed", "user", str(user_id), changes)


async def _roles(organization_id: int) -> dict[int, Role]:
    return {role.id: role for role in await Role.filter(organization_id=organization_id)}


async def unstated_source(user: User) -> Source:
    """The role `user` has when the identity provider states none (three queries)."""
    roles = await _roles(user.organization_id)
    groups = (await _group_roles([user.id])).get(user.id, [])
    default = await default_role(user.organization_id)
    return _unstated(groups, user.manual_role_id, default, roles)


def apply_source(user: User, source: Source, roles: dict[int, Role] | None = None) -> None:
    user.role_id = source.role_id
    if roles is not None:
        user.role = roles[source.role_id]
    user.role_origin = source.origin
    user.role_group_id = source.group_id


async def settle(organization_id: int, user_ids: Sequence[uuid.UUID]) -> list[AuditEntry]:
    """Write anew the role of each of the users whose role the identity provider does not
    state, from their groups, the role set by hand and the default; an audit entry for each
    user whose role changed (it gets a new version)."""
    if not user_ids:
        return []
    roles = await _roles(organization_id)
    default = await default_role(organization_id)
    moves: list[AuditEntry] = []
    for start in range(0, len(user_ids), CHUNK):
        chunk = list(user_ids[start : start + CHUNK])
        rows = (
            await User.filter(organization_id=organization_id, id__in=chunk)
            .exclude(role_origin=RoleOrigin.IDENTITY_PROVIDER)
            .values_list("id", "role_id", "role_origin", "role_group_id", "manual_role_id")
        )
        groups = await _group_roles(chunk)
        targets: dict[Source, list[uuid.UUID]] = defaultdict(list)
        for user_id, role_id, origin, group_id, manual_role_id in rows:
            key = uuid.UUID(str(user_id))
            source = _unstated(groups.get(key, []), manual_role_id, default, roles)
            current = Source(
                int(role_id), RoleOrigin(origin), uuid.UUID(str(group_id)) if group_id else None
            )
            if source != current:
                targets[source].append(key)
                moves.append(_moved(key, current, source, roles))
        for source, changed in targets.items():
            await User.filter(id__in=changed).update(
                role_id=source.role_id,
                role_origin=source.origin,
                role_group_id=source.group_id,
                version=F("version") + 1,
                updated_at=utcnow(),
            )
    return moves
