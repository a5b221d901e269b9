"""The GraphQL object types, each built from a domain model."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context, GraphQLConfig
from api.errors import query_error
from domain import sso
from domain.audit import recorded_name
from domain.credentials import display_prefix
from domain.errors import DomainError, InvalidToken
from domain.models import AuditEvent as AuditEventModel
from domain.models import Group as GroupModel
from domain.models import HeldChange as HeldChangeModel
from domain.models import Organization as OrganizationModel
from domain.models import ProvisioningRequest as ProvisioningRequestModel
from domain.models import Role as RoleModel
from domain.models import RoleOrigin as DomainRoleOrigin
from domain.models import SsoConnection as SsoConnectionModel
from domain.models import SsoProtocol, TokenKind
from domain.models import Token as TokenModel
from domain.models import User as UserModel
from domain.provisioning_log import ALWAYS_REDACTED
from domain.queries import AuditTarget as AuditTargetModel
from domain.roles import default_role


@strawberry.enum(description="Where a user's role came from.")
class RoleOrigin(Enum):
    IDENTITY_PROVIDER = "identity_provider"
    GROUP = "group"
    MANUAL = "manual"
    DEFAULT = "default"

    @classmethod
    def of(cls, origin: DomainRoleOrigin) -> RoleOrigin:
        return cls(origin.value)

    def domain(self) -> DomainRoleOrigin:
        return DomainRoleOrigin(self.value)


@strawberry.enum(description="The door a change came through.")
class Channel(Enum):
    SCIM = "SCIM"
    GRAPHQL = "GRAPHQL"
    CLI = "CLI"


@strawberry.type
class Role:
    id: strawberry.ID = strawberry.field(description="The role's key.")
    key: str = strawberry.field(
        description="What to type into Okta: a built-in string or the custom role's ID."
    )
    name: str
    description: str
    built_in: bool
    permission_level: str = strawberry.field(description="The built-in role it is based on.")
    restricted_apps: list[str]
    pk: strawberry.Private[int]

    @strawberry.field
    async def user_count(self, info: Info[Context, None]) -> int:
        return await info.context.loaders.user_counts.load(self.pk)

    @classmethod
    def of(cls, role: RoleModel) -> Role:
        return cls(
            id=strawberry.ID(role.key),
            key=role.key,
            name=role.name,
            description=role.description,
            built_in=role.builtin,
            permission_level=role.permission_level,
            restricted_apps=list(role.restricted_apps),
            pk=role.id,
        )


@strawberry.type(
    description="A group of the organization's users, pushed by the identity provider."
)
class Group:
    id: strawberry.ID
    display_name: str
    external_id: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    role_pk: strawberry.Private[int | None]
    pk: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The role the group gives its members; null: none.")
    async def role(self, info: Info[Context, None]) -> Role | None:
        if self.role_pk is None:
            return None
        role = await info.context.loaders.roles.load(self.role_pk)
        return Role.of(role) if role is not None else None

    @strawberry.field
    async def member_count(self, info: Info[Context, None]) -> int:
        return await info.context.loaders.member_counts.load(self.pk)

    @classmethod
    def of(cls, group: GroupModel) -> Group:
        return cls(
            id=strawberry.ID(str(group.id)),
            display_name=group.display_name,
            external_id=group.external_id,
            created_at=group.created_at,
            updated_at=group.updated_at,
            version=group.version,
            role_pk=group.role_id,
            pk=group.id,
        )


@strawberry.type(description="Where a user's role comes from.")
class RoleSource:
    origin: RoleOrigin
    group_pk: strawberry.Private[uuid.UUID | None]

    async def _group(self, info: Info[Context, None]) -> GroupModel | None:
        if self.group_pk is None:
            return None
        return await info.context.loaders.groups.load(self.group_pk)

    @strawberry.field(description="The group whose role the user has (origin GROUP).")
    async def group(self, info: Info[Context, None]) -> Group | None:
        group = await self._group(info)
        return Group.of(group) if group is not None else None

    @strawberry.field(description="As the settings page says it.")
    async def label(self, info: Info[Context, None]) -> str:
        if self.origin is RoleOrigin.GROUP:
            group = await self._group(info)
            return f"from group {group.display_name}" if group else "from a group"
        return _SOURCE_LABELS[self.origin]


_SOURCE_LABELS = {
    RoleOrigin.IDENTITY_PROVIDER: "from the identity provider",
    RoleOrigin.MANUAL: "set by hand",
    RoleOrigin.DEFAULT: "the organization's default",
}


@strawberry.type
class Email:
    value: str
    type: str | None
    primary: bool


@strawberry.type
class User:
    id: strawberry.ID
    user_name: str
    display_name: str | None
    given_name: str | None
    family_name: str | None
    emails: list[Email]
    active: bool
    external_id: str | None
    role: Role
    role_origin: RoleOrigin
    role_source: RoleSource
    created_at: datetime
    updated_at: datetime
    version: int
    pk: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The groups the user belongs to, by name.")
    async def groups(self, info: Info[Context, None]) -> list[Group]:
        return [Group.of(group) for group in await info.context.loaders.user_groups.load(self.pk)]

    @classmethod
    def of(cls, user: UserModel) -> User:
        return cls(
            id=strawberry.ID(str(user.id)),
            user_name=user.user_name,
            display_name=user.display_name,
            given_name=user.given_name,
            family_name=user.family_name,
            emails=[
                Email(value=e["value"], type=e.get("type"), primary=bool(e.get("primary")))
                for e in user.emails
            ],
            active=user.active,
            external_id=user.external_id,
            role=Role.of(user.role),
            role_origin=RoleOrigin.of(user.role_origin),
            role_source=RoleSource(
                origin=RoleOrigin.of(user.role_origin), group_pk=user.role_group_id
            ),
            created_at=user.created_at,
            updated_at=user.updated_at,
            version=user.version,
            pk=user.id,
        )


async def user_by_id(info: Info[Context, None], user_id: str | None) -> User | None:
    """The user with this id, through the request's loader (None for none)."""
    if user_id is None:
        return None
    user = await info.context.loaders.users.load(user_id)
    return User.of(user) if user is not None else None


