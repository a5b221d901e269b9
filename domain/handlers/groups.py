"""Handlers of the group commands. Members are rows (`GroupMember`): a change to them is a
few statements over the users it names, whatever the group's size, and never a read, edit and
write of the whole list, so concurrent changes to one group lose no member."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from tortoise.exceptions import IntegrityError

from domain import audit
from domain.actors import Actor, organization_id_of
from domain.audit import AuditEntry, created, diff, removed
from domain.commands import (
    CreateGroup,
    DeleteGroup,
    MembersChange,
    NewMember,
    ReplaceGroup,
    SetGroupRole,
    UpdateGroup,
)
from domain.effective_roles import settle
from domain.errors import GroupNameTaken, InvalidValue, NotFound, VersionMismatch
from domain.ids import parse_id
from domain.models import Group, GroupMember, Role, User
from domain.roles import resolve_role
from domain.text import require_fit, required_text

# Users named in one statement: within what every database takes as parameters.
CHUNK = 5000
# Member ids an audit event lists (it always says how many there were).
_AUDITED_IDS = 50
_GROUP_FIELDS = ("display_name", "external_id")


async def group_for_update(actor: Actor, group_id: str, expected_version: int | None) -> Group:
    """The group, locked for the rest of the transaction (PostgreSQL; SQLite transactions are
    serialized already), after checking the caller's expected version."""
    parsed = parse_id(group_id)
    group = None
    if parsed is not None:
        found = Group.filter(organization_id=organization_id_of(actor), id=parsed)
        group = await found.select_for_update().first()
    if group is None:
        raise NotFound("group", str(group_id))
    if expected_version is not None and expected_version != group.version:
        raise VersionMismatch(expected_version, group.version)
    return group


def _snapshot(group: Group) -> dict[str, Any]:
    return {name: getattr(group, name) for name in _GROUP_FIELDS}


def _apply(group: Group, display_name: str, external_id: str | None) -> None:
    name = required_text(display_name, "displayName", Group, "display_name")
    require_fit(Group, "external_id", external_id, "externalId")
    group.display_name = name
    group.display_name_key = name.casefold()
    group.external_id = external_id


async def _save(group: Group, *, new: bool = False) -> None:
    try:
        if new:
            await group.save(force_create=True)
        else:
            group.version += 1
            await group.save()
    except IntegrityError as error:
        raise GroupNameTaken(group.display_name) from error


async def _check_name_free(group: Group) -> None:
    """An early answer for a rename; the unique constraint still decides under concurrency."""
    clash = Group.filter(
        organization_id=group.organization_id, display_name_key=group.display_name_key
    )
    if await clash.exclude(id=group.id).exists():
        raise GroupNameTaken(group.display_name)


def _chunks(ids: Sequence[uuid.UUID]) -> Iterable[Sequence[uuid.UUID]]:
    return (ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK))


async def _users(organization_id: int, members: Sequence[NewMember]) -> dict[uuid.UUID, str | None]:
    """The users named (each once, in the order named) with the name sent for each;
    InvalidValue naming the first id that is no user of the organization."""
    parsed: dict[uuid.UUID, str] = {}
    displays: dict[uuid.UUID, str | None] = {}
    for member in members:
        key = parse_id(member.user_id)
        if key is None:
            raise InvalidValue("members", f"no user {member.user_id!r} in this organization")
        require_fit(GroupMember, "display", member.display, "members.display")
        parsed.setdefault(key, member.user_id)
        displays.setdefault(key, member.display)
    wanted = list(parsed)
    found: set[uuid.UUID] = set()
    for chunk in _chunks(wanted):
        rows = User.filter(organization_id=organization_id, id__in=chunk)
        found.update(uuid.UUID(str(i)) for i in await rows.values_list("id", flat=True))
    missing = [parsed[key] for key in wanted if key not in found]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise InvalidValue("members", f"no user {missing[0]!r} in this organization{more}")
    return displays


