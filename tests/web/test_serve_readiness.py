"""`roster serve` starts whatever state its database is in (an orchestrator would otherwise
restart it in a loop), says once why it is not ready, and answers /readyz 503 until it is."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from tests.known_migrations import PENDING
from tests.processes import free_port, ok, serving

pytestmark = pytest.mark.slow
SCIM_TOKEN = "rst_scim_" + "x" * 55


def startup_warnings(stderr: str) -> list[str]:
    """The messages of the warning lines a server logged about itself, not about requests."""
    lines = [json.loads(line) for line in stderr.splitlines()]
    return [
        line["message"]
        for line in lines
        if line["level"] == "WARNING" and line["logger"] == "uvicorn.error"
    ]


def create_empty_database(url: str) -> None:
    if url.startswith("sqlite://"):
        Path(urlsplit(url).path).touch(mode=0o600)
        return
    server, _, name = url.rpartition("/")

    async def create() -> None:
        connection = await asyncpg.connect(f"{server}/postgres")
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())


def scim_request(base: str) -> httpx.Response:
    return httpx.get(f"{base}/scim/v2/Users", headers={"Authorization": f"Bearer {SCIM_TOKEN}"})


def readyz(base: str) -> tuple[int, str]:
    response = httpx.get(f"{base}/readyz")
    return response.status_code, response.json().get("detail", "")


def test_readyz_follows_the_database_from_missing_to_unmigrated_to_ready(env):
    with serving(env, ready="/healthz") as server:
        base = server.url
        status, detail = readyz(base)
        assert status == 503
        assert "does not exist; `roster migrate` creates it" in detail

        create_empty_database(env["ROSTER_DATABASE_URL"])
        assert readyz(base) == (503, PENDING)
        scim = scim_request(base)
        assert (scim.status_code, scim.headers.get("retry-after")) == (503, "5"), scim.text

        ok(env, "migrate")
        assert readyz(base) == (200, "")
    [warning] = startup_warnings(server.stderr)
    assert "does not exist" in warning


def test_serve_with_its_database_unreachable_starts_warns_once_and_answers_503(env):
    port = free_port()
    env = {**env, "ROSTER_DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/x"}
    with serving(env, ready="/healthz") as server:
        base = server.url
        assert readyz(base) == (
            503,
            f"database unreachable: cannot reach PostgreSQL at 127.0.0.1:{port} "
            "(Connection refused)",
        )
        scim = scim_request(base)
        assert (scim.status_code, scim.headers.get("retry-after")) == (503, "5"), scim.text
    [warning] = startup_warnings(server.stderr)
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port}" in warning
