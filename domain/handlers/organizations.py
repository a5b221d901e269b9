"""Handlers of the organization and admin commands."""

from __future__ import annotations

import re
from typing import Any

from tortoise.exceptions import IntegrityError

from domain.actors import Actor, organization_id_of
from domain.admins import admin_by_email
from domain.audit import AuditEntry, created, diff
from domain.clock import utcnow
from domain.commands import (
    CreateAdmin,
    CreateOrganization,
    Email,
    ResetAdminPassword,
    UpdateOrganization,
    UserAttributes,
)
from domain.credentials import hash_password
from domain.errors import InvalidValue, SlugTaken, UserNameTaken
from domain.handlers.users import apply_attributes, snapshot, value_rows
from domain.models import Organization, RoleOrigin, Token, TokenKind, User, UserValue
from domain.permissions import Permission, permissions_for_level
from domain.roles import builtin_role, create_builtin_roles, resolve_role
from domain.text import required_text

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
MIN_PASSWORD_LENGTH = 8


async def organization_of(actor: Actor) -> Organization:
    return await Organization.get(id=organization_id_of(actor))


def _snapshot(organization: Organization) -> dict[str, Any]:
    return {
        "slug": organization.slug,
        "name": organization.name,
        "default_role": organization.default_role_key,
    }


async def create_organization(
    command: CreateOrganization, actor: Actor
) -> tuple[Organization, AuditEntry]:
    slug = command.slug.strip()
    if not SLUG.match(slug):
        raise InvalidValue(
            "slug", "use 1 to 64 lowercase letters, digits and inner hyphens (e.g. acme-corp)"
        )
    default = builtin_role(command.default_role)
    if default is None:
        raise InvalidValue("defaultRole", f"{command.default_role!r} is not a built-in role")
    if await Organization.exists(slug=slug):
        raise SlugTaken(slug)
    try:
        organization = await Organization.create(
            slug=slug,
            name=required_text(command.name, "name", Organization, "name"),
            default_role_key=default.key,
        )
    except IntegrityError as error:
        raise SlugTaken(slug) from error
    await create_builtin_roles(organization.id)
    entry = AuditEntry(
        "organization.created",
        "organization",
        str(organization.id),
        created(_snapshot(organization)),
        organization_id=organization.id,
    )
    return organization, entry


async def update_organization(
    command: UpdateOrganization, actor: Actor
) -> tuple[Organization, AuditEntry]:
    organization = await organization_of(actor)
    before = _snapshot(organization)
    if command.name is not None:
        organization.name = required_text(command.name, "name", Organization, "name")
    if command.default_role is not None:
        organization.default_role_key = (
            await resolve_role(organization.id, command.default_role)
        ).key
    changes = diff(before, _snapshot(organization))
    if changes:
        await organization.save()
    return organization, AuditEntry(
        "organization.updated", "organization", str(organization.id), changes
    )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue("password", f"use at least {MIN_PASSWORD_LENGTH} characters")


async def create_admin(command: CreateAdmin, actor: Actor) -> tuple[User, AuditEntry]:
    organization = await organization_of(actor)
    email = command.email.strip()
    if not EMAIL.match(email):
        raise InvalidValue("email", f"{email!r} is not an email address")
    _check_password(command.password)
    role = await resolve_role(organization.id, command.role)
    if not permissions_for_level(role.permission_level) & {Permission.USERS_READ}:
        raise InvalidValue("role", f"{role.key!r} gives no access to the settings page")
    user = User(organization_id=organization.id)
    apply_attributes(
        user,
        UserAttributes(user_name=email, emails=(Email(email, "work", primary=True),)),
    )
    if await User.exists(organization_id=organization.id, user_name_key=user.user_name_key):
        raise UserNameTaken(email)
    user.role = role
    user.role_origin = RoleOrigin.MANUAL
    user.password_hash = hash_password(command.password)
    try:
        await user.save(force_create=True)
    except IntegrityError as error:
        raise UserNameTaken(email) from error
    await UserValue.bulk_create(value_rows(user))  # what filters on emails search
    return user, AuditEntry("admin.created", "user", str(user.id), created(snapshot(user)))


async def reset_admin_password(
    command: ResetAdminPassword, actor: Actor
) -> tuple[User, AuditEntry]:
    _check_password(command.password)
    user = await admin_by_email(organization_id_of(actor), command.email)
    user.password_hash = hash_password(command.password)
    await User.filter(id=user.id).update(password_hash=user.password_hash)
    ended = await Token.filter(user_id=user.id, kind=TokenKind.SESSION, revoked_at=None).update(
        revoked_at=utcnow()
    )
    changes = {"sessions_ended": {"before": None, "after": ended}}
    return user, AuditEntry("admin.password_reset", "user", str(user.id), changes)
