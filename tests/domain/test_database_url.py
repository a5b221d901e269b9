"""What a PostgreSQL `ROSTER_DATABASE_URL` can say beyond where the database is: asyncpg's pool
size and statement cache (PgBouncer in transaction mode needs `statement_cache_size=0`) and
the TLS mode, by libpq's names."""

from __future__ import annotations

import os

import pytest

from domain import database
from domain.database import SSL_MODES, connection_config

URL = "postgres://roster:secret@db.internal:6432/roster"
SERVER = os.environ.get("ROSTER_TEST_DATABASE_URL", "").rstrip("/")
on_postgres = pytest.mark.skipif(not SERVER, reason="needs the suite's PostgreSQL server")


def credentials(query: str) -> dict[str, object]:
    return dict(connection_config(f"{URL}?{query}")["credentials"])


def test_pool_size_and_statement_cache_reach_asyncpg():
    given = credentials("minsize=1&maxsize=10&statement_cache_size=0")

    assert given["minsize"] == "1"  # Tortoise's asyncpg client reads these as numbers
    assert given["maxsize"] == "10"
    assert given["statement_cache_size"] == 0


@pytest.mark.parametrize("mode", SSL_MODES)
@pytest.mark.parametrize("name", ["ssl", "sslmode"])
def test_the_tls_mode_reaches_asyncpg_by_its_libpq_name(name, mode):
    given = credentials(f"{name}={mode}")

    assert given["ssl"] == mode
    assert "sslmode" not in given


def test_no_tls_mode_leaves_asyncpg_its_default():
    assert "ssl" not in credentials("maxsize=5")


@pytest.mark.parametrize("query", ["ssl=true", "sslmode=on", "ssl=require&sslmode=disable"])
def test_a_tls_mode_that_is_not_libpq_s_is_refused_without_the_password(query):
    with pytest.raises(ValueError, match="verify-full") as refused:
        connection_config(f"{URL}?{query}")

    assert "secret" not in str(refused.value)


@on_postgres
async def test_a_server_without_tls_is_reached_with_ssl_disable_and_pgbouncer_settings():
    url = f"{SERVER}/postgres?ssl=disable&minsize=1&maxsize=2&statement_cache_size=0"
    context = await database.open_database(url)
    try:
        assert await context.db().execute_query_dict("SELECT 1 AS answer") == [{"answer": 1}]
    finally:
        await database.close_database(context)
