"""Helpers the handlers share: scoping to the actor's organization, loading for update,
validating attribute values against the columns that hold them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from tortoise.fields import CharField
from tortoise.models import Model

from domain.actors import Actor
from domain.errors import InvalidValue, NotFound, VersionMismatch
from domain.models import Organization, User, fits, storable
from domain.roles import with_roles


def organization_id_of(actor: Actor) -> int:
    if actor.organization_id is None:
        raise InvalidValue("organization", "this command needs an organization")
    return actor.organization_id


async def organization_of(actor: Actor) -> Organization:
    return await Organization.get(id=organization_id_of(actor))


async def admin_by_email(organization_id: int, email: str) -> User:
    """The organization's admin of the settings page (a user with a password) with this email,
    role loaded; NotFound, or InvalidValue for a user who is not an admin."""
    key = email.strip().casefold()
    user = None
    if fits(User, "user_name_key", key):
        user = await User.filter(organization_id=organization_id, user_name_key=key).first()
    if user is None:
        raise NotFound("admin", email)
    if user.password_hash is None:
        raise InvalidValue("email", f"{email!r} is a user of the organization, not an admin")
    await with_roles([user])
    return user


def parse_user_id(user_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(user_id))
    except ValueError:
        return None


async def user_for_update(actor: Actor, user_id: str, expected_version: int | None) -> User:
    """The user, locked for the rest of the transaction (PostgreSQL; SQLite transactions are
    serialized already), after checking the caller's expected version."""
    parsed = parse_user_id(user_id)
    user = None
    if parsed is not None:
        user = (
            await User.filter(organization_id=organization_id_of(actor), id=parsed)
            .select_for_update()
            .first()
        )
    if user is None:
        raise NotFound("user", str(user_id))
    if expected_version is not None and expected_version != user.version:
        raise VersionMismatch(expected_version, user.version)
    await with_roles([user])
    return user


def check_length(model: type[Model], field: str, value: Any, label: str | None = None) -> None:
    """Refuse a string longer than its column holds (never truncate silently), or one no
    database can hold."""
    if isinstance(value, str) and not storable(value):
        raise InvalidValue(label or field, "must not contain NUL or lone surrogate characters")
    column = model._meta.fields_map.get(field)
    if isinstance(column, CharField) and isinstance(value, str) and len(value) > column.max_length:
        raise InvalidValue(label or field, f"at most {column.max_length} characters")


def required_text(value: str | None, field: str, model: type[Model], column: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidValue(field, "must not be empty")
    check_length(model, column, text, field)
    return text


def utcnow() -> datetime:
    return datetime.now(UTC)