@strawberry.type
class Organization:
    id: strawberry.ID
    slug: str
    name: str
    sso_enforced: bool = strawberry.field(
        description="Password sign-in is off but for the break-glass super-admin: people sign "
        "in through the identity provider."
    )
    provisioning_paused_at: datetime | None = strawberry.field(
        description="Since when the identity provider's writes wait (it retries them); null "
        "while provisioning runs. Its reads still answer."
    )
    provisioning_paused_by: str | None = strawberry.field(
        description="Who paused provisioning, as the activity log names them."
    )
    deprovisioning_guard: DeprovisioningGuard = strawberry.field(
        description="The mass-deactivation circuit breaker: its threshold and whether it holds "
        "the identity provider's deactivations now."
    )
    created_at: datetime
    updated_at: datetime
    default_role_key: strawberry.Private[str]
    break_glass_pk: strawberry.Private[uuid.UUID | None]
    pk: strawberry.Private[int]
    log_redacted: strawberry.Private[list[str]]

    @strawberry.field(
        description="What the provisioning log keeps no value of: passwords, the attributes "
        "the installation names and those the organization's admin names."
    )
    def request_log_redaction(self, info: Info[Context, None]) -> RequestLogRedaction:
        return RequestLogRedaction(
            always=sorted(ALWAYS_REDACTED),
            installation=list(info.context.config.request_log_redacted),
            organization=self.log_redacted,
        )

    @strawberry.field(description="Who may still sign in with a password when SSO is enforced.")
    async def break_glass_user(self, info: Info[Context, None]) -> User | None:
        glass = self.break_glass_pk
        return await user_by_id(info, str(glass) if glass is not None else None)

    @strawberry.field(description="The role of users that arrive without a role string.")
    async def default_role(self) -> Role:
        return Role.of(await default_role(self.pk))

    @strawberry.field(
        description="How the organization's people sign in through its identity provider: "
        "at most one OpenID Connect and one SAML connection (for whoever may configure them)."
    )
    async def sso_connections(self, info: Info[Context, None]) -> list[SsoConnection]:
        try:
            if info.context.actor is None:
                raise InvalidToken()
            found = await sso.connections(info.context.actor)
        except DomainError as error:  # as the queries answer them (a GraphQL error and code)
            raise query_error(error) from error
        config = info.context.config
        return [SsoConnection.of(connection, config, self.slug) for connection in found]

    @classmethod
    def of(cls, organization: OrganizationModel) -> Organization:
        return cls(
            id=strawberry.ID(organization.slug),
            slug=organization.slug,
            name=organization.name,
            sso_enforced=organization.sso_enforced,
            provisioning_paused_at=organization.provisioning_paused_at,
            provisioning_paused_by=organization.provisioning_paused_by,
            deprovisioning_guard=DeprovisioningGuard.of(organization),
            created_at=organization.created_at,
            updated_at=organization.updated_at,
            default_role_key=organization.default_role_key,
            break_glass_pk=organization.break_glass_user_id,
            pk=organization.id,
            log_redacted=list(organization.request_log_redacted or ()),
        )


