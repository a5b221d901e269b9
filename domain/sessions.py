"""Signing in to the settings page: a password check slowed down against guessing, then a
session (a token, stored as a digest like the others)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from domain import bus
from domain.actors import Actor
from domain.clock import utcnow
from domain.commands import StartSession
from domain.credentials import IssuedToken, verify_password
from domain.errors import InvalidCredentials, SignInThrottled, SsoRequired
from domain.models import LoginFailure, Organization, User
from domain.text import fits, storable

FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    session: IssuedToken
    actor: Actor  # the admin, acting through the new session


def _keys(email: str, client_address: str) -> dict[str, tuple[str, int]]:
    account = email.strip().casefold() if storable(email) else repr(email)
    return {
        "account": (f"account:{account}"[:600], MAX_FAILURES_PER_ACCOUNT),
        "address": (f"address:{client_address}"[:600], MAX_FAILURES_PER_ADDRESS),
    }


async def _retry_after(keys: dict[str, tuple[str, int]]) -> int:
    """Seconds until a throttled account or address may try again (0: not throttled)."""
    now = utcnow()
    since = now - FAILURE_WINDOW
    wait = 0
    for key, limit in keys.values():
        recent = await LoginFailure.filter(key=key, at__gte=since).order_by("-at").limit(limit)
        if len(recent) >= limit:
            oldest = recent[-1].at
            wait = max(wait, int((oldest + FAILURE_WINDOW - now).total_seconds()) + 1)
    return wait


async def sign_in(email: str, password: str, client_address: str) -> SignedIn:
    """The admin whose email and password these are, signed in; InvalidCredentials (which
    never says whether the email exists) or SignInThrottled otherwise."""
    keys = _keys(email, client_address)
    wait = await _retry_after(keys)
    if wait:
        raise SignInThrottled(wait)
    user_name_key = email.strip().casefold()
    candidates = []
    if fits(User, "user_name_key", user_name_key):
        candidates = await User.filter(
            user_name_key=user_name_key, password_hash__not_isnull=True, active=True
        ).prefetch_related("role")
    matched = None
    if not candidates:
        await asyncio.to_thread(verify_password, password, None)  # the same time as a real check
    for user in candidates:
        if await asyncio.to_thread(verify_password, password, user.password_hash):
            matched = user
            break
    if matched is None:
        await LoginFailure.bulk_create([LoginFailure(key=key) for key, _ in keys.values()])
        raise InvalidCredentials()
    await LoginFailure.filter(key=keys["account"][0]).delete()
    organization = await Organization.get(id=matched.organization_id)
    if organization.sso_enforced and organization.break_glass_user_id != matched.id:
        raise SsoRequired(organization.slug)
    actor = Actor.admin(
        user_id=str(matched.id),
        label=matched.user_name,
        organization_id=matched.organization_id,
        permission_level=matched.role.permission_level,
    )
    session = await bus.handle(StartSession(), actor)
    return SignedIn(matched, session, actor)
