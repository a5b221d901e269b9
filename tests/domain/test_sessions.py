"""Signing in to the settings page: sessions, and guessing slowed down."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import bus
from domain.authentication import authenticate_session
from domain.commands import CreateAdmin, DeactivateUser, DeleteUser, EndSession
from domain.errors import InvalidCredentials, InvalidToken, SignInThrottled
from domain.models import Token, TokenKind
from domain.sessions import MAX_FAILURES_PER_ACCOUNT, sign_in

PASSWORD = "correct horse battery"


@pytest.fixture
async def admin(operator):
    return await bus.handle(CreateAdmin("root@acme.test", PASSWORD), operator)


async def test_an_admin_signs_in_with_email_and_password(admin):
    signed_in = await sign_in("Root@Acme.test", PASSWORD, "10.0.0.1")

    actor = await authenticate_session(signed_in.session.secret)
    assert actor.user_id == str(admin.id)
    assert signed_in.session.secret.startswith("rst_session_")


async def test_a_wrong_password_and_an_unknown_email_fail_alike(admin):
    with pytest.raises(InvalidCredentials) as wrong_password:
        await sign_in("root@acme.test", "wrong password", "10.0.0.1")
    with pytest.raises(InvalidCredentials) as unknown_email:
        await sign_in("nobody@acme.test", PASSWORD, "10.0.0.2")
    assert str(wrong_password.value) == str(unknown_email.value)


async def test_failed_sign_ins_are_throttled_per_account_even_with_the_right_password(admin):
    for attempt in range(MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(InvalidCredentials):
            await sign_in("root@acme.test", f"guess {attempt}", f"10.0.0.{attempt}")

    with pytest.raises(SignInThrottled) as throttled:
        await sign_in("root@acme.test", PASSWORD, "10.9.9.9")
    assert 0 < throttled.value.retry_after <= 15 * 60


async def test_failed_sign_ins_are_throttled_per_address(admin):
    for attempt in range(20):
        with pytest.raises(InvalidCredentials):
            await sign_in(f"guess{attempt}@acme.test", "x", "10.6.6.6")

    with pytest.raises(SignInThrottled):
        await sign_in("root@acme.test", PASSWORD, "10.6.6.6")
    assert await sign_in("root@acme.test", PASSWORD, "10.7.7.7")


async def test_signing_out_ends_the_session_at_once(admin):
    signed_in = await sign_in("root@acme.test", PASSWORD, "10.0.0.1")
    actor = await authenticate_session(signed_in.session.secret)

    await bus.handle(EndSession(str(signed_in.session.token.id)), actor)

    with pytest.raises(InvalidToken):
        await authenticate_session(signed_in.session.secret)


@pytest.mark.parametrize("command", [DeactivateUser, DeleteUser])
async def test_a_session_stops_when_its_admin_is_deactivated_or_deleted(admin, operator, command):
    signed_in = await sign_in("root@acme.test", PASSWORD, "10.0.0.1")

    await bus.handle(command(str(admin.id)), operator)

    with pytest.raises(InvalidToken):
        await authenticate_session(signed_in.session.secret)


async def test_a_session_expires(admin):
    signed_in = await sign_in("root@acme.test", PASSWORD, "10.0.0.1")
    token = signed_in.session.token
    await Token.filter(id=token.id).update(created_at=token.created_at - timedelta(hours=13))

    with pytest.raises(InvalidToken):
        await authenticate_session(signed_in.session.secret)


async def test_a_deactivated_admin_cannot_sign_in(admin, operator):
    await bus.handle(DeactivateUser(str(admin.id)), operator)
    with pytest.raises(InvalidCredentials):
        await sign_in("root@acme.test", PASSWORD, "10.0.0.1")


async def test_a_session_is_stored_as_a_digest_only(admin):
    signed_in = await sign_in("root@acme.test", PASSWORD, "10.0.0.1")
    row = await Token.get(id=signed_in.session.token.id)
    assert row.kind is TokenKind.SESSION
    assert signed_in.session.secret not in repr(dict(row))
