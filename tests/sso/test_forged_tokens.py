"""ID tokens a provider should never send: each is refused over HTTP with one page, signs no
one in, and leaves an audit event saying why. A key the provider rotated in is read again and
accepted."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from domain.models import AuditEvent
from tests.conftest import provision
from tests.sso.conftest import CONFIGURE, path_of, viewer
from tests.sso.forged_provider import ForgedProvider, forged_provider


@pytest.fixture
def forged() -> Iterator[ForgedProvider]:
    with forged_provider() as provider:
        yield provider


@pytest.fixture
async def forged_connection(root, forged: ForgedProvider, scim) -> ForgedProvider:
    variables = {
        "issuer": forged.issuer,
        "clientId": forged.client_id,
        "clientSecret": forged.client_secret,
    }
    result = (await root(CONFIGURE, input=variables))["configureOidcConnection"]
    assert result["__typename"] == "SsoConnectionPayload", result
    await provision(scim, "jane@acme.test", role="admin")
    return forged


async def sign_in(browser: httpx.AsyncClient) -> httpx.Response:
    start = await browser.get("/sso/start?organization=acme")
    assert start.status_code == 303, start.text
    async with httpx.AsyncClient() as provider:
        back = await provider.get(start.headers["location"])
    assert back.status_code == 303
    return await browser.get(path_of(back.headers["location"]))


async def refusal_details() -> list[str]:
    events = await AuditEvent.filter(action="sso.sign_in_refused").order_by("id")
    return [f"{event.changes['reason']}: {event.changes['detail']}" for event in events]


async def test_a_good_token_from_the_forged_provider_signs_in(browser, forged_connection):
    answer = await sign_in(browser)

    assert answer.status_code == 303, answer.text
    assert await viewer(browser) is not None


@pytest.mark.parametrize(
    ("forgery", "why"),
    [
        ("tampered", "signature"),
        ("unknown_key", "signature"),
        ("wrong_audience", "aud"),
        ("expired", "exp"),
        ("no_nonce", "nonce"),
    ],
)
async def test_a_forged_id_token_is_refused(browser, forged_connection, forgery, why):
    forged_connection.forgery = forgery

    answer = await sign_in(browser)

    assert answer.status_code == 400
    assert "could not be verified" in answer.text
    assert await viewer(browser) is None
    (detail,) = await refusal_details()
    assert detail.startswith("token_rejected")
    assert why in detail


async def test_a_key_the_provider_rotated_in_is_read_again(browser, forged_connection):
    assert (await sign_in(browser)).status_code == 303  # the first key, now kept
    browser.cookies.clear()
    forged_connection.forgery = "rotated"

    answer = await sign_in(browser)

    assert answer.status_code == 303, answer.text
    assert await viewer(browser) is not None
