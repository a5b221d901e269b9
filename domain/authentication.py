"""Turning a bearer token into an actor: one indexed lookup and a constant-time comparison
(a SCIM token verified less than a second ago is not looked up again: `verified_tokens`)."""

from __future__ import annotations

from datetime import timedelta

from domain import verified_tokens
from domain.actors import Actor
from domain.clock import utcnow
from domain.credentials import digest_matches, digest_of, display_prefix, parse_lookup
from domain.errors import InvalidToken
from domain.models import Channel, Token, TokenKind, User

# Recording every use would turn each read into a write; a minute's precision is plenty for
# "Okta last connected 3 minutes ago".
LAST_USED_PRECISION = timedelta(seconds=60)
SESSION_LIFETIME = timedelta(hours=12)


async def _verified(token: str, kind: TokenKind) -> Token:
    lookup = parse_lookup(token, kind)
    if lookup is None:
        raise InvalidToken()
    row = await Token.filter(lookup=lookup, kind=kind).first()
    if row is None or not digest_matches(token, row.digest) or row.revoked_at is not None:
        raise InvalidToken()
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        await Token.filter(id=row.id).update(last_used_at=now)
        row.last_used_at = now
    return row


async def authenticate_scim(token: str) -> Actor:
    """The actor behind an organization's SCIM token (an API token is refused)."""
    digest = digest_of(token)
    actor = verified_tokens.recall(digest)
    if actor is None:
        read_at = verified_tokens.now()  # the second of trust counts from before the read
        row = await _verified(token, TokenKind.SCIM)
        label = f"SCIM token {row.name!r} ({display_prefix(row.lookup, TokenKind.SCIM)})"
        actor = Actor.scim_token(str(row.id), label, row.organization_id)
        verified_tokens.remember(digest, str(row.id), actor, read_at)
    return actor


async def _active_admin(row: Token) -> User:
    """The admin a token or session belongs to, while it exists and is active."""
    if row.user_id is None:
        raise InvalidToken()
    await row.fetch_related("user__role")
    user = row.user
    if user is None or not user.active:
        raise InvalidToken()
    return user


async def authenticate_api(token: str) -> Actor:
    """The admin behind a personal API token (a SCIM token is refused); the admin must still
    be active and exist."""
    row = await _verified(token, TokenKind.API)
    user = await _active_admin(row)
    return Actor.admin(
        user_id=str(user.id),
        label=f"{user.user_name} (API token {display_prefix(row.lookup, TokenKind.API)})",
        organization_id=row.organization_id,
        permission_level=user.role.permission_level,
        channel=Channel.GRAPHQL,
        via_token=str(row.id),
    )


async def authenticate_session(token: str) -> Actor:
    """The admin behind a browser session: refused once signed out, expired, or when the admin
    is deactivated or deleted."""
    row = await _verified(token, TokenKind.SESSION)
    if utcnow() - row.created_at > SESSION_LIFETIME:
        raise InvalidToken()
    user = await _active_admin(row)
    return Actor.admin(
        user_id=str(user.id),
        label=user.user_name,
        organization_id=row.organization_id,
        permission_level=user.role.permission_level,
        channel=Channel.GRAPHQL,
        session_id=str(row.id),
    )
