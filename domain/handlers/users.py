"""Handlers of the user commands."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from tortoise.exceptions import IntegrityError

from domain import deprovisioning_guard
from domain.actors import Actor, ActorKind, organization_id_of
from domain.audit import AuditEntry, created, diff, removed
from domain.clock import utcnow
from domain.commands import (
    AssignRole,
    DeactivateUser,
    DeleteUser,
    Email,
    PhoneNumber,
    ProvisionUser,
    ReactivateUser,
    ReplaceUser,
    UpdateUser,
    UserAttributes,
)
from domain.effective_roles import unstated_source
from domain.errors import InvalidValue, NotFound, UserNameTaken, VersionMismatch
from domain.group_queries import with_groups
from domain.ids import parse_id
from domain.models import Role, RoleOrigin, Token, TokenKind, User, UserValue
from domain.roles import default_role, resolve_role, stated_role_key, with_roles
from domain.text import require_fit
from domain.user_search import SEARCHED, search_key

ATTRIBUTE_NAMES = frozenset(field.name for field in dataclasses.fields(UserAttributes))
_MAX_MULTI_VALUES = 100
_MAX_EXTRAS_BYTES = 64 * 1024


async def user_for_update(actor: Actor, user_id: str, expected_version: int | None) -> User:
    """The user, locked for the rest of the transaction (PostgreSQL; SQLite transactions are
    serialized already), after checking the caller's expected version."""
    parsed = parse_id(user_id)
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


def snapshot(user: User) -> dict[str, Any]:
    """The user as the audit log records it."""
    values = {name: getattr(user, name) for name in sorted(ATTRIBUTE_NAMES)}
    values["role"] = user.role.key
    values["role_origin"] = user.role_origin.value
    return values


def _multi_values(
    values: tuple[Email, ...] | tuple[PhoneNumber, ...], field: str
) -> list[dict[str, Any]]:
    if len(values) > _MAX_MULTI_VALUES:
        raise InvalidValue(field, f"at most {_MAX_MULTI_VALUES} values")
    if sum(1 for value in values if value.primary) > 1:
        raise InvalidValue(field, "at most one value may be primary")
    stored = []
    for value in values:
        text = value.value.strip()
        if not text:
            raise InvalidValue(f"{field}.value", "must not be empty")
        if len(text) > 512:
            raise InvalidValue(f"{field}.value", "at most 512 characters")
        if value.type is not None:  # the `type` column of the rows that filters search
            require_fit(UserValue, "type", value.type, f"{field}.type")
        if value.display is not None and len(value.display) > 512:
            raise InvalidValue(f"{field}.display", "at most 512 characters")
        item: dict[str, Any] = {"value": text, "type": value.type, "primary": value.primary}
        if value.display is not None:
            item["display"] = value.display
        stored.append(item)
    return stored


def _extras(extras: Any) -> dict[str, Any]:
    stored = {name: value for name, value in dict(extras).items() if value not in (None, [], "")}
    if len(json.dumps(stored, default=str)) > _MAX_EXTRAS_BYTES:
        raise InvalidValue("extras", f"at most {_MAX_EXTRAS_BYTES} bytes of other attributes")
    return stored


def _email_key(emails: list[dict[str, Any]]) -> str | None:
    chosen = next((email for email in emails if email["primary"]), emails[0] if emails else None)
    return str(chosen["value"]).casefold() if chosen else None


def apply_attributes(user: User, attributes: UserAttributes) -> None:
    """Validate and copy every attribute onto the user (its role is set apart)."""
    user_name = attributes.user_name.strip()
    if not user_name:
        raise InvalidValue("userName", "must not be empty")
    for field in dataclasses.fields(UserAttributes):
        value = getattr(attributes, field.name)
        if isinstance(value, str):
            require_fit(User, field.name, value)
    require_fit(User, "user_name", user_name, "userName")
    emails = _multi_values(attributes.emails, "emails")
    for name in ATTRIBUTE_NAMES - {"user_name", "emails", "phone_numbers", "extras"}:
        setattr(user, name, getattr(attributes, name))
    user.extras = _extras(attributes.extras)
    user.user_name = user_name
    user.user_name_key = user_name.casefold()
    user.emails = emails
    user.email_key = _email_key(emails)
    user.phone_numbers = _multi_values(attributes.phone_numbers, "phoneNumbers")
    user.search_key = search_key(
        user_name, emails, user.display_name, user.given_name, user.family_name
    )


