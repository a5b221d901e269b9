"""Reading the domain. Every query is scoped to the actor's organization and checks the
actor's permission, like the commands."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from domain import user_search
from domain.actors import Actor, organization_id_of
from domain.admins import admin_by_email
from domain.errors import InvalidCursor, InvalidValue, NotFound
from domain.ids import parse_id
from domain.models import (
    AuditEvent,
    Group,
    Organization,
    Role,
    RoleOrigin,
    Token,
    TokenKind,
    User,
    UserCount,
    UserValue,
)
from domain.paging import (
    KeysetPage,
    OffsetPage,
    Page,
    clamp_count,
    decode_cursor,
    encode_cursor,
    newest_first,
)
from domain.permissions import Permission
from domain.roles import BUILTIN_KEYS, resolve_role, with_roles
from domain.statements import Statement
from domain.text import fits, require_storable
from domain.walks import Walks

# Sort keys a caller may name, and the column each sorts by. All are NOT NULL, so a keyset
# (value, id) is a total order.
USER_SORTS: dict[str, str] = {
    "id": "id",
    "user_name": "user_name_key",
    "created_at": "created_at",
    "updated_at": "updated_at",
}
_DATETIME_SORTS = frozenset({"created_at", "updated_at"})
# Sorts on columns that may be empty: offset paging only (users without a value come first or
# last depending on the database).
USER_OFFSET_SORTS: dict[str, str] = {
    "display_name": "display_name",
    "given_name": "given_name",
    "family_name": "family_name",
    "external_id": "external_id",
    "title": "title",
    "email": "email_key",
    "active": "active",
}
_ALL_SORTS = {**USER_SORTS, **USER_OFFSET_SORTS}


async def organization_by_slug(slug: str) -> Organization:
    organization = await Organization.get_or_none(slug=slug.strip())
    if organization is None:
        raise NotFound("organization", slug)
    return organization


@dataclass(frozen=True, slots=True)
class OrganizationSummary:
    organization: Organization
    user_count: int  # deactivated users included


async def list_organizations(actor: Actor) -> list[OrganizationSummary]:
    """Every organization of the installation, oldest first, with its number of users: the
    operator's view (no admin of one organization may see the others)."""
    actor.require(Permission.ORGANIZATIONS_CREATE)
    organizations = await Organization.all().order_by("created_at", "id")
    counts = dict(
        await User.all()
        .annotate(n=Count("id"))
        .group_by("organization_id")
        .values_list("organization_id", "n")
    )
    return [OrganizationSummary(o, int(counts.get(o.id, 0))) for o in organizations]


async def admin(actor: Actor, email: str) -> User:
    """An admin of the actor's organization, by email, with its role."""
    actor.require(Permission.ADMINS_MANAGE)
    return await admin_by_email(organization_id_of(actor), email)


async def organization(actor: Actor) -> Organization:
    actor.require(Permission.USERS_READ)
    return await Organization.get(id=organization_id_of(actor))


# --- users --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserFilter:
    """The settings page's filters; `where` is a facade's own translated filter (SCIM).

    `user_name` names one user (userName is unique in an organization, whatever its case):
    the listing holds at most that user, read by the organization's unique userName index,
    with no ORDER BY, LIMIT or COUNT (Okta asks this before every create). `email` names the
    users who have that email address among theirs (whatever its case): they are found in the
    index of emails first, then read by id, so that no database walks the organization's
    users to find them."""

    search: str | None = None
    active: bool | None = None
    role: str | None = None
    role_origin: RoleOrigin | None = None
    user_name: str | None = None
    email: str | None = None
    where: Q | None = None
    where_text: str | None = None  # what the filter was translated from: it names the listing

    def listing(self) -> str | None:
        """What names this filter among listings that walks continue; None when it cannot
        be named (a `where` without its text)."""
        if self.where is not None and self.where_text is None:
            return None
        parts = [self.search, self.active, self.role, self.role_origin, self.where_text]
        named = [self.user_name, self.email]
        if all(name is None for name in named):
            return self.where_text or "" if not any(parts[:4]) else json.dumps(parts)
        return json.dumps([*parts, *named])

    def selects_everyone(self) -> bool:
        """Whether the filter lets every user of the organization through."""
        searched = bool(self.search and self.search.strip())
        named = (self.user_name, self.email, self.where)
        conditions = (self.active, self.role, self.role_origin, *named)
        return not searched and all(condition is None for condition in conditions)


