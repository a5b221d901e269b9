"""The Query type: reads, each through a domain query with the acting admin."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from api.context import Context
from api.errors import ClientError, not_signed_in, query_error
from api.types import (
    ApiToken,
    AuditEvent,
    AuditEventConnection,
    AuditEventEdge,
    Group,
    GroupConnection,
    GroupEdge,
    HeldChange,
    Organization,
    PageInfo,
    ProvisioningRequest,
    ProvisioningRequestConnection,
    ProvisioningRequestEdge,
    Role,
    RoleOrigin,
    RoleString,
    ScimSetup,
    ScimToken,
    User,
    UserConnection,
    UserEdge,
    Viewer,
)
from domain import deprovisioning_guard, group_queries, provisioning_log, queries
from domain.actors import Actor
from domain.errors import DomainError, NotFound
from domain.models import TokenKind
from domain.paging import KeysetPage, OffsetPage, Page, decode_cursor, encode_cursor, id_cursor
from domain.provisioning_log import LogFilter
from domain.queries import UserFilter

MAX_FIRST = 200
DEFAULT_FIRST = 50
USER_SORT = "user_name"
PERMISSIONS_ROLE_NAMESPACE = "urn:ietf:params:scim:schemas:core:2.0:User"


def actor_of(info: Info[Context, None]) -> Actor:
    if info.context.actor is None:
        raise not_signed_in()
    return info.context.actor


@contextmanager
def domain_errors() -> Iterator[None]:
    try:
        yield
    except DomainError as error:
        raise query_error(error) from error


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_FIRST
    if not 0 <= first <= MAX_FIRST:
        raise ClientError(f"first must be between 0 and {MAX_FIRST}", "BAD_REQUEST")
    return first


def page_info(
    page: Page[Any], edges: Sequence[UserEdge | AuditEventEdge | ProvisioningRequestEdge]
) -> PageInfo:
    return PageInfo(
        has_next_page=page.next_cursor is not None,
        end_cursor=edges[-1].cursor if edges else None,
    )


async def viewer_of(actor: Actor) -> Viewer:
    admin = await queries.acting_admin(actor)
    return Viewer(
        user=User.of(admin.user),
        organization=Organization.of(admin.organization),
        permissions=sorted(permission.name for permission in actor.permissions),
    )


def _offset(after: str | None) -> int:
    """Where a page of groups starts: after the cursor's position."""
    if after is None:
        return 0
    try:
        (position,) = decode_cursor(after, 1)
        return max(0, int(position))
    except (DomainError, TypeError, ValueError) as error:
        raise ClientError("after is not a cursor this server issued", "BAD_REQUEST") from error


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in admin and their organization.")
    async def viewer(self, info: Info[Context, None]) -> Viewer:
        actor = actor_of(info)
        if actor.user_id is None:
            raise not_signed_in()
        return await viewer_of(actor)

    @strawberry.field
    async def organization(self, info: Info[Context, None]) -> Organization:
        with domain_errors():
            return Organization.of(await queries.organization(actor_of(info)))

    @strawberry.field(description="Users, by userName; `search` is a case-insensitive substring.")
    async def users(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
        active: bool | None = None,
        role: str | None = None,
        role_origin: RoleOrigin | None = None,
    ) -> UserConnection:
        actor = actor_of(info)
        filters = UserFilter(
            search=search,
            active=active,
            role=role,
            role_origin=role_origin.domain() if role_origin else None,
        )
        with domain_errors():
            page = await queries.list_users(
                actor, filters, page=KeysetPage(after, page_size(first)), sort=USER_SORT
            )
        edges = [
            UserEdge(cursor=queries.user_cursor(user, USER_SORT), node=User.of(user))
            for user in page.items
        ]
        return UserConnection(edges=edges, page_info=page_info(page, edges), total_count=page.total)

    @strawberry.field
    async def user(self, info: Info[Context, None], id: strawberry.ID) -> User | None:
        actor = actor_of(info)
        with domain_errors():
            try:
                return User.of(await queries.get_user(actor, str(id)))
            except NotFound:
                return None

    @strawberry.field(description="Groups, by name; `search` is a case-insensitive substring.")
    async def groups(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
    ) -> GroupConnection:
        actor = actor_of(info)
        offset = _offset(after)
        with domain_errors():
            page = await group_queries.list_groups(
                actor,
                search=search,
                page=OffsetPage(offset, page_size(first)),
                sort="display_name",
                with_members=False,
            )
        edges = [
            GroupEdge(cursor=encode_cursor([offset + n + 1]), node=Group.of(view.group))
            for n, view in enumerate(page.items)
        ]
        more = offset + len(edges) < page.total
        return GroupConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None),
            total_count=page.total,
        )

    @strawberry.field
    async def group(self, info: Info[Context, None], id: strawberry.ID) -> Group | None:
        actor = actor_of(info)
        with domain_errors():
            try:
                view = await group_queries.get_group(actor, str(id), with_members=False)
            except NotFound:
                return None
        return Group.of(view.group)

    @strawberry.field(description="The six built-in roles, then the custom roles.")
    async def roles(self, info: Info[Context, None]) -> list[Role]:
        with domain_errors():
            views = await queries.list_roles(actor_of(info))
        for view in views:  # the counts are known: spare the loader a query
            info.context.loaders.user_counts.prime(view.role.id, view.user_count)
        return [Role.of(view.role) for view in views]

    @strawberry.field
    async def role(self, info: Info[Context, None], id: strawberry.ID) -> Role | None:
        actor = actor_of(info)
        with domain_errors():
            try:
                return Role.of((await queries.get_role(actor, str(id))).role)
            except NotFound:
                return None

    @strawberry.field
    async def scim_tokens(self, info: Info[Context, None]) -> list[ScimToken]:
        with domain_errors():
            tokens = await queries.list_tokens(actor_of(info), TokenKind.SCIM)
        return [ScimToken.of(token) for token in tokens]

    @strawberry.field
    async def api_tokens(self, info: Info[Context, None]) -> list[ApiToken]:
        with domain_errors():
            tokens = await queries.list_tokens(actor_of(info), TokenKind.API)
        return [ApiToken.of(token) for token in tokens]

    @strawberry.field(description="The audit log, newest first.")
    async def audit_events(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        target_id: strawberry.ID | None = None,
        action: str | None = None,
    ) -> AuditEventConnection:
        with domain_errors():
            page = await queries.list_audit_events(
                actor_of(info),
                first=page_size(first),
                after=after,
                target_id=str(target_id) if target_id is not None else None,
                action=action,
            )
        edges = [
            AuditEventEdge(cursor=id_cursor(event), node=AuditEvent.of(event))
            for event in page.items
        ]
        return AuditEventConnection(
            edges=edges, page_info=page_info(page, edges), total_count=page.total
        )

    @strawberry.field(
        description="The provisioning log: the SCIM requests the organization's identity "
        "provider sent, newest first, kept for the retention period (for whoever may read the "
        "activity log). `failed`: only answers of 400 and above (true) or below (false); "
        "`requestId`: the request an audit event names."
    )
    async def provisioning_requests(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        user_id: strawberry.ID | None = None,
        status: int | None = None,
        failed: bool | None = None,
        method: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        request_id: str | None = None,
    ) -> ProvisioningRequestConnection:
        filters = LogFilter(
            user_id=str(user_id) if user_id is not None else None,
            status=status,
            failed=failed,
            method=method,
            since=since,
            until=until,
            request_id=request_id,
        )
        with domain_errors():
            page = await provisioning_log.entries(
                actor_of(info), filters, first=page_size(first), after=after
            )
        edges = [
            ProvisioningRequestEdge(cursor=id_cursor(entry), node=ProvisioningRequest.of(entry))
            for entry in page.items
        ]
        return ProvisioningRequestConnection(
            edges=edges, page_info=page_info(page, edges), total_count=page.total
        )

    @strawberry.field(
        description="What the mass-deactivation circuit breaker holds for review, and what "
        "an admin rejected, oldest first."
    )
    async def held_changes(self, info: Info[Context, None]) -> list[HeldChange]:
        with domain_errors():
            found = await deprovisioning_guard.held_changes(actor_of(info))
        return [HeldChange.of(change) for change in found]

    @strawberry.field(description="What Okta's setup needs, for the setup checklist.")
    async def scim_setup(self, info: Info[Context, None]) -> ScimSetup:
        with domain_errors():
            views = await queries.list_roles(actor_of(info))
        return ScimSetup(
            base_url=info.context.config.scim_base_url,
            data_type="string",
            display_name="Permissions role",
            variable_name="permissionsRole",
            external_name="permissionsRole",
            external_namespace=PERMISSIONS_ROLE_NAMESPACE,
            attribute_type="Group",
            role_strings=[RoleString(value=v.role.key, name=v.role.name) for v in views],
        )
