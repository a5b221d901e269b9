"""What every resolver gets: the request, the response being built, the acting admin (if
any) and the per-request data loaders."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from strawberry.dataloader import DataLoader

from domain import group_queries, queries
from domain.actors import Actor
from domain.models import Group, Role, User
from domain.queries import AuditTarget, TargetKey


@dataclass(frozen=True, slots=True)
class GraphQLConfig:
    secret_key: str
    scim_base_url: str
    secure_cookies: bool = False
    graphiql: bool = False
    public_url: str = "http://127.0.0.1:8000"
    # the SCIM attributes the installation keeps out of every provisioning log
    request_log_redacted: tuple[str, ...] = ()

    @property
    def sso_redirect_uri(self) -> str:
        """OpenID Connect's redirect URI: where the identity provider returns people."""
        return f"{self.public_url.rstrip('/')}/sso/oidc/callback"

    @property
    def saml_acs_url(self) -> str:
        """SAML's assertion consumer service: where the identity provider posts its answer."""
        return f"{self.public_url.rstrip('/')}/sso/saml/acs"

    def saml_entity_id(self, organization_slug: str) -> str:
        """Roster's SAML entity ID for an organization (the audience its assertions name):
        the URL of its service provider metadata."""
        return f"{self.public_url.rstrip('/')}/sso/saml/metadata?organization={organization_slug}"


async def _load_users(keys: Sequence[str]) -> list[User | None]:
    users = await queries.users_by_ids(keys)
    return [users.get(key) for key in keys]


async def _load_user_counts(keys: Sequence[int]) -> list[int]:
    counts = await queries.user_counts_by_role(keys)
    return [counts[key] for key in keys]


async def _load_roles(keys: Sequence[int]) -> list[Role | None]:
    roles = await queries.roles_by_ids(keys)
    return [roles.get(key) for key in keys]


async def _load_groups(keys: Sequence[uuid.UUID]) -> list[Group | None]:
    groups = await group_queries.groups_by_ids(keys)
    return [groups.get(key) for key in keys]


async def _load_member_counts(keys: Sequence[uuid.UUID]) -> list[int]:
    counts = await group_queries.member_counts(keys)
    return [counts[key] for key in keys]


async def _load_user_groups(keys: Sequence[uuid.UUID]) -> list[list[Group]]:
    groups = await group_queries.groups_of_users(keys)
    return [groups[key] for key in keys]


async def _load_audit_targets(
    actor: Actor | None, keys: Sequence[TargetKey]
) -> list[AuditTarget | None]:
    if actor is None:  # no audit event reaches an anonymous request
        return [None] * len(keys)
    return await queries.audit_targets(actor, keys)


@dataclass
class Loaders:
    """One set per request, so nothing is cached across requests or actors. Loaders read by
    primary key; what they return was already scoped by the query that found the keys, except
    `audit_targets`, which the domain scopes to the actor's organization and permissions."""

    actor: Actor | None = None

    users: DataLoader[str, User | None] = field(
        default_factory=lambda: DataLoader(load_fn=_load_users)
    )
    user_counts: DataLoader[int, int] = field(
        default_factory=lambda: DataLoader(load_fn=_load_user_counts)
    )
    roles: DataLoader[int, Role | None] = field(
        default_factory=lambda: DataLoader(load_fn=_load_roles)
    )
    groups: DataLoader[uuid.UUID, Group | None] = field(
        default_factory=lambda: DataLoader(load_fn=_load_groups)
    )
    member_counts: DataLoader[uuid.UUID, int] = field(
        default_factory=lambda: DataLoader(load_fn=_load_member_counts)
    )
    user_groups: DataLoader[uuid.UUID, list[Group]] = field(
        default_factory=lambda: DataLoader(load_fn=_load_user_groups)
    )
    audit_targets: DataLoader[TargetKey, AuditTarget | None] = field(init=False)

    def __post_init__(self) -> None:
        self.audit_targets = DataLoader(load_fn=partial(_load_audit_targets, self.actor))


@dataclass
class Context:
    request: Request
    response: Response
    config: GraphQLConfig
    actor: Actor | None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.actor)
