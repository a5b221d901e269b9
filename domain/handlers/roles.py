"""Handlers of the custom role commands."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import F

from domain.actors import Actor, organization_id_of
from domain.audit import AuditEntry, created, diff, removed
from domain.clock import utcnow
from domain.commands import CreateCustomRole, DeleteCustomRole, UpdateCustomRole
from domain.credentials import new_custom_role_key
from domain.errors import InvalidValue, NotFound, RoleInUse
from domain.handlers.organizations import organization_of
from domain.models import Group, Organization, Role, RoleOrigin, User
from domain.roles import BUILTIN_KEYS, builtin_role, resolve_role
from domain.text import fits, require_fit, required_text

MAX_RESTRICTED_APPS = 500
MAX_APP_LENGTH = 200
MAX_DESCRIPTION = 2000


def _snapshot(role: Role) -> dict[str, Any]:
    return {
        "key": role.key,
        "name": role.name,
        "description": role.description,
        "permission_level": role.permission_level,
        "restricted_apps": list(role.restricted_apps),
    }


def _permission_level(value: str) -> str:
    builtin = builtin_role(value)
    if builtin is None:
        raise InvalidValue(
            "permissionLevel",
            f"unknown permission level {value!r}; use one of: {', '.join(BUILTIN_KEYS)}",
        )
    return builtin.key


def _restricted_apps(values: tuple[str, ...]) -> list[str]:
    apps: list[str] = []
    for value in values:
        app = value.strip()
        if not app:
            raise InvalidValue("restrictedApps", "app names must not be empty")
        require_fit(Role, "restricted_apps", app, "restrictedApps")
        if len(app) > MAX_APP_LENGTH:
            raise InvalidValue("restrictedApps", f"app names have at most {MAX_APP_LENGTH} chars")
        if app not in apps:
            apps.append(app)
    if len(apps) > MAX_RESTRICTED_APPS:
        raise InvalidValue("restrictedApps", f"at most {MAX_RESTRICTED_APPS} apps")
    return apps


def _description(value: str) -> str:
    if len(value) > MAX_DESCRIPTION:
        raise InvalidValue("description", f"at most {MAX_DESCRIPTION} characters")
    require_fit(Role, "description", value)
    return value.strip()


async def _custom_role(organization_id: int, role_id: str) -> Role:
    role = None
    if fits(Role, "key", role_id):
        role = await Role.filter(organization_id=organization_id, key=role_id).first()
    if role is None:
        raise NotFound("role", role_id)
    if role.builtin:
        raise InvalidValue("role", f"{role_id!r} is a built-in role and cannot be changed")
    return role


async def create_custom_role(command: CreateCustomRole, actor: Actor) -> tuple[Role, AuditEntry]:
    organization = await organization_of(actor)
    role = await Role.create(
        organization_id=organization.id,
        key=new_custom_role_key(),
        builtin=False,
        name=required_text(command.name, "name", Role, "name"),
        description=_description(command.description),
        permission_level=_permission_level(command.permission_level),
        restricted_apps=_restricted_apps(command.restricted_apps),
    )
    return role, AuditEntry("role.created", "role", role.key, created(_snapshot(role)))


async def update_custom_role(command: UpdateCustomRole, actor: Actor) -> tuple[Role, AuditEntry]:
    organization = await organization_of(actor)
    role = await _custom_role(organization.id, command.role_id)
    before = _snapshot(role)
    if command.name is not None:
        role.name = required_text(command.name, "name", Role, "name")
    if command.description is not None:
        role.description = _description(command.description)
    if command.permission_level is not None:
        role.permission_level = _permission_level(command.permission_level)
    if command.restricted_apps is not None:
        role.restricted_apps = _restricted_apps(command.restricted_apps)
    changes = diff(before, _snapshot(role))
    if changes:
        await role.save()
    return role, AuditEntry("role.updated", "role", role.key, changes)


async def delete_custom_role(command: DeleteCustomRole, actor: Actor) -> tuple[Role, AuditEntry]:
    organization = await Organization.filter(id=organization_id_of(actor)).select_for_update().get()
    role = await _custom_role(organization.id, command.role_id)
    holders = await User.filter(role_id=role.id).count()
    is_default = organization.default_role_key == role.key
    changes = removed(_snapshot(role))
    if holders or is_default:
        if command.replacement is None or not command.replacement.strip():
            raise RoleInUse(role.key, holders, is_default)
        replacement = await resolve_role(organization.id, command.replacement)
        if replacement.id == role.id:
            raise InvalidValue("replacement", "must be another role than the one deleted")
        # groups give the replacement instead; the users who had the role from a group keep
        # their group as its source, the others have it as set by hand
        await Group.filter(role_id=role.id).update(role_id=replacement.id)
        await User.filter(manual_role_id=role.id).update(manual_role_id=replacement.id)
        await User.filter(role_id=role.id, role_origin=RoleOrigin.GROUP).update(
            role_id=replacement.id, version=F("version") + 1, updated_at=utcnow()
        )
        await User.filter(role_id=role.id).update(
            role_id=replacement.id,
            role_origin=RoleOrigin.MANUAL,
            manual_role_id=replacement.id,
            version=F("version") + 1,
            updated_at=utcnow(),
        )
        if is_default:
            organization.default_role_key = replacement.key
            await organization.save()
        changes["moved_to"] = {"before": None, "after": replacement.key}
        changes["users_moved"] = {"before": None, "after": holders}
    await role.delete()
    return role, AuditEntry("role.deleted", "role", role.key, changes)