@strawberry.type(
    description="SCIM attributes whose values the provisioning log replaces with [redacted] "
    "before storing a request, wherever they appear: a key of the resource (core, dotted, or "
    "qualified by its schema's URN), a PATCH operation's path, a filter."
)
class RequestLogRedaction:
    always: list[str] = strawberry.field(description="Whatever the configuration: passwords.")
    installation: list[str] = strawberry.field(
        description="Those the installation's operator names (ROSTER_REQUEST_LOG_REDACT)."
    )
    organization: list[str] = strawberry.field(
        description="Those the organization's admin names (setRequestLogRedaction)."
    )


@strawberry.type
class DeprovisioningGuard:
    enabled: bool
    percent: int = strawberry.field(description="Held beyond this share of the active users…")
    minimum: int = strawberry.field(description="…once at least this many people…")
    window_minutes: int = strawberry.field(description="…are deactivated or deleted within this.")
    tripped_at: datetime | None = strawberry.field(
        description="Since when it holds every deactivation and delete; null: it is closed."
    )

    @classmethod
    def of(cls, organization: OrganizationModel) -> DeprovisioningGuard:
        return cls(
            enabled=organization.deprovisioning_guard,
            percent=organization.deprovisioning_guard_percent,
            minimum=organization.deprovisioning_guard_minimum,
            window_minutes=organization.deprovisioning_guard_minutes,
            tripped_at=organization.deprovisioning_guard_tripped_at,
        )


@strawberry.type(
    description="A deactivation or delete the circuit breaker holds for review (status held), "
    "or one an admin rejected (held again if the identity provider sends it again)."
)
class HeldChange:
    id: strawberry.ID
    user_id: strawberry.ID
    user_name: str
    kind: str = strawberry.field(description="deactivate, delete, update or replace")
    token_name: str = strawberry.field(description="The SCIM token that sent it.")
    held_at: datetime
    status: str = strawberry.field(description="held or rejected")

    @strawberry.field(description="The user as they are now; null once deleted.")
    async def user(self, info: Info[Context, None]) -> User | None:
        return await user_by_id(info, str(self.user_id))

    @classmethod
    def of(cls, change: HeldChangeModel) -> HeldChange:
        return cls(
            id=strawberry.ID(str(change.id)),
            user_id=strawberry.ID(str(change.user_id)),
            user_name=change.user_name,
            kind=change.kind,
            token_name=change.token_label,
            held_at=change.held_at,
            status=change.status.value,
        )


