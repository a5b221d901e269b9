"""GraphQL's rate limit per API token, account or (not signed in) address: 429 with
Retry-After and a GraphQL error body (the SCIM side and the settings: tests/web)."""

from __future__ import annotations

import httpx

from domain import bus
from domain.actors import Actor
from domain.commands import IssueApiToken
from tests.conftest import running_app

BASE = "http://roster.test"


async def api_token(super_admin_id: str, organization) -> str:
    actor = Actor.admin(
        user_id=super_admin_id,
        label="root@acme.test",
        organization_id=organization.id,
        permission_level="super-admin",
    )
    return f"Bearer {(await bus.handle(IssueApiToken('script'), actor)).secret}"


async def test_an_api_token_over_its_limit_gets_429_with_a_graphql_error(
    database_url, tmp_path, super_admin_id, organization
):
    token = await api_token(super_admin_id, organization)
    async with (
        running_app(database_url, tmp_path, ROSTER_GRAPHQL_RATE_LIMIT="2/minute") as app,
        httpx.AsyncClient(transport=app, base_url=BASE, headers={"Authorization": token}) as http,
    ):
        for _ in range(2):
            ok = await http.post("/graphql", json={"query": "{ roles { key } }"})
            assert ok.status_code == 200
            assert "errors" not in ok.json()
        refused = await http.post("/graphql", json={"query": "{ roles { key } }"})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    error = refused.json()["errors"][0]
    assert error["extensions"] == {"code": "RATE_LIMITED"}
    assert error["message"].startswith("Too many requests; retry in")


async def test_callers_not_signed_in_are_limited_by_address(db, database_url, tmp_path):
    query = {"query": "{ roles { key } }"}
    headers = {"X-Roster-CSRF": "1"}
    async with (
        running_app(database_url, tmp_path, ROSTER_GRAPHQL_RATE_LIMIT="2/minute") as app,
        httpx.AsyncClient(transport=app, base_url=BASE, headers=headers) as http,
    ):
        statuses = [(await http.post("/graphql", json=query)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