def attributes_of(user: User) -> UserAttributes:
    values: dict[str, Any] = {name: getattr(user, name) for name in ATTRIBUTE_NAMES}
    values["emails"] = tuple(Email(**email) for email in user.emails)
    values["phone_numbers"] = tuple(PhoneNumber(**phone) for phone in user.phone_numbers)
    return UserAttributes(**values)


async def _role_from_provider(organization_id: int, role: str | None) -> tuple[Role, RoleOrigin]:
    if role is None or not role.strip():
        return await default_role(organization_id), RoleOrigin.DEFAULT
    return await resolve_role(organization_id, role), RoleOrigin.IDENTITY_PROVIDER


async def _take_provider_role(user: User, role: str | None) -> None:
    """Apply the provider's role string (None: back to the organization's default).

    Reads show the role string of users whose role was stated (by the provider or by hand), so
    a provider that sends back the role it read is not taken to have stated it anew: a role
    set by hand stays marked as such. A string sent for a user on the default is a statement."""
    stated = stated_role_key(user)
    if role is not None and role == stated:
        return  # sent back as read
    if role is None or not role.strip():  # the statement, the provider's or an admin's, goes
        if user.role_origin is RoleOrigin.MANUAL:
            user.manual_role_id = None
        await _take_unstated_role(user)
        return
    new_role = await resolve_role(user.organization_id, role)
    if stated is not None and new_role.id == user.role_id:
        return
    user.role, user.role_origin, user.role_group_id = new_role, RoleOrigin.IDENTITY_PROVIDER, None


async def _take_unstated_role(user: User) -> None:
    """The role the user has without the provider's statement: its groups', the one set by
    hand, or the default (see `domain.effective_roles`)."""
    source = await unstated_source(user)
    user.role = await Role.get(id=source.role_id)
    user.role_origin, user.role_group_id = source.origin, source.group_id


async def _save(
    user: User, before: dict[str, Any], *, new: bool = False, written_at: int | None = None
) -> dict[str, Any]:
    """Write the user if anything changed (a new version each time); return the changes.
    `written_at`: write only if the stored user is still at that version (else
    VersionMismatch); the write locks the row, and whatever follows runs under that lock.
    The user's groups are read too, for the answer."""
    after = snapshot(user)
    changes = created(after) if new else diff(before, after)
    if new:
        user.group_refs = ()  # a user just created belongs to no group
    else:  # the groups the answer shows, read in the transaction (see `domain.bus`)
        await with_groups([user])
    if not new and not changes:
        return changes
    if not new:
        user.version += 1
    try:
        if new:
            await user.save(force_create=True)
        elif written_at is None:  # the changed columns only
            await user.save(update_fields=_columns(changes))
        else:
            await _save_if_at(user, _columns(changes), written_at)
    except IntegrityError as error:
        raise UserNameTaken(user.user_name) from error
    if new or {"emails", "phone_numbers"} & changes.keys():
        await _index_values(user, new=new)
    if not new and "active" in changes and not user.active:
        await _end_credentials(user)
    return changes


async def _end_credentials(user: User) -> None:
    """A deprovisioned user's settings-page sessions and personal API tokens are revoked,
    whichever door deactivated or deleted them: a reactivation, later, revives none of them.
    (Every request checks the user is active too; revoking makes it last.)"""
    await Token.filter(
        user_id=user.id, kind__in=[TokenKind.SESSION, TokenKind.API], revoked_at__isnull=True
    ).update(revoked_at=utcnow())


async def _save_if_at(user: User, columns: list[str], version: int) -> None:
    """Write the columns of the user if the stored user is at `version`."""
    user.updated_at = utcnow()
    values = {column: getattr(user, column) for column in columns}
    stored = User.filter(id=user.id, organization_id=user.organization_id)
    if await stored.filter(version=version).update(**values):
        return
    now = await stored.values_list("version", flat=True)
    if not now:
        raise NotFound("user", str(user.id))
    raise VersionMismatch(version, int(str(now[0])))