@strawberry.type
class SsoConnection:
    id: strawberry.ID
    protocol: str = strawberry.field(description="oidc or saml")
    issuer: str = strawberry.field(
        description="OIDC: the provider's issuer URL. SAML: the identity provider's entity ID."
    )
    client_id: str | None = strawberry.field(description="OIDC: Roster's client ID there.")
    client_secret_hint: str | None = strawberry.field(
        description="OIDC: the client secret's last characters; the secret is never shown again."
    )
    redirect_uri: str = strawberry.field(
        description="Where the identity provider sends people back: OIDC's redirect URI, "
        "SAML's assertion consumer service (ACS) URL."
    )
    sso_url: str | None = strawberry.field(
        description="SAML: the identity provider's single sign-on URL, from its metadata."
    )
    metadata_url: str | None = strawberry.field(
        description="SAML: where the identity provider's metadata was read; null when pasted."
    )
    sp_entity_id: str | None = strawberry.field(
        description="SAML: Roster's entity ID, the audience its assertions must name."
    )
    tested_at: datetime | None = strawberry.field(
        description="When a sign-in through it last succeeded; null: never since it changed."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(
        cls, connection: SsoConnectionModel, config: GraphQLConfig, organization_slug: str
    ) -> SsoConnection:
        saml = connection.protocol == SsoProtocol.SAML
        provider = connection.provider
        return cls(
            id=strawberry.ID(str(connection.id)),
            protocol=connection.protocol.value,
            issuer=connection.issuer,
            client_id=connection.client_id,
            client_secret_hint=connection.client_secret_hint,
            redirect_uri=config.saml_acs_url if saml else config.sso_redirect_uri,
            sso_url=provider.get("sso_url") if saml else None,
            metadata_url=provider.get("metadata_url") if saml else None,
            sp_entity_id=config.saml_entity_id(organization_slug) if saml else None,
            tested_at=connection.tested_at,
            created_at=connection.created_at,
            updated_at=connection.updated_at,
        )


@strawberry.interface
class TokenFields:
    id: strawberry.ID
    name: str
    prefix: str = strawberry.field(description="Enough to recognise the token; never the secret.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    creator_id: strawberry.Private[str | None]

    @strawberry.field
    async def created_by(self, info: Info[Context, None]) -> User | None:
        return await user_by_id(info, self.creator_id)


def _token_values(token: TokenModel) -> dict[str, Any]:
    return {
        "id": strawberry.ID(str(token.id)),
        "name": token.name,
        "prefix": display_prefix(token.lookup, token.kind),
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "creator_id": str(token.user_id) if token.user_id else None,
    }


@strawberry.type
class ScimToken(TokenFields):
    @classmethod
    def of(cls, token: TokenModel) -> ScimToken:
        return cls(**_token_values(token))


@strawberry.type
class ApiToken(TokenFields):
    @classmethod
    def of(cls, token: TokenModel) -> ApiToken:
        return cls(**_token_values(token))


@strawberry.type
class AuditActor:
    kind: str = strawberry.field(description="admin, api_token, scim_token or operator")
    label: str = strawberry.field(description="Who it was, as text.")
    id: strawberry.ID | None


AuditTarget = Annotated[
    User | Role | ScimToken | ApiToken | Group,
    strawberry.union("AuditTarget", description="What an audit event concerns."),
]


def audit_target(target: AuditTargetModel) -> User | Role | ScimToken | ApiToken | Group:
    if isinstance(target, UserModel):
        return User.of(target)
    if isinstance(target, RoleModel):
        return Role.of(target)
    if isinstance(target, GroupModel):
        return Group.of(target)
    return ScimToken.of(target) if target.kind is TokenKind.SCIM else ApiToken.of(target)


@strawberry.type
class AuditEvent:
    id: strawberry.ID
    at: datetime
    actor: AuditActor
    channel: Channel
    action: str
    target_type: str
    target_id: strawberry.ID
    target_name: str | None = strawberry.field(
        description="The target's name as the event recorded it, when it did (an event that "
        "created, renamed or deleted it; a failed provisioning's userName): it outlives the "
        "target."
    )
    changes: JSON = strawberry.field(description="{field: {before, after}}; never secrets.")
    request_id: str | None = strawberry.field(
        description="The request the command served (its X-Request-ID, the client's or "
        "Roster's own); for a SCIM request, `provisioningRequests(requestId:)` finds it in "
        "the provisioning log. Null for the command line's."
    )

    @strawberry.field(
        description="The user, role, token or group the event concerns, as it is now; null "
        "when it no longer exists or your role may not see it (as in the users, roles, token "
        "and group lists)."
    )
    async def target(self, info: Info[Context, None]) -> AuditTarget | None:
        found = await info.context.loaders.audit_targets.load(
            (self.target_type, str(self.target_id))
        )
        return audit_target(found) if found is not None else None

    @classmethod
    def of(cls, event: AuditEventModel) -> AuditEvent:
        return cls(
            id=strawberry.ID(str(event.id)),
            at=event.at,
            actor=AuditActor(
                kind=event.actor_kind,
                label=event.actor_label,
                id=strawberry.ID(event.actor_id) if event.actor_id else None,
            ),
            channel=Channel(event.channel.value),
            action=event.action,
            target_type=event.target_type,
            target_id=strawberry.ID(event.target_id),
            target_name=recorded_name(event.target_type, event.changes),
            changes=event.changes,
            request_id=event.request_id,
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class UserEdge:
    cursor: str
    node: User


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class GroupEdge:
    cursor: str
    node: Group


@strawberry.type
class GroupConnection:
    edges: list[GroupEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class AuditEventEdge:
    cursor: str
    node: AuditEvent


@strawberry.type
class AuditEventConnection:
    edges: list[AuditEventEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(
    description="A SCIM request an identity provider sent, as the provisioning log keeps it: "
    "passwords and the configured attributes redacted."
)
class ProvisioningRequest:
    id: strawberry.ID
    at: datetime
    token_name: str = strawberry.field(description="The SCIM token it came with.")
    method: str
    path: str = strawberry.field(description="Below the SCIM base URL, e.g. /Users/{id}.")
    query: str = strawberry.field(description="Its query string (filter, paging), redacted.")
    status: int
    duration_ms: float
    user_id: strawberry.ID | None = strawberry.field(
        description="The user it was about: the one in its path, or the one it created."
    )
    request_body: str | None = strawberry.field(description="JSON, redacted; null: none sent.")
    response_body: str | None = strawberry.field(description="JSON, redacted.")
    request_id: str | None = strawberry.field(
        description="Its X-Request-ID (the provider's, or Roster's own), as the audit events "
        "of what it changed name it."
    )

    @strawberry.field(description="That user as they are now; null once deleted.")
    async def user(self, info: Info[Context, None]) -> User | None:
        return await user_by_id(info, str(self.user_id) if self.user_id is not None else None)

    @classmethod
    def of(cls, entry: ProvisioningRequestModel) -> ProvisioningRequest:
        return cls(
            id=strawberry.ID(str(entry.id)),
            at=entry.at,
            token_name=entry.token_name,
            method=entry.method,
            path=entry.path,
            query=entry.query,
            status=entry.status,
            duration_ms=entry.duration_ms,
            user_id=strawberry.ID(str(entry.user_id)) if entry.user_id is not None else None,
            request_body=entry.request_body,
            response_body=entry.response_body,
            request_id=entry.request_id,
        )


@strawberry.type
class ProvisioningRequestEdge:
    cursor: str
    node: ProvisioningRequest


@strawberry.type
class ProvisioningRequestConnection:
    edges: list[ProvisioningRequestEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class Viewer:
    user: User
    organization: Organization
    permissions: list[str] = strawberry.field(description="What the viewer may do.")


@strawberry.type
class RoleString:
    value: str = strawberry.field(description="What to type into Okta's group assignment.")
    name: str


@strawberry.type
class ScimSetup:
    base_url: str
    data_type: str
    display_name: str
    variable_name: str
    external_name: str
    external_namespace: str
    attribute_type: str
    role_strings: list[RoleString]
