"""A stress database set up in-process: the schema, the organization, its SCIM token, an admin's
API token, and users (through the domain as Okta would, or in bulk for the long listings)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from tortoise.context import TortoiseContext
from tortoise.transactions import in_transaction

from domain import bus, database
from domain.actors import Actor
from domain.clock import utcnow
from domain.commands import (
    CreateAdmin,
    CreateOrganization,
    Email,
    IssueApiToken,
    IssueScimToken,
    ProvisionUser,
    SetDeprovisioningGuard,
    UserAttributes,
)
from domain.handlers.users import apply_attributes, value_rows
from domain.models import Organization, Role, RoleOrigin, User, UserValue

ORG = "stress"
ADMIN_EMAIL = "admin@stress.test"


@dataclass(frozen=True, slots=True)
class Credentials:
    organization_id: int
    scim_token: str
    api_token: str  # an admin's personal token, for GraphQL


def user_name(index: int) -> str:
    return f"user{index:06d}@stress.test"


def attributes(index: int) -> UserAttributes:
    """The profile of seeded user `index`, as Okta sends it."""
    name = user_name(index)
    return UserAttributes(
        user_name=name,
        given_name="Stress",
        family_name=f"User{index}",
        emails=(Email(name, "work", primary=True),),
        external_id=f"00u{index:06d}",
    )


def provider_role(index: int) -> str | None:
    """The role string Okta sends for seeded user `index` (None: the organization's default)."""
    return "admin" if index % 3 == 0 else None


@asynccontextmanager
async def opened(url: str, *, create: bool = False) -> AsyncIterator[TortoiseContext]:
    context = await database.open_database(url, create=create)
    try:
        yield context
    finally:
        await database.close_database(context)


async def prepare(url: str, *, admin: bool = True) -> Credentials:
    """Migrate a fresh database and create the organization, its SCIM token and (unless not
    `admin`) an admin with a personal API token."""
    async with opened(url, create=True) as context:
        await database.migrate(context)
        organization = await bus.handle(CreateOrganization(ORG, "Stress"), Actor.operator())
        operator = Actor.operator(organization.id)
        # the loads deactivate users by the hundred to stress deactivating: nothing to hold
        await bus.handle(SetDeprovisioningGuard(enabled=False), operator)
        scim = await bus.handle(IssueScimToken(name="stress"), operator)
        api_token = await _api_token(operator) if admin else ""
        return Credentials(organization.id, scim.secret, api_token)


async def _api_token(operator: Actor) -> str:
    password = secrets.token_urlsafe(16)
    created = await bus.handle(CreateAdmin(email=ADMIN_EMAIL, password=password), operator)
    assert operator.organization_id is not None
    actor = Actor.admin(
        user_id=str(created.id),
        label=created.user_name,
        organization_id=operator.organization_id,
        permission_level=created.role.permission_level,
    )
    issued = await bus.handle(IssueApiToken(name="stress"), actor)
    return issued.secret


async def issue_scim_token(url: str, credentials: Credentials, name: str) -> str:
    """Another SCIM token of the organization."""
    async with opened(url):
        operator = Actor.operator(credentials.organization_id)
        issued = await bus.handle(IssueScimToken(name=name), operator)
        return issued.secret


async def seed(url: str, credentials: Credentials, count: int) -> list[str]:
    """`count` users provisioned through the domain, as Okta would; their ids."""
    async with opened(url) as context:
        actor = Actor.scim_token("seed", "seed", credentials.organization_id)
        ids = []
        for index in range(count):
            command = ProvisionUser(attributes(index), role=provider_role(index))
            user = await bus.handle(command, actor)
            ids.append(str(user.id))
        await analyze(context)
        return ids


async def bulk_seed(
    url: str, credentials: Credentials, count: int, batch: int, *, analyzed: bool = True
) -> list[str]:
    """`count` users written straight into the tables, `batch` per transaction, as the domain
    stores them (`apply_attributes` fills the columns; the role and its origin as
    ProvisionUser sets them; one user_values row per email), created one millisecond apart in
    index order; their ids. No audit events: the listings do not read them. Unless `analyzed`,
    the planner is left with no statistics, as on a new deployment right after its import."""
    async with opened(url) as context:
        organization_id = credentials.organization_id
        roles = {role.key: role for role in await Role.filter(organization_id=organization_id)}
        organization = await Organization.get(id=organization_id)
        start = utcnow() - timedelta(milliseconds=count)
        ids: list[str] = []
        for first in range(0, count, batch):
            users = []
            for index in range(first, min(first + batch, count)):
                user = User(organization_id=organization_id)
                apply_attributes(user, attributes(index))
                stated = provider_role(index)
                user.role = roles[stated or organization.default_role_key]
                user.role_origin = RoleOrigin.IDENTITY_PROVIDER if stated else RoleOrigin.DEFAULT
                user.created_at = start + timedelta(milliseconds=index)
                users.append(user)
            async with in_transaction():
                await User.bulk_create(users)
                await UserValue.bulk_create([row for user in users for row in value_rows(user)])
            ids.extend(str(user.id) for user in users)
            if first == 0 and analyzed:
                await analyze(context)  # the foreign key checks were planned on an empty table
        if analyzed:
            await analyze(context)
        return ids


async def analyze(context: TortoiseContext) -> None:
    """PostgreSQL: gather the planner's statistics, as autovacuum does on a server in use.
    Without them a fresh database's planner may pick any index of the organization for a
    userName lookup and filter every user. SQLite gathers none unless told, nor does Roster:
    left as a deployment has it."""
    if context.db().capabilities.dialect == "postgres":
        await context.db().execute_script("ANALYZE")