# snapshot keys -> the columns that hold them, where they are not the same name
_COLUMNS_OF = {
    # with the role, where it comes from
    "role": ("role_id", "role_group_id", "manual_role_id"),
    "role_origin": ("role_origin", "role_group_id", "manual_role_id"),
    "user_name": ("user_name", "user_name_key"),
    "emails": ("emails", "email_key"),
}


def _columns(changes: dict[str, Any]) -> list[str]:
    """The columns an update writes: those of the changed attributes (and the search's, for
    the searched ones), the version, the time."""
    columns = {"version", "updated_at"}
    for name in changes:
        columns.update(_COLUMNS_OF.get(name, (name,)))
    if changes.keys() & SEARCHED:
        columns.add("search_key")
    return sorted(columns)


def value_rows(user: User) -> list[UserValue]:
    """The rows that filters on the user's emails and phoneNumbers search."""
    return [
        UserValue(
            user_id=user.id,
            attribute=attribute,
            value=item["value"],
            value_key=str(item["value"]).casefold(),
            type=item.get("type"),
            primary=bool(item.get("primary")),
        )
        for attribute in ("emails", "phone_numbers")
        for item in getattr(user, attribute)
    ]


async def _index_values(user: User, *, new: bool) -> None:
    """Rewrite the rows that filters on emails and phoneNumbers search."""
    if not new:
        await UserValue.filter(user_id=user.id).delete()
    rows = value_rows(user)
    if rows:
        await UserValue.bulk_create(rows)


async def _check_user_name_free(user: User) -> None:
    """An early answer for a rename; the unique constraint still decides under concurrency."""
    clash = User.filter(organization_id=user.organization_id, user_name_key=user.user_name_key)
    if await clash.exclude(id=user.id).exists():
        raise UserNameTaken(user.user_name)


async def provision_user(command: ProvisionUser, actor: Actor) -> tuple[User, AuditEntry]:
    user = User(organization_id=organization_id_of(actor))
    apply_attributes(user, command.attributes)
    user.role, user.role_origin = await _role_from_provider(user.organization_id, command.role)
    changes = await _save(user, {}, new=True)  # the unique constraint tells a taken userName
    return user, AuditEntry("user.provisioned", "user", str(user.id), changes)


async def _guarded(actor: Actor, user: User, deprovisions: bool) -> None:
    """An identity provider's change to the user: counted by the circuit breaker (or held by
    it) when it would deactivate or delete them while active; else it supersedes whatever was
    held for them."""
    if deprovisions and user.active:
        await deprovisioning_guard.admit(actor, user)
    else:
        await deprovisioning_guard.supersede(actor, str(user.id))


async def replace_user(command: ReplaceUser, actor: Actor) -> tuple[User, AuditEntry]:
    user = await user_for_update(actor, command.user_id, command.expected_version)
    await _guarded(actor, user, not command.attributes.active)
    before = snapshot(user)
    apply_attributes(user, command.attributes)
    if command.role is not None and command.role.strip():
        await _take_provider_role(user, command.role)
    elif user.role_origin != RoleOrigin.MANUAL:
        await _take_provider_role(user, None)
    if user.user_name_key != before["user_name"].casefold():
        await _check_user_name_free(user)
    changes = await _save(user, before)
    return user, AuditEntry("user.replaced", "user", str(user.id), changes)


async def update_user(command: UpdateUser, actor: Actor) -> tuple[User, AuditEntry]:
    deprovisions = command.changes.get("active") is False
    if command.read is None:
        user = await user_for_update(actor, command.user_id, command.expected_version)
        await _guarded(actor, user, deprovisions)
        return await _update(user, command)
    read, version = command.read, command.expected_version
    if read.organization_id != organization_id_of(actor):
        raise NotFound("user", command.user_id)
    if version is not None and version != read.version:
        raise VersionMismatch(version, read.version)
    await _guarded(actor, read, deprovisions)
    return await _update(read, command, written_at=read.version)


