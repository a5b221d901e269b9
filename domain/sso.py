"""Signing in through the organization's identity provider: which connection a sign-in starts
at, and whom the provider's answer signs in. Only a user the provider provisioned (over SCIM)
signs in, and only while active: the first sign-in matches them by userName or email and links
the provider's subject to them; later ones find them by the subject. No account is made on the
fly. Each refusal is an `SsoRefused` and, where the organization is known, an audit event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery

from domain import audit, bus
from domain.actors import Actor, organization_id_of
from domain.audit import AuditEntry
from domain.clock import utcnow
from domain.commands import StartSession
from domain.errors import SsoRefused
from domain.ids import parse_id
from domain.models import (
    Organization,
    SsoAssertion,
    SsoConnection,
    SsoLink,
    SsoProtocol,
    User,
    UserValue,
)
from domain.permissions import Permission
from domain.sessions import SignedIn
from domain.text import fits, storable

_REFUSED = "sso.sign_in_refused"


@dataclass(frozen=True, slots=True)
class Identity:
    """Whom the identity provider signed in: its subject, and the email it gave if any."""

    subject: str
    email: str | None


async def connections(actor: Actor) -> list[SsoConnection]:
    """The actor's organization's connections, OpenID Connect first."""
    actor.require(Permission.SSO_MANAGE)
    found = await SsoConnection.filter(organization_id=organization_id_of(actor))
    return sorted(found, key=lambda connection: connection.protocol != SsoProtocol.OIDC)


async def connection(connection_id: str) -> SsoConnection | None:
    """The connection a sign-in in progress goes through, if it still exists."""
    parsed = parse_id(connection_id)
    return await SsoConnection.get_or_none(id=parsed) if parsed is not None else None


async def connection_of(
    organization: str | None, email: str | None, protocol: str | None = None
) -> SsoConnection:
    """The connection a sign-in starts at: that of the organization with this slug, or of the
    one organization whose users include this email. An organization with both protocols
    signs in through OpenID Connect unless `protocol` says "saml"."""
    wanted = _protocols(protocol)
    if organization is not None and organization.strip():
        slug = organization.strip().lower()
        fitting = fits(Organization, "slug", slug)
        found = await Organization.get_or_none(slug=slug) if fitting else None
        connections = (
            await SsoConnection.filter(organization_id=found.id, protocol__in=wanted)
            if found
            else []
        )
        if not connections:
            raise SsoRefused("no_connection", f"no organization {slug!r} signs in through SSO")
        return _preferred(connections)
    key = (email or "").strip().casefold()
    if not key or not storable(key) or not fits(User, "user_name_key", key):
        raise SsoRefused("no_connection", "neither an organization nor an email was given")
    organizations = (
        await User.filter(_named(key)).distinct().values_list("organization_id", flat=True)
    )
    connections = await SsoConnection.filter(
        organization_id__in=list(organizations), protocol__in=wanted
    )
    if len({connection.organization_id for connection in connections}) != 1:
        raise SsoRefused(
            "no_connection",
            "no organization with single sign-on knows this email"
            if not connections
            else "several organizations know this email: give the organization's ID",
        )
    return _preferred(connections)


def _protocols(protocol: str | None) -> list[SsoProtocol]:
    if protocol is None or not protocol.strip():
        return list(SsoProtocol)
    try:
        return [SsoProtocol(protocol.strip().lower())]
    except ValueError:
        raise SsoRefused("no_connection", "the protocol is oidc or saml") from None


def _preferred(connections: list[SsoConnection]) -> SsoConnection:
    """OpenID Connect first, when an organization has both."""
    return sorted(connections, key=lambda connection: connection.protocol != SsoProtocol.OIDC)[0]


async def slug_of(connection: SsoConnection) -> str:
    """The slug of the connection's organization (SAML's entity ID names it)."""
    slug = await Organization.get(id=connection.organization_id).values_list("slug", flat=True)
    return str(slug)


async def organization_exists(slug: str) -> bool:
    return bool(slug) and fits(Organization, "slug", slug) and await Organization.exists(slug=slug)


async def first_use(connection: SsoConnection, assertion_id: str, expires_at: datetime) -> None:
    """Keep a SAML assertion's ID until it expires; SsoRefused (recorded) when the connection
    has accepted it already: a replay. Expired IDs of the connection go at the same time."""
    await SsoAssertion.filter(connection_id=connection.id, expires_at__lt=utcnow()).delete()
    if not fits(SsoAssertion, "assertion_id", assertion_id):
        raise await refused(
            connection, SsoRefused("assertion_rejected", "the assertion ID is too long")
        )
    try:
        await SsoAssertion.create(
            connection_id=connection.id, assertion_id=assertion_id, expires_at=expires_at
        )
    except IntegrityError:
        raise await refused(
            connection, SsoRefused("replayed", "this assertion has been used to sign in already")
        ) from None


def _named(key: str) -> Q:
    """Users whose userName or one of whose emails is `key` (casefolded)."""
    with_email = UserValue.filter(attribute="emails", value_key=key).values("user_id")
    return Q(user_name_key=key) | Q(id__in=Subquery(with_email))


async def sign_in(connection: SsoConnection, identity: Identity) -> SignedIn:
    """The provisioned, active user the provider signed in through `connection`, with a new
    session; SsoRefused (recorded in the organization's audit log) when there is none."""
    user = await _linked(connection, identity.subject) or await _matched(connection, identity)
    if user is None:
        raise await refused(
            connection,
            SsoRefused("unknown_user", "no provisioned user has this userName or email"),
            identity,
        )
    if not user.active:
        raise await refused(
            connection, SsoRefused("inactive_user", f"{user.user_name} is deactivated"), identity
        )
    await SsoLink.get_or_create(
        connection_id=connection.id, subject=identity.subject, defaults={"user_id": user.id}
    )
    connection.tested_at = utcnow()
    await connection.save(update_fields=["tested_at"])
    await user.fetch_related("role")
    actor = Actor.admin(
        user_id=str(user.id),
        label=user.user_name,
        organization_id=user.organization_id,
        permission_level=user.role.permission_level,
    )
    session = await bus.handle(StartSession(via=connection.protocol.value), actor)
    return SignedIn(user, session, actor)


async def _linked(connection: SsoConnection, subject: str) -> User | None:
    if not fits(SsoLink, "subject", subject):
        return None
    link = await SsoLink.get_or_none(connection_id=connection.id, subject=subject)
    return await User.get_or_none(id=link.user_id) if link else None


async def _matched(connection: SsoConnection, identity: Identity) -> User | None:
    """The organization's user whose userName, else whose only email match, is the email the
    provider gave."""
    key = (identity.email or "").strip().casefold()
    if not key or not storable(key) or not fits(User, "user_name_key", key):
        return None
    users = await User.filter(_named(key), organization_id=connection.organization_id)
    by_name = [user for user in users if user.user_name_key == key]
    if by_name:
        return by_name[0]
    return users[0] if len(users) == 1 else None


async def refused(
    connection: SsoConnection, error: SsoRefused, identity: Identity | None = None
) -> SsoRefused:
    """`error`, once recorded in the connection's organization's audit log."""
    changes: dict[str, object] = {"reason": error.reason, "detail": error.detail}
    if identity is not None:
        changes["subject"] = identity.subject
        changes["email"] = identity.email
    label = (identity.email or identity.subject) if identity else "someone signing in"
    actor = Actor.single_sign_on(connection.organization_id, label)
    entry = AuditEntry(_REFUSED, "sso_connection", str(connection.id), changes)
    await audit.record(entry, actor)
    return error
