"""The six built-in roles, and how a role string from an identity provider becomes a role."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.expressions import Q, Subquery

from domain.errors import InvalidRole, InvalidValue
from domain.models import Organization, Role, RoleOrigin, User
from domain.text import fits


@dataclass(frozen=True, slots=True)
class BuiltinRole:
    key: str
    name: str
    description: str


BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole("super-admin", "Super Admin", "Full access, including the settings page."),
    BuiltinRole("admin", "Application Admin", "Manages applications; reads users and roles."),
    BuiltinRole("basic-user", "Basic User", "Uses the product."),
    BuiltinRole("limited-plus-user", "Limited Plus User", "Limited access with extras."),
    BuiltinRole("limited-user", "Limited User", "Limited access."),
    BuiltinRole("appstore-user", "Appstore User", "Uses the app store only."),
)
BUILTIN_KEYS: tuple[str, ...] = tuple(role.key for role in BUILTIN_ROLES)
DEFAULT_ROLE_KEY = "basic-user"
_BY_KEY = {role.key: role for role in BUILTIN_ROLES}
_KEY_LENGTH = 64  # Role.key's column


_STATED = (RoleOrigin.IDENTITY_PROVIDER, RoleOrigin.MANUAL)


def stated_role_key(user: User) -> str | None:
    """The role string a user shows: the one the identity provider or an admin stated. None
    while a group's role or the organization's default applies because nobody stated one (so
    that a provider reading the user back does not take it for its own statement). Its role
    must be loaded."""
    return user.role.key if user.role_origin in _STATED else None


def role_stated() -> Q:
    """The users whose role was stated (`stated_role_key` is not None), as a filter."""
    return Q(role_origin__in=list(_STATED))


def builtin_role(key: str) -> BuiltinRole | None:
    """The built-in role whose key matches `key` case-insensitively, if any."""
    return _BY_KEY.get(key.strip().lower())


def accepted_role_strings(custom_role_keys: Iterable[str]) -> list[str]:
    """Every string an identity provider may send: the built-ins, then the custom role IDs."""
    return [*BUILTIN_KEYS, *custom_role_keys]


async def resolve_role(organization_id: int, value: str) -> Role:
    """The organization's role named by `value`: a built-in key (any case) or a custom role ID
    (exactly). Raises InvalidRole listing what is accepted."""
    builtin = builtin_role(value)
    key = builtin.key if builtin else value.strip()
    if len(key) > _KEY_LENGTH:  # names no role, and the error would repeat all of it
        raise InvalidValue("role", f"at most {_KEY_LENGTH} characters")
    role = _kept_by_key(organization_id, key)
    if role is None and fits(Role, "key", key):
        role = await Role.get_or_none(organization_id=organization_id, key=key)
        if role is not None:
            _keep(role, time.monotonic())
    if role is None or (builtin is None and role.builtin):
        custom_keys = await Role.filter(organization_id=organization_id, builtin=False).values_list(
            "key", flat=True
        )
        raise InvalidRole(value, accepted_role_strings(sorted(str(k) for k in custom_keys)))
    return role


# Roles change rarely and every read of a user shows one, so this process keeps the roles it
# read for `ROLE_SECONDS`: reading users costs no role query. A change to a role is seen at once
# by the process that made it (`forget_roles`) and within `ROLE_SECONDS` by every other (the
# same bound as a verified token's). A role's id and key never change; a database opened anew
# (whose ids may name other roles) starts with nothing kept.
ROLE_SECONDS = 1.0
_MAX_KEPT_ROLES = 10_000
_kept: dict[int, tuple[float, Role]] = {}  # role id -> (monotonic expiry, role)
_kept_keys: dict[tuple[int, str], int] = {}  # (organization id, key) -> role id


async def with_roles(users: list[User]) -> list[User]:
    """Give each user its role: kept ones, and the others in one query."""
    if not users:
        return users
    now = time.monotonic()
    missing = {user.role_id for user in users if not _kept_for(user, now)}
    if missing:
        for role in await Role.filter(id__in=missing):
            _keep(role, now)
    for user in users:
        user.role = _kept[user.role_id][1]
    return users


def _kept_for(user: User, now: float) -> bool:
    kept = _kept.get(user.role_id)
    return kept is not None and kept[0] > now and kept[1].organization_id == user.organization_id


def _keep(role: Role, now: float) -> None:
    if len(_kept) >= _MAX_KEPT_ROLES:
        forget_roles()
    _kept[role.id] = (now + ROLE_SECONDS, role)
    _kept_keys[(role.organization_id, role.key)] = role.id


def _kept_by_key(organization_id: int, key: str) -> Role | None:
    role_id = _kept_keys.get((organization_id, key))
    kept = _kept.get(role_id) if role_id is not None else None
    if kept is None or kept[0] <= time.monotonic() or kept[1].key != key:
        return None
    return kept[1]


def forget_roles() -> None:
    """Read every role afresh (one was just created, changed or deleted)."""
    _kept.clear()
    _kept_keys.clear()


async def default_role(organization_id: int) -> Role:
    """The role of users who arrive without a role string (one query)."""
    default_key = Subquery(Organization.filter(id=organization_id).values("default_role_key"))
    return await Role.get(organization_id=organization_id, key=default_key)


async def create_builtin_roles(organization_id: int) -> None:
    await Role.bulk_create(
        [
            Role(
                organization_id=organization_id,
                key=role.key,
                builtin=True,
                name=role.name,
                description=role.description,
                permission_level=role.key,
                restricted_apps=[],
            )
            for role in BUILTIN_ROLES
        ]
    )