async def _members_among(group: Group, user_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for chunk in _chunks(user_ids):
        rows = GroupMember.filter(group_id=group.id, user_id__in=chunk)
        found.update(uuid.UUID(str(i)) for i in await rows.values_list("user_id", flat=True))
    return found


async def _add(group: Group, users: dict[uuid.UUID, str | None]) -> list[uuid.UUID]:
    """Add the users who are not members yet; the ones added."""
    present = await _members_among(group, list(users))
    added = [user_id for user_id in users if user_id not in present]
    await _insert(group, added, users)
    return added


async def _insert(
    group: Group, user_ids: Sequence[uuid.UUID], displays: dict[uuid.UUID, str | None]
) -> None:
    for chunk in _chunks(user_ids):  # a member added meanwhile by another change is no error
        rows = [GroupMember(group_id=group.id, user_id=u, display=displays[u]) for u in chunk]
        await GroupMember.bulk_create(rows, ignore_conflicts=True)


async def _remove(group: Group, user_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Remove those of the users who are members; the ones removed."""
    present = await _members_among(group, user_ids)
    gone = [user_id for user_id in user_ids if user_id in present]
    for chunk in _chunks(gone):
        await GroupMember.filter(group_id=group.id, user_id__in=chunk).delete()
    return gone


async def _replace(
    group: Group, users: dict[uuid.UUID, str | None]
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Make the members exactly these users; the ones added and the ones removed."""
    members = GroupMember.filter(group_id=group.id).values_list("user_id", flat=True)
    present = {uuid.UUID(str(i)) for i in await members}
    gone = [user_id for user_id in present if user_id not in users]
    if gone and not users:
        await GroupMember.filter(group_id=group.id).delete()
    else:
        for chunk in _chunks(gone):
            await GroupMember.filter(group_id=group.id, user_id__in=chunk).delete()
    added = [user_id for user_id in users if user_id not in present]
    await _insert(group, added, users)
    return added, gone


async def _change_members(
    group: Group, changes: Sequence[MembersChange], actor: Actor
) -> dict[str, Any]:
    """Apply the changes in order, and to the roles of the members who came or went when the
    group gives a role; what the audit event records of them."""
    added: dict[uuid.UUID, None] = {}
    gone: dict[uuid.UUID, None] = {}
    if changes:
        await _plan_each_lookup()
    for change in changes:
        if change.kind == "remove":  # ids that name no member (or no user) are no error
            named = (parse_id(member.user_id) for member in change.members)
            keys = list(dict.fromkeys(key for key in named if key))
            now_gone, now_added = await _remove(group, keys), []
        else:
            users = await _users(group.organization_id, change.members)
            if change.kind == "add":
                now_added, now_gone = await _add(group, users), []
            else:
                now_added, now_gone = await _replace(group, users)
        _net(now_added, added, gone)
        _net(now_gone, gone, added)
    audited: dict[str, Any] = {}
    for name, changed in (("members_added", added), ("members_removed", gone)):
        if changed:
            ids = [str(key) for key in changed]
            audited[name] = {"count": len(ids), "user_ids": ids[:_AUDITED_IDS]}
    if group.role_id is not None:
        await _settle(group.organization_id, [*added, *gone], actor)
    return audited


async def _settle(organization_id: int, user_ids: Sequence[uuid.UUID], actor: Actor) -> None:
    """The roles of these users, anew; an audit event for each one that changed."""
    await audit.record_all(await settle(organization_id, user_ids), actor)


async def _member_ids(group: Group) -> list[uuid.UUID]:
    rows = await GroupMember.filter(group_id=group.id).values_list("user_id", flat=True)
    return [uuid.UUID(str(user_id)) for user_id in rows]


async def _plan_each_lookup() -> None:
    """PostgreSQL: plan the membership lookups of this transaction for their own values. A
    connection otherwise reuses a generic plan made while the group was small, which reads
    every member row of the group to find the thousand named: a batch of members then cost
    more the larger the group grew (66 ms for the first thousand of a 50,000-member group, 1.2
    s for the last)."""
    db = GroupMember._meta.db  # the transaction's connection
    if db.capabilities.dialect == "postgres":
        await db.execute_script("SET LOCAL plan_cache_mode = force_custom_plan")


def _net(
    keys: Iterable[uuid.UUID], into: dict[uuid.UUID, None], undone: dict[uuid.UUID, None]
) -> None:
    """Count users added (or removed) by one change of a command: a user removed (or added)
    by an earlier change of it is back where it was, not changed twice."""
    for key in keys:
        if key in undone:
            del undone[key]
        else:
            into[key] = None


async def create_group(command: CreateGroup, actor: Actor) -> tuple[Group, AuditEntry]:
    group = Group(organization_id=organization_id_of(actor))
    _apply(group, command.display_name, command.external_id)
    await _check_name_free(group)
    await _save(group, new=True)
    changes = created(_snapshot(group))
    if command.members:
        changes.update(await _change_members(group, [MembersChange("add", command.members)], actor))
    return group, AuditEntry("group.created", "group", str(group.id), changes)


async def replace_group(command: ReplaceGroup, actor: Actor) -> tuple[Group, AuditEntry]:
    group = await group_for_update(actor, command.group_id, command.expected_version)
    before = _snapshot(group)
    _apply(group, command.display_name, command.external_id)
    if group.display_name_key != before["display_name"].casefold():
        await _check_name_free(group)
    members = await _change_members(group, [MembersChange("replace", command.members)], actor)
    changes = {**diff(before, _snapshot(group)), **members}
    if changes:
        await _save(group)
    return group, AuditEntry("group.replaced", "group", str(group.id), changes)


async def update_group(command: UpdateGroup, actor: Actor) -> tuple[Group, AuditEntry]:
    group = await group_for_update(actor, command.group_id, command.expected_version)
    before = _snapshot(group)
    unknown = set(command.changes) - set(_GROUP_FIELDS)
    if unknown:
        raise InvalidValue(", ".join(sorted(unknown)), "not a group attribute")
    wanted = {**before, **command.changes}
    _apply(group, str(wanted["display_name"] or ""), wanted["external_id"])
    if group.display_name_key != before["display_name"].casefold():
        await _check_name_free(group)
    members = await _change_members(group, command.members, actor)
    changes = {**diff(before, _snapshot(group)), **members}
    if changes:
        await _save(group)
    return group, AuditEntry("group.updated", "group", str(group.id), changes)


async def delete_group(command: DeleteGroup, actor: Actor) -> tuple[Group, AuditEntry]:
    group = await group_for_update(actor, command.group_id, command.expected_version)
    changes = removed(_snapshot(group))
    members = await _member_ids(group)
    if members:
        changes["members_removed"] = {"count": len(members)}
    await group.delete()  # its membership rows go with it
    if group.role_id is not None:
        await _settle(group.organization_id, members, actor)
    return group, AuditEntry("group.deleted", "group", str(group.id), changes)


async def set_group_role(command: SetGroupRole, actor: Actor) -> tuple[Group, AuditEntry]:
    group = await group_for_update(actor, command.group_id, command.expected_version)
    before = await _role_key(group.role_id)
    role = None
    if command.role is not None and command.role.strip():
        role = await resolve_role(group.organization_id, command.role)
    changes: dict[str, Any] = {}
    if (role.id if role else None) != group.role_id:
        group.role_id = role.id if role else None
        await _save(group)
        changes["role"] = {"before": before, "after": role.key if role else None}
        await _settle(group.organization_id, await _member_ids(group), actor)
    return group, AuditEntry("group.role_set", "group", str(group.id), changes)


async def _role_key(role_id: int | None) -> str | None:
    if role_id is None:
        return None
    role = await Role.get_or_none(id=role_id)
    return role.key if role else None