@dataclass(frozen=True, slots=True)
class ActingAdmin:
    user: User  # with its role
    organization: Organization


async def acting_admin(actor: Actor) -> ActingAdmin:
    """The admin behind the actor (signed in, or through a personal API token) and their
    organization: what every admin may read of themself, whatever their role."""
    parsed = parse_id(actor.user_id) if actor.user_id is not None else None
    user = None
    if parsed is not None:
        user = await User.filter(id=parsed).prefetch_related("role", "organization").first()
    if user is None:
        raise NotFound("admin", actor.label)
    return ActingAdmin(user, user.organization)


async def users_by_ids(user_ids: Sequence[str]) -> dict[str, User]:
    """Users with their roles, by id, for loaders whose ids a scoped query found already."""
    ids = [parsed for parsed in map(parse_id, user_ids) if parsed is not None]
    return {str(user.id): user for user in await User.filter(id__in=ids).prefetch_related("role")}


async def roles_by_ids(role_ids: Sequence[int]) -> dict[int, Role]:
    """Roles by id, for loaders whose ids a scoped query found already."""
    return {role.id: role for role in await Role.filter(id__in=list(role_ids))}


async def user_counts_by_role(role_ids: Sequence[int]) -> dict[int, int]:
    """How many users hold each role (0 for a role nobody holds)."""
    rows = (
        await User.filter(role_id__in=list(role_ids))
        .annotate(n=Count("id"))
        .group_by("role_id")
        .values_list("role_id", "n")
    )
    counts = dict.fromkeys(role_ids, 0)
    counts.update({int(role_id): int(n) for role_id, n in rows})
    return counts


def _user_by_id(organization_id: int, user_id: uuid.UUID) -> QuerySet[User]:
    return User.filter(organization_id=organization_id, id=user_id).limit(1)


def _user_by_id_values(organization_id: int, user_id: uuid.UUID) -> list[object]:
    return [organization_id, str(user_id), 1]


_USER_BY_ID = Statement(User, _user_by_id, _user_by_id_values)


def _user_by_name(organization_id: int, user_name_key: str) -> QuerySet[User]:
    return User.filter(organization_id=organization_id, user_name_key=user_name_key)


def _user_by_name_values(organization_id: int, user_name_key: str) -> list[object]:
    return [organization_id, user_name_key]


_USER_BY_NAME = Statement(User, _user_by_name, _user_by_name_values)


async def get_user(actor: Actor, user_id: str) -> User:
    actor.require(Permission.USERS_READ)
    parsed = parse_id(user_id)
    found = await _USER_BY_ID.rows(organization_id_of(actor), parsed) if parsed else []
    if not found:
        raise NotFound("user", user_id)
    await with_roles(found)
    return found[0]


async def _user_queryset(actor: Actor, filters: UserFilter) -> QuerySet[User]:
    organization_id = organization_id_of(actor)
    query = User.filter(organization_id=organization_id)
    if filters.search and filters.search.strip():
        text = filters.search.strip()
        require_storable(text, "search")
        query = query.filter(user_search.matching(text))
    if filters.active is not None:
        query = query.filter(active=filters.active)
    if filters.role is not None:
        role = await resolve_role(organization_id, filters.role)
        query = query.filter(role_id=role.id)
    if filters.role_origin is not None:
        query = query.filter(role_origin=filters.role_origin)
    if filters.user_name is not None:
        query = query.filter(user_name_key=filters.user_name.casefold())
    if filters.email is not None:
        query = query.filter(id__in=await _with_email(filters.email))
    if filters.where is not None:
        query = query.filter(filters.where)
    return query


async def _with_email(email: str) -> list[uuid.UUID]:
    """The ids of the users who have `email` among their emails (of any organization: the
    listing keeps its own)."""
    key = email.casefold()
    if not fits(UserValue, "value_key", key):
        return []  # longer than any stored email: nobody has it
    rows = await UserValue.filter(attribute="emails", value_key=key).only("user_id")
    return [row.user_id for row in rows]


