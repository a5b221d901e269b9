"""A database that goes away: GraphQL says so clearly, never as a masked "Unexpected error"."""

from __future__ import annotations

from asyncpg.exceptions import AdminShutdownError

from api import app as graphql_app
from domain import queries


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
