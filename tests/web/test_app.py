"""The served application: health checks, and refusing an unmigrated database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from domain.database import close_database, open_database
from tests.known_migrations import PENDING
from tests.processes import free_port
from web.app import create_app
from web.settings import Settings


def settings_for(database_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env(
        {"ROSTER_DATABASE_URL": database_url, "ROSTER_DATA_DIR": str(tmp_path / "data")}
    )


@pytest.fixture
async def client(db, database_url, tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_for(database_url, tmp_path))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://roster.test") as c:
            yield c


async def test_healthz_says_the_process_is_up(client):
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_says_the_database_answers(client):
    response = await client.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


async def test_readyz_is_503_when_the_database_does_not_answer(db, database_url, tmp_path):
    app = create_app(settings_for(database_url, tmp_path))
    async with LifespanManager(app) as manager:
        database = manager._state["database"]
        connection = database.db()

        async def unreachable(*args, **kwargs):
            raise ConnectionRefusedError("database is down")

        original = connection.execute_query
        connection.execute_query = unreachable
        try:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                response = await client.get("/readyz")
        finally:
            connection.execute_query = original

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


async def test_readyz_is_503_while_a_migration_is_not_applied(client, monkeypatch):
    """Another process's newer code migrated, or this one's was rolled out before `migrate`."""
    from web import health

    async def pending(database):
        return ["0003_future"]

    monkeypatch.setattr(health, "pending_migrations", pending)
    response = await client.get("/readyz")

    assert response.status_code == 503
    assert "0003_future" in response.json()["detail"]
    assert "roster migrate" in response.json()["detail"]


async def test_the_app_starts_on_an_unmigrated_database_and_is_not_ready(tmp_path):
    """Rolled out before `roster migrate` ran: up, out of rotation (an orchestrator restarting
    it in a loop would not help)."""
    url = f"sqlite://{tmp_path / 'empty.sqlite3'}"
    await close_database(await open_database(url, create=True))
    app = create_app(settings_for(url, tmp_path))

    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["detail"] == PENDING


async def test_the_app_starts_with_its_database_unreachable_and_is_not_ready(tmp_path):
    port = free_port()
    app = create_app(settings_for(f"postgres://postgres@127.0.0.1:{port}/x", tmp_path))

    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["detail"] == (
        f"database unreachable: cannot reach PostgreSQL at 127.0.0.1:{port} (Connection refused)"
    )


def test_settings_refuse_a_database_url_roster_cannot_use(tmp_path):
    from web.settings import SettingsError

    with pytest.raises(SettingsError, match="ROSTER_DATABASE_URL"):
        Settings.from_env({"ROSTER_DATABASE_URL": "mysql://localhost/x"})


def test_a_secret_key_is_generated_once_and_kept_private(tmp_path):
    env = {"ROSTER_DATA_DIR": str(tmp_path / "data")}

    first, second = Settings.from_env(env), Settings.from_env(env)

    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 32
    assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o077 == 0


def test_a_given_secret_key_is_used_as_is(tmp_path):
    env = {"ROSTER_DATA_DIR": str(tmp_path), "ROSTER_SECRET_KEY": "k" * 40}
    assert Settings.from_env(env).secret_key == "k" * 40
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("path", ["/", "/index.html", "/healthz", "/graphql?query={__typename}"])
async def test_every_response_carries_the_security_headers(client, path):
    response = await client.get(path)

    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"


async def test_the_settings_page_is_served_at_the_root(client):
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