def _sort_value(user: User, sort: str) -> Any:
    value = getattr(user, USER_SORTS[sort])
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _after(sort: str, descending: bool, cursor: str) -> Q:
    value, last_id = decode_cursor(cursor, 2)
    column = USER_SORTS[sort]
    if not isinstance(value, str) or not fits(User, column, value):
        raise InvalidCursor()
    try:
        last = uuid.UUID(str(last_id))
        key: Any = datetime.fromisoformat(value) if sort in _DATETIME_SORTS else value
        if sort == "id":
            key = uuid.UUID(str(value))
    except (ValueError, TypeError) as error:
        raise InvalidCursor() from error
    op = "lt" if descending else "gt"
    if sort == "id":
        return Q(id__lt=last) if descending else Q(id__gt=last)
    beyond: dict[str, Any] = {f"{column}__{op}": key}
    tie: dict[str, Any] = {column: key, f"id__{op}": last}
    # the outer bound lets the database start its index scan at the cursor
    return Q(**{f"{column}__{op}e": key}) & (Q(**beyond) | Q(**tie))


async def list_users(
    actor: Actor,
    filters: UserFilter | None = None,
    *,
    page: OffsetPage | KeysetPage | None = None,
    sort: str = "id",
    descending: bool = False,
    walks: Walks | None = None,
) -> Page[User]:
    """Users of the actor's organization, with their roles, in a stable order.

    With `walks`, a page that continues a walk through the same listing (it starts where a
    page served a moment ago ended) is read from that page's last row, by keyset, at the same
    cost at any depth, and tells the total counted then instead of counting again."""
    actor.require(Permission.USERS_READ)
    if sort not in _ALL_SORTS:
        raise InvalidValue("sort", f"sort by one of: {', '.join(_ALL_SORTS)}")
    page = page or KeysetPage()
    keyset = sort in USER_SORTS
    if isinstance(page, KeysetPage) and not keyset:
        raise InvalidValue("sort", f"cursor paging sorts by one of: {', '.join(USER_SORTS)}")
    filters = filters or UserFilter()
    if filters.user_name is not None:
        return await _named_user(actor, filters, page, sort, descending)
    matching = await _user_queryset(actor, filters)
    named = filters.listing() if walks is not None and keyset else None
    listing = (organization_id_of(actor), named, sort, descending) if named is not None else None
    offset = max(0, page.offset) if isinstance(page, OffsetPage) else 0
    after = page.after if isinstance(page, KeysetPage) else None
    if walks is not None and listing is not None and offset:
        after = await walks.cursor_before(listing, offset)
    known_total = await walks.total(listing) if walks and listing and after else None

    query = matching.filter(_after(sort, descending, after)) if after else matching.offset(offset)
    column = _ALL_SORTS[sort]
    order = [f"-{column}", "-id"] if descending else [column, "id"]
    count = clamp_count(page.count)
    users = await query.order_by(*order[: 1 if sort == "id" else 2]).limit(count + 1)
    more = len(users) > count
    users = await with_roles(users[:count])
    seen = offset + len(users)  # rows up to the page's end, when the page is an offset's
    if not more and (isinstance(page, OffsetPage) or not after) and (users or not offset):
        total = seen  # the page reached the end: no need to count
    elif known_total is not None:
        total = max(known_total, seen + more)  # at least what is in sight
    else:
        total = await _total(organization_id_of(actor), filters, matching)
    next_cursor = user_cursor(users[-1], sort) if more and users and keyset else None

    if walks is not None and listing is not None:
        if known_total is None:
            await walks.counted(listing, total)
        if isinstance(page, OffsetPage) and next_cursor:
            await walks.page_ended(listing, seen, next_cursor)
    return Page(items=users, total=total, next_cursor=next_cursor)


async def _total(organization_id: int, filters: UserFilter, matching: QuerySet[User]) -> int:
    """How many users the listing holds: for every user of the organization, the count the
    database keeps (one row), else a COUNT over the users that match."""
    if filters.selects_everyone():
        slots = await UserCount.filter(organization_id=organization_id).values("users")
        if slots:
            return sum(int(slot["users"]) for slot in slots)
    return await matching.count()


