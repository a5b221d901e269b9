"""Reading groups, their members and the groups of users. Scoped to the actor's organization
and checking the actor's permission, like every query."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count

from domain.actors import Actor, organization_id_of
from domain.errors import InvalidValue, NotFound
from domain.group_presence import has_groups
from domain.ids import parse_id
from domain.models import Group, GroupMember, GroupRef, User
from domain.paging import OffsetPage, Page, clamp_count
from domain.permissions import Permission
from domain.text import require_storable

# Sort keys a caller may name, and the column each sorts by.
GROUP_SORTS: dict[str, str] = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "display_name": "display_name_key",
    "external_id": "external_id",
}


@dataclass(frozen=True, slots=True)
class Member:
    user_id: uuid.UUID
    display: str  # as the identity provider sent it, else the user's displayName or userName


@dataclass(frozen=True, slots=True)
class GroupView:
    group: Group
    members: list[Member] | None  # None: not read, the caller did not ask for them


async def get_group(actor: Actor, group_id: str, *, with_members: bool = True) -> GroupView:
    actor.require(Permission.GROUPS_READ)
    parsed = parse_id(group_id)
    group = None
    if parsed is not None:
        group = await Group.filter(organization_id=organization_id_of(actor), id=parsed).first()
    if group is None:
        raise NotFound("group", group_id)
    members = (await members_of([group.id]))[group.id] if with_members else None
    return GroupView(group, members)


async def list_groups(
    actor: Actor,
    where: Q | None = None,
    *,
    search: str | None = None,
    page: OffsetPage | None = None,
    sort: str = "created_at",
    descending: bool = False,
    with_members: bool = True,
) -> Page[GroupView]:
    """Groups of the actor's organization (those `where` selects; whose name holds `search`,
    in any case), in a stable order, with their members when asked: one query for the page
    and one for all of its members."""
    actor.require(Permission.GROUPS_READ)
    if sort not in GROUP_SORTS:
        raise InvalidValue("sort", f"sort by one of: {', '.join(GROUP_SORTS)}")
    page = page or OffsetPage()
    matching = Group.filter(organization_id=organization_id_of(actor))
    if where is not None:
        matching = matching.filter(where)
    if search is not None and search.strip():
        require_storable(search, "search")
        matching = matching.filter(display_name_key__contains=search.strip().casefold())
    column = GROUP_SORTS[sort]
    order = [f"-{column}", "-id"] if descending else [column, "id"]
    count, offset = clamp_count(page.count), max(0, page.offset)
    groups = await matching.order_by(*order).offset(offset).limit(count + 1)
    more = len(groups) > count
    groups = groups[:count]
    if not more and (groups or not offset):
        total = offset + len(groups)
    else:
        total = await matching.count()
    members = await members_of([group.id for group in groups]) if with_members else {}
    views = [GroupView(group, members[group.id] if with_members else None) for group in groups]
    return Page(items=views, total=total, next_cursor=None)


async def members_of(group_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Member]]:
    """Each group's members, in the order they joined (one query)."""
    found: dict[uuid.UUID, list[Member]] = {group_id: [] for group_id in group_ids}
    if not group_ids:
        return found
    rows = (
        await GroupMember.filter(group_id__in=list(group_ids))
        .order_by("id")
        .values_list("group_id", "user_id", "display", "user__display_name", "user__user_name")
    )
    for group_id, user_id, *names in rows:
        display = next(str(name) for name in names if name)  # as sent, else the user's
        found[uuid.UUID(str(group_id))].append(Member(uuid.UUID(str(user_id)), display))
    return found


async def with_groups(users: list[User]) -> list[User]:
    """Give each user (of one organization) the groups it belongs to, by name: one query, none
    in an organization that has no group."""
    if not users:
        return users
    if not await has_groups(users[0].organization_id):
        for user in users:
            user.group_refs = ()
        return users
    refs: dict[uuid.UUID, list[GroupRef]] = defaultdict(list)
    rows = (
        await GroupMember.filter(user_id__in=[user.id for user in users])
        .order_by("group__display_name_key")
        .values_list("user_id", "group_id", "group__display_name")
    )
    for user_id, group_id, display_name in rows:
        refs[uuid.UUID(str(user_id))].append(GroupRef(uuid.UUID(str(group_id)), display_name))
    for user in users:
        user.group_refs = tuple(refs.get(user.id, ()))
    return users


async def member_counts(group_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many members each group has (one query)."""
    counts = dict.fromkeys(group_ids, 0)
    rows = (
        await GroupMember.filter(group_id__in=list(group_ids))
        .annotate(members=Count("id"))
        .group_by("group_id")
        .values_list("group_id", "members")
    )
    counts.update({uuid.UUID(str(group_id)): int(n) for group_id, n in rows})
    return counts


async def groups_by_ids(group_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Group]:
    """The groups with these ids (one query), for loaders whose keys a scoped query found."""
    return {group.id: group for group in await Group.filter(id__in=list(group_ids))}


async def groups_of_users(user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Group]]:
    """The groups each user belongs to, by name (two queries), for loaders whose keys a
    scoped query found."""
    found: dict[uuid.UUID, list[Group]] = {user_id: [] for user_id in user_ids}
    rows = await GroupMember.filter(user_id__in=list(user_ids)).values_list("user_id", "group_id")
    groups = await groups_by_ids(list({uuid.UUID(str(group_id)) for _, group_id in rows}))
    for user_id, group_id in rows:
        found[uuid.UUID(str(user_id))].append(groups[uuid.UUID(str(group_id))])
    for listed in found.values():
        listed.sort(key=lambda group: group.display_name_key)
    return found


def with_member(condition: Q | None = None) -> Q:
    """Groups with at least one membership row (that meets `condition`, a `Q` over
    membership rows: `user_id`, when given)."""
    rows = GroupMember.all() if condition is None else GroupMember.filter(condition)
    return Q(id__in=Subquery(rows.values("group_id")))
