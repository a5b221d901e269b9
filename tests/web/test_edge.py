"""The edge around both doors: one bearer parser, and every refusal or failure in the door's
own error format."""

from __future__ import annotations

import httpx
import pytest

from domain import bus, queries
from domain.commands import IssueScimToken
from domain.errors import InvalidToken
from web.edge import bearer_token

SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
BASE = "http://roster.test"


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, None),
        ("Bearer abc", "abc"),
        ("bearer   abc ", "abc"),
        ("BEARER Bearer abc", "abc"),  # the scheme typed into the identity provider's field
    ],
)
def test_the_bearer_token_is_read_one_way_for_both_doors(header, token):
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", ["", "Basic abc", "Bearer", "Bearer a b", "Token abc"])
def test_an_authorization_header_that_is_not_a_bearer_token_is_refused(header):
    with pytest.raises(InvalidToken):
        bearer_token(header)


async def test_an_unexpected_failure_in_the_scim_door_is_a_scim_error(
    app_transport, operator, monkeypatch, caplog
):
    token = (await bus.handle(IssueScimToken(name="Okta"), operator)).secret

    async def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(queries, "get_user", broken)
    async with httpx.AsyncClient(transport=app_transport, base_url=BASE) as okta:
        response = await okta.get(
            "/scim/v2/Users/9d8f7c3e-0000-4000-8000-000000000000",
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/scim+json")
    assert response.json()["schemas"] == [SCIM_ERROR]
    assert "a bug" not in response.text
    assert any(record.exc_info for record in caplog.records if record.name == "roster.edge")


async def test_a_graphql_request_over_its_limit_is_refused_with_its_code(
    db, database_url, tmp_path
):
    from tests.conftest import running_app

    async with (
        running_app(database_url, tmp_path, ROSTER_GRAPHQL_RATE_LIMIT="2/minute") as transport,
        httpx.AsyncClient(transport=transport, base_url=BASE) as anonymous,
    ):
        for _ in range(2):
            await anonymous.get("/graphql", params={"query": "{ __typename }"})
        refused = await anonymous.get("/graphql", params={"query": "{ __typename }"})
    assert refused.status_code == 429
    assert refused.headers["retry-after"].isdigit()
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
