"""Replicas that run `roster migrate` as they start, at the same moment, on a fresh database:
one migrates, the others wait for it and find nothing left to do; each migration is applied
once. (On PostgreSQL an advisory lock serialises them, on SQLite a lock on the file's folder.)"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.known_migrations import MIGRATIONS
from tests.processes import ROSTER

pytestmark = pytest.mark.slow
RUNNERS = 3


def applied_migrations(url: str) -> list[str]:
    query = "SELECT name FROM tortoise_migrations ORDER BY name"
    if url.startswith("sqlite://"):
        with sqlite3.connect(urlsplit(url).path) as connection:
            return [name for (name,) in connection.execute(query)]

    async def read() -> list[str]:
        connection = await asyncpg.connect(url)
        try:
            return [row["name"] for row in await connection.fetch(query)]
        finally:
            await connection.close()

    return asyncio.run(read())


def test_migrate_run_by_several_replicas_at_once_applies_each_migration_once(env):
    runners = [
        subprocess.Popen(  # noqa: S603 - our own console script
            [ROSTER, "migrate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(RUNNERS)
    ]
    results = [(runner.communicate(timeout=120), runner.returncode) for runner in runners]

    for (_, stderr), returncode in results:
        assert returncode == 0, stderr
        assert "Traceback" not in stderr
    outputs = sorted(stdout.strip() for (stdout, _), _ in results)
    assert outputs == ["applied 0 migration(s)"] * (RUNNERS - 1) + [
        f"applied {len(MIGRATIONS)} migration(s): {', '.join(MIGRATIONS)}"
    ]
    assert applied_migrations(env["ROSTER_DATABASE_URL"]) == MIGRATIONS
