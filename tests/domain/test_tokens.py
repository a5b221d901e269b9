"""SCIM and API tokens: issued once, stored as digests, verified cheaply, revoked at once."""

from __future__ import annotations

import time

import pytest

from domain import bus, verified_tokens
from domain.actors import Actor, ActorKind
from domain.authentication import authenticate_api, authenticate_scim
from domain.clock import utcnow
from domain.commands import CreateAdmin, IssueApiToken, IssueScimToken, RevokeScimToken
from domain.credentials import display_prefix
from domain.errors import InvalidToken, InvalidValue, NotFound
from domain.models import Channel, Token, TokenKind


async def issue(actor, name="Okta"):
    return await bus.handle(IssueScimToken(name=name), actor)


async def test_a_scim_token_is_long_random_and_recognisable(operator):
    issued = await issue(operator)

    assert issued.secret.startswith("rst_scim_")
    assert len(issued.secret) >= 9 + 12 + 43  # prefix, lookup, 256 bits in base64url


async def test_the_database_never_holds_a_token_in_plain_text(db, operator):
    issued = await issue(operator)

    tables = ("tokens", "audit_events")
    for table in tables:
        _, rows = await db.db().execute_query(f"SELECT * FROM {table}")  # noqa: S608
        assert issued.secret not in repr([dict(row) for row in rows])
        secret_part = issued.secret[-43:]
        assert secret_part not in repr([dict(row) for row in rows])


async def test_a_scim_token_authenticates_as_its_organization(organization, operator):
    issued = await issue(operator)

    actor = await authenticate_scim(issued.secret)

    assert actor.kind is ActorKind.SCIM_TOKEN
    assert actor.organization_id == organization.id
    assert actor.channel is Channel.SCIM
    assert issued.token.name in actor.label


async def test_using_a_token_records_its_last_use(operator):
    issued = await issue(operator)
    assert issued.token.last_used_at is None

    await authenticate_scim(issued.secret)

    assert (await Token.get(id=issued.token.id)).last_used_at is not None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: "",
        lambda t: t[:-1],
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t.replace("rst_scim_", "rst_api_"),
        lambda t: "Bearer " + t,
        lambda t: t + "x" * 500,
    ],
)
async def test_a_wrong_token_does_not_authenticate(operator, mangle):
    issued = await issue(operator)

    with pytest.raises(InvalidToken):
        await authenticate_scim(mangle(issued.secret))


async def test_a_revoked_token_fails_at_once(operator):
    issued = await issue(operator)
    await authenticate_scim(issued.secret)

    await bus.handle(RevokeScimToken(str(issued.token.id)), operator)

    with pytest.raises(InvalidToken):
        await authenticate_scim(issued.secret)


async def test_a_token_revoked_by_another_process_fails_within_a_second(operator, monkeypatch):
    issued = await issue(operator)
    await authenticate_scim(issued.secret)  # this process now trusts it for up to a second
    await Token.filter(id=issued.token.id).update(revoked_at=utcnow())  # another worker revoked it
    now = time.monotonic()

    monkeypatch.setattr(verified_tokens.time, "monotonic", lambda: now + verified_tokens.SECONDS)

    with pytest.raises(InvalidToken):
        await authenticate_scim(issued.secret)


async def test_the_second_of_trust_counts_from_before_the_token_was_read(operator, monkeypatch):
    """A revoke that commits while a slow read is under way is honoured within a second of
    the read's start, not of its end."""
    from domain import authentication

    issued = await issue(operator)
    clock = [1000.0]
    monkeypatch.setattr(verified_tokens.time, "monotonic", lambda: clock[0])
    read = authentication._verified

    async def slow_read(token, kind):
        row = await read(token, kind)
        clock[0] += 0.4  # the read took 0.4 s; another worker revoked the token meanwhile
        return row

    monkeypatch.setattr(authentication, "_verified", slow_read)
    await authenticate_scim(issued.secret)
    monkeypatch.setattr(authentication, "_verified", read)
    await Token.filter(id=issued.token.id).update(revoked_at=utcnow())

    clock[0] = 1000.0 + verified_tokens.SECONDS
    with pytest.raises(InvalidToken):
        await authenticate_scim(issued.secret)


async def test_a_token_can_be_revoked_by_the_prefix_lists_show(operator):
    issued = await issue(operator)

    revoked = await bus.handle(
        RevokeScimToken(display_prefix(issued.token.lookup, TokenKind.SCIM)), operator
    )

    assert revoked.revoked_at is not None


async def test_revoking_an_unknown_token_is_not_found(operator):
    with pytest.raises(NotFound):
        await bus.handle(RevokeScimToken("rst_scim_AAAAAAAAAAAA"), operator)


async def test_several_tokens_work_at_once_so_customers_rotate_without_downtime(operator):
    old, new = await issue(operator, "old"), await issue(operator, "new")

    assert (await authenticate_scim(old.secret)).id == str(old.token.id)
    await bus.handle(RevokeScimToken(str(old.token.id)), operator)
    assert (await authenticate_scim(new.secret)).id == str(new.token.id)


async def test_a_token_of_another_organization_cannot_be_revoked(organization, operator):
    from domain.commands import CreateOrganization

    other = await bus.handle(CreateOrganization("globex", "Globex"), Actor.operator())
    theirs = await issue(Actor.operator(other.id))

    with pytest.raises(NotFound):
        await bus.handle(RevokeScimToken(str(theirs.token.id)), operator)


async def admin_actor(operator, organization):
    user = await bus.handle(CreateAdmin("root@acme.test", "correct horse"), operator)
    return Actor.admin(
        user_id=str(user.id),
        label=user.user_name,
        organization_id=organization.id,
        permission_level="super-admin",
    )


async def test_an_api_token_acts_as_its_admin_and_is_refused_by_scim(operator, organization):
    admin = await admin_actor(operator, organization)
    issued = await bus.handle(IssueApiToken(name="script"), admin)

    actor = await authenticate_api(issued.secret)

    assert actor.kind is ActorKind.API_TOKEN
    assert actor.user_id == admin.user_id
    with pytest.raises(InvalidToken):
        await authenticate_scim(issued.secret)


async def test_a_scim_token_is_refused_where_an_api_token_is_expected(operator):
    issued = await issue(operator)

    with pytest.raises(InvalidToken):
        await authenticate_api(issued.secret)


async def test_an_api_token_stops_working_when_its_admin_is_deactivated(operator, organization):
    from domain.commands import DeactivateUser

    admin = await admin_actor(operator, organization)
    issued = await bus.handle(IssueApiToken(name="script"), admin)
    assert admin.user_id is not None
    await bus.handle(DeactivateUser(admin.user_id), operator)

    with pytest.raises(InvalidToken):
        await authenticate_api(issued.secret)


async def test_the_operator_cannot_issue_a_personal_api_token(operator):
    with pytest.raises(InvalidValue):
        await bus.handle(IssueApiToken(name="script"), operator)