async def _named_user(
    actor: Actor, filters: UserFilter, page: OffsetPage | KeysetPage, sort: str, descending: bool
) -> Page[User]:
    """The listing of a filter that names one user by userName: that user (if it exists and
    meets the other conditions) on the page that starts the listing, and a total of 0 or 1.
    One query on the unique index (two after a cursor), whatever the organization's size."""
    assert filters.user_name is not None
    if not fits(User, "user_name_key", filters.user_name.casefold()):
        return Page(items=[], total=0, next_cursor=None)  # longer than any userName: nobody
    count = clamp_count(page.count)
    after = page.after if isinstance(page, KeysetPage) else None
    # at most one row: the key is unique in the organization; a bare lookup by userName (Okta's
    # before every create) is a statement built once
    bare = not after and dataclasses.replace(filters, user_name=None).selects_everyone()
    matching = None if bare else await _user_queryset(actor, filters)
    if matching is None:
        key = filters.user_name.casefold()
        found = await _USER_BY_NAME.rows(organization_id_of(actor), key)
    else:
        found = await matching
    if isinstance(page, OffsetPage):
        shown = found[max(0, page.offset) :][:count]
    elif after and matching is not None:
        shown = (await matching.filter(_after(sort, descending, after)) if found else [])[:count]
    else:
        shown = found[:count]
    return Page(items=await with_roles(shown), total=len(found), next_cursor=None)


def user_cursor(user: User, sort: str = "id") -> str:
    """The cursor that continues a keyset walk (in `sort` order) after this user."""
    return encode_cursor([_sort_value(user, sort), str(user.id)])


# --- roles --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoleView:
    role: Role
    user_count: int


async def list_roles(actor: Actor) -> list[RoleView]:
    """The six built-in roles in their fixed order, then the custom roles by name."""
    actor.require(Permission.ROLES_READ)
    organization_id = organization_id_of(actor)
    roles = await Role.filter(organization_id=organization_id)
    counts = dict(
        await User.filter(organization_id=organization_id)
        .annotate(n=Count("id"))
        .group_by("role_id")
        .values_list("role_id", "n")
    )
    builtin_order = {key: index for index, key in enumerate(BUILTIN_KEYS)}
    roles.sort(
        key=lambda r: (0, builtin_order[r.key], "") if r.builtin else (1, 0, r.name.casefold())
    )
    return [RoleView(role, int(counts.get(role.id, 0))) for role in roles]


async def get_role(actor: Actor, key: str) -> RoleView:
    actor.require(Permission.ROLES_READ)
    organization_id = organization_id_of(actor)
    role = None
    if fits(Role, "key", key):
        role = await Role.get_or_none(organization_id=organization_id, key=key)
    if role is None:
        raise NotFound("role", key)
    return RoleView(role, await User.filter(role_id=role.id).count())


# --- tokens and audit ---------------------------------------------------------------------


async def list_tokens(actor: Actor, kind: TokenKind) -> list[Token]:
    """Tokens of one kind, newest first (never their secrets: only digests are stored)."""
    permission = (
        Permission.SCIM_TOKENS_MANAGE if kind is TokenKind.SCIM else Permission.API_TOKENS_MANAGE
    )
    actor.require(permission)
    return (
        await Token.filter(organization_id=organization_id_of(actor), kind=kind)
        .order_by("-created_at", "-id")
        .prefetch_related("user")
    )


async def active_token_counts() -> dict[str, int]:
    """Tokens that are not revoked, by kind, over every organization (for the operator's
    metrics; sessions are not counted: they end by themselves)."""
    rows = (
        await Token.filter(revoked_at=None, kind__in=[TokenKind.SCIM, TokenKind.API])
        .annotate(n=Count("id"))
        .group_by("kind")
        .values_list("kind", "n")
    )
    counts = dict.fromkeys((TokenKind.SCIM.value, TokenKind.API.value), 0)
    counts.update({str(kind): int(n) for kind, n in rows})
    return counts


