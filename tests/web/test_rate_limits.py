"""Rate limits per SCIM token and per API token or account: 429 with Retry-After and the
door's own error body; other callers are not held back; the limit is a setting."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from domain import bus
from domain.commands import IssueScimToken
from domain.errors import RateLimited
from tests.conftest import running_app
from web.rate_limits import RateLimit
from web.settings import Settings, SettingsError

SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
BASE = "http://roster.test"


async def scim_token(operator, name: str) -> str:
    return str((await bus.handle(IssueScimToken(name=name), operator)).secret)


def scim_client(transport, token: str) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers)


async def test_a_scim_token_over_its_limit_gets_429_with_retry_after_and_a_scim_error(
    db, database_url, tmp_path, operator
):
    token = await scim_token(operator, "Okta")
    async with (
        running_app(database_url, tmp_path, ROSTER_SCIM_RATE_LIMIT="3/minute") as transport,
        scim_client(transport, token) as okta,
    ):
        statuses = [(await okta.get("/scim/v2/Users")).status_code for _ in range(3)]
        refused = await okta.get("/scim/v2/Users")
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    body = refused.json()
    assert body["schemas"] == [SCIM_ERROR]
    assert body["status"] == "429"
    assert "retry in" in body["detail"]


async def test_one_scim_tokens_limit_does_not_hold_back_another_token(
    db, database_url, tmp_path, operator
):
    okta, entra = await scim_token(operator, "Okta"), await scim_token(operator, "Entra")
    async with running_app(database_url, tmp_path, ROSTER_SCIM_RATE_LIMIT="2/minute") as app:
        async with scim_client(app, okta) as first:
            for _ in range(3):
                await first.get("/scim/v2/Users")
            assert (await first.get("/scim/v2/Users")).status_code == 429
        async with scim_client(app, entra) as second:
            assert (await second.get("/scim/v2/Users")).status_code == 200


async def test_an_unknown_token_is_refused_as_such_and_spends_no_budget(
    db, database_url, tmp_path, operator
):
    token = await scim_token(operator, "Okta")
    async with running_app(database_url, tmp_path, ROSTER_SCIM_RATE_LIMIT="1/minute") as app:
        async with scim_client(app, "rst_scim_not-a-real-token") as stranger:
            for _ in range(3):
                assert (await stranger.get("/scim/v2/Users")).status_code == 401
        async with scim_client(app, token) as okta:
            assert (await okta.get("/scim/v2/Users")).status_code == 200


async def test_a_refused_request_counts_nothing_so_the_caller_gets_back_in_after_the_window():
    limit = RateLimit("2/second;3/minute")
    await limit.spend("okta")
    await limit.spend("okta")
    with pytest.raises(RateLimited) as refused:
        await limit.spend("okta")
    assert refused.value.retry_after == 1
    # refusals spent nothing: once the second passes only the minute's third request is left
    await asyncio.sleep(1.05)
    await limit.spend("okta")
    with pytest.raises(RateLimited):
        await limit.spend("okta")


def test_the_rate_limits_are_settings_and_can_be_turned_off(tmp_path):
    base = {"ROSTER_DATA_DIR": str(tmp_path), "ROSTER_SECRET_KEY": "k" * 40}
    defaults = Settings.from_env(base)
    assert defaults.scim_rate_limit == "50/second;1200/minute"
    assert defaults.graphql_rate_limit == "20/second;600/minute"
    off = Settings.from_env({**base, "ROSTER_SCIM_RATE_LIMIT": "off"})
    assert off.scim_rate_limit is None
    custom = Settings.from_env({**base, "ROSTER_GRAPHQL_RATE_LIMIT": "5/second"})
    assert custom.graphql_rate_limit == "5/second"
    with pytest.raises(SettingsError, match="ROSTER_SCIM_RATE_LIMIT"):
        Settings.from_env({**base, "ROSTER_SCIM_RATE_LIMIT": "lots"})