async def _update(
    user: User, command: UpdateUser, *, written_at: int | None = None
) -> tuple[User, AuditEntry]:
    """Apply the command to the user. `written_at`: the user was read, not locked, at that
    version; the write then happens only if it is still at it."""
    before = snapshot(user)
    unknown = set(command.changes) - ATTRIBUTE_NAMES
    if unknown:
        raise InvalidValue(", ".join(sorted(unknown)), "not a user attribute")
    attributes = dataclasses.replace(attributes_of(user), **command.changes)
    apply_attributes(user, attributes)
    if command.role is not None:
        await _take_provider_role(user, command.role)
    elif command.clear_role and stated_role_key(user) is not None:
        await _take_provider_role(user, None)
    if user.user_name_key != before["user_name"].casefold():
        await _check_user_name_free(user)
    changes = await _save(user, before, written_at=written_at)
    return user, AuditEntry(_update_action(changes), "user", str(user.id), changes)


def _update_action(changes: dict[str, Any]) -> str:
    """Name an update by what it did, so the log reads "deactivated" for Okta's PATCH (and
    "updated", with no changes, for one that found nothing to change), by whichever command."""
    if changes.keys() == {"active"}:
        return "user.reactivated" if changes["active"]["after"] else "user.deactivated"
    return "user.updated"


async def _set_active(
    actor: Actor, user_id: str, expected_version: int | None, active: bool
) -> tuple[User, AuditEntry]:
    user = await user_for_update(actor, user_id, expected_version)
    await _guarded(actor, user, not active)
    before = snapshot(user)
    if not active:
        await _keep_a_way_in(actor, user, "deactivate")
    user.active = active
    changes = await _save(user, before)
    return user, AuditEntry(_update_action(changes), "user", str(user.id), changes)


async def _keep_a_way_in(actor: Actor, user: User, doing: str) -> None:
    """An admin may not lock themself out. (Every other admin who could act is a super-admin
    too, so this also keeps at least one active super-admin; the identity provider, which owns
    the people, is not bound by it.)"""
    if actor.kind in (ActorKind.ADMIN, ActorKind.API_TOKEN) and actor.user_id == str(user.id):
        raise InvalidValue("user", f"you cannot {doing} yourself; ask another super-admin")


async def deactivate_user(command: DeactivateUser, actor: Actor) -> tuple[User, AuditEntry]:
    return await _set_active(actor, command.user_id, command.expected_version, active=False)


async def reactivate_user(command: ReactivateUser, actor: Actor) -> tuple[User, AuditEntry]:
    return await _set_active(actor, command.user_id, command.expected_version, active=True)


async def delete_user(command: DeleteUser, actor: Actor) -> tuple[User, AuditEntry]:
    user = await user_for_update(actor, command.user_id, command.expected_version)
    await _guarded(actor, user, True)
    changes = removed(snapshot(user))
    await _end_credentials(user)
    await user.delete()
    return user, AuditEntry("user.deleted", "user", str(user.id), changes)


async def assign_role(command: AssignRole, actor: Actor) -> tuple[User, AuditEntry]:
    user = await user_for_update(actor, command.user_id, command.expected_version)
    before = snapshot(user)
    before_level = user.role.permission_level
    before_manual = user.manual_role_id
    manual = await Role.get_or_none(id=before_manual) if before_manual else None
    before_manual_key = manual.key if manual else None
    role = await resolve_role(user.organization_id, command.role)
    user.manual_role_id = role.id  # an admin's choice replaces the provider's statement
    await _take_unstated_role(user)  # and ranks below a group's role
    if user.role.permission_level != before_level:
        await _keep_a_way_in(actor, user, "change the role of")
    changes = await _save(user, before)
    if not changes and before_manual != role.id:  # kept beneath a group's role
        user.version += 1
        await user.save(update_fields=["manual_role_id", "version", "updated_at"])
        changes = {"manual_role": {"before": before_manual_key, "after": role.key}}
    return user, AuditEntry("user.role_assigned", "user", str(user.id), changes)
