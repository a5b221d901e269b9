"""A database that goes away: GraphQL says so clearly, never as a masked "Unexpected error"."""

from __future__ import annotations

from asyncpg.exceptions import AdminShutdownError

from api import app as graphql_app
from api.errors import COMMIT_UNCONFIRMED_MESSAGE
from domain import bus, queries
from domain.models import Token
from tests.api.conftest import CSRF
from tests.lost_connections import committed_then_lost


async def test_a_database_down_before_the_request_is_read_gives_503_with_retry_after(
    script, monkeypatch
):
    async def down(secret: str):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(graphql_app, "authenticate_api", down)
    response = await script.post("{ me { email } }")
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert response.json() == {
        "errors": [
            {
                "message": "The database is unavailable; retry shortly.",
                "extensions": {"code": "DATABASE_UNAVAILABLE"},
            }
        ]
    }


async def test_a_database_lost_mid_request_fails_the_request_with_503_and_its_code(
    script, monkeypatch
):
    async def shut_down(*args, **kwargs):
        raise AdminShutdownError("terminating connection due to administrator command")

    monkeypatch.setattr(queries, "list_users", shut_down)
    response = await script.post("{ users(first: 5) { edges { node { id } } } }")
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    error = response.json()["errors"][0]
    assert error["message"] == "The database is unavailable; retry shortly."
    assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    assert "administrator" not in response.text


async def test_a_change_whose_commit_answer_is_lost_says_it_may_have_been_applied(
    script, monkeypatch
):
    monkeypatch.setattr(bus, "in_transaction", committed_then_lost)
    response = await script.post(
        'mutation { generateScimToken(name: "Entra") { __typename } }', **CSRF
    )
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "COMMIT_UNCONFIRMED"
    assert error["message"] == COMMIT_UNCONFIRMED_MESSAGE
    assert await Token.filter(name="Entra").exists()
