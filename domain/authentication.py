"""Turning a bearer token into an actor: one indexed lookup and a constant-time comparison.

Identity providers send the same SCIM token with every request, thousands a minute during an
import, so a verified SCIM token is remembered by this process for at most a second
(`VERIFIED_SCIM_TTL`): a revoked token stops working at once on the process that revoked it and
within a second on every other. Keys are digests; the process never keeps a token itself."""

from __future__ import annotations

import time
from datetime import timedelta

from domain.actors import Actor
from domain.credentials import digest_matches, digest_of, display_prefix, parse_lookup
from domain.errors import InvalidToken
from domain.handlers.common import utcnow
from domain.models import Channel, Token, TokenKind, User

# Recording every use would turn each read into a write; a minute's precision is plenty for
# "Okta last connected 3 minutes ago".
LAST_USED_PRECISION = timedelta(seconds=60)
SESSION_LIFETIME = timedelta(hours=12)
VERIFIED_SCIM_TTL = 1.0  # seconds
_MAX_REMEMBERED = 1000

# token digest -> (monotonic expiry, token id, actor)
_verified_scim: dict[str, tuple[float, str, Actor]] = {}


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
    key = digest_of(token)
    now = time.monotonic()
    remembered = _verified_scim.get(key)
    if remembered is not None and remembered[0] > now:
        return remembered[2]
    row = await _verified(token, TokenKind.SCIM)
    label = f"SCIM token {row.name!r} ({display_prefix(row.lookup, TokenKind.SCIM)})"
    actor = Actor.scim_token(str(row.id), label, row.organization_id)
    if len(_verified_scim) >= _MAX_REMEMBERED:
        for stale in [k for k, (expiry, _, _) in _verified_scim.items() if expiry <= now]:
            del _verified_scim[stale]
    if len(_verified_scim) < _MAX_REMEMBERED:
        _verified_scim[key] = (now + VERIFIED_SCIM_TTL, str(row.id), actor)
    return actor


def forget_token(token_id: str) -> None:
    """Stop trusting a token this process verified (it was just revoked)."""
    for key in [k for k, (_, remembered, _) in _verified_scim.items() if remembered == token_id]:
        del _verified_scim[key]


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