async def list_audit_events(
    actor: Actor,
    *,
    first: int = 50,
    after: str | None = None,
    target_id: str | None = None,
    action: str | None = None,
) -> Page[AuditEvent]:
    """The organization's audit log, newest first."""
    actor.require(Permission.AUDIT_READ)
    query = AuditEvent.filter(organization_id=organization_id_of(actor))
    for column, value in (("target_id", target_id), ("action", action)):
        if value is not None and not fits(AuditEvent, column, value):
            return Page(items=[], total=0, next_cursor=None)  # no event holds such a value
    if target_id is not None:
        query = query.filter(target_id=target_id)
    if action is not None:
        query = query.filter(action=action)
    return await newest_first(query, first, after)


AuditTarget = User | Role | Token | Group
TargetKey = tuple[str, str]  # an audit event's (target_type, target_id)


async def audit_targets(actor: Actor, keys: Sequence[TargetKey]) -> list[AuditTarget | None]:
    """What each (target type, target id) of the actor's audit log names now, in order: a user
    of the actor's organization (with its role), a role by its key, a token or a group; None
    where it no longer exists, or the actor may not see it (users need USERS_READ, roles
    ROLES_READ, groups GROUPS_READ, a token the permission that manages its kind, as in the
    listings). At most one query per
    kind of target (two for users, with their roles), however many keys."""
    actor.require(Permission.AUDIT_READ)
    organization_id = organization_id_of(actor)
    found: dict[TargetKey, AuditTarget] = {}
    if Permission.USERS_READ in actor.permissions:
        found.update(await _user_targets(organization_id, _ids_of("user", keys)))
    if Permission.ROLES_READ in actor.permissions:
        found.update(await _role_targets(organization_id, _ids_of("role", keys)))
    if Permission.GROUPS_READ in actor.permissions:
        found.update(await _group_targets(organization_id, _ids_of("group", keys)))
    kinds = [
        kind for kind, permission in _TOKEN_PERMISSIONS.items() if permission in actor.permissions
    ]
    if kinds:
        found.update(await _token_targets(organization_id, kinds, _ids_of("token", keys)))
    return [found.get(key) for key in keys]


_TOKEN_PERMISSIONS = {
    TokenKind.SCIM: Permission.SCIM_TOKENS_MANAGE,
    TokenKind.API: Permission.API_TOKENS_MANAGE,
}


def _ids_of(target_type: str, keys: Sequence[TargetKey]) -> set[str]:
    return {target_id for kind, target_id in keys if kind == target_type}


def _uuids(ids: set[str]) -> dict[uuid.UUID, list[str]]:
    """Each id that is a UUID, by its value (an id recorded from a request may be spelled
    another way than the row's)."""
    parsed: dict[uuid.UUID, list[str]] = {}
    for target_id in ids:
        value = parse_id(target_id)
        if value is not None:
            parsed.setdefault(value, []).append(target_id)
    return parsed


async def _user_targets(organization_id: int, ids: set[str]) -> dict[TargetKey, AuditTarget]:
    wanted = _uuids(ids)
    if not wanted:
        return {}
    users = await with_roles(
        await User.filter(organization_id=organization_id, id__in=list(wanted))
    )
    return {("user", target_id): user for user in users for target_id in wanted[user.id]}


async def _role_targets(organization_id: int, keys: set[str]) -> dict[TargetKey, AuditTarget]:
    keys = {key for key in keys if fits(Role, "key", key)}
    if not keys:
        return {}
    roles = await Role.filter(organization_id=organization_id, key__in=list(keys))
    return {("role", role.key): role for role in roles}


async def _group_targets(organization_id: int, ids: set[str]) -> dict[TargetKey, AuditTarget]:
    wanted = _uuids(ids)
    if not wanted:
        return {}
    groups = await Group.filter(organization_id=organization_id, id__in=list(wanted))
    return {("group", target_id): group for group in groups for target_id in wanted[group.id]}


async def _token_targets(
    organization_id: int, kinds: list[TokenKind], ids: set[str]
) -> dict[TargetKey, AuditTarget]:
    wanted = _uuids(ids)
    if not wanted:
        return {}
    tokens = await Token.filter(
        organization_id=organization_id, id__in=list(wanted), kind__in=kinds
    )
    return {("token", target_id): token for token in tokens for target_id in wanted[token.id]}
