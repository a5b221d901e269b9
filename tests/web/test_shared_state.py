"""Shared state in Redis (ROSTER_REDIS_URL): several processes keep one rate-limit window per
caller and continue each other's walks; Redis down or slow never fails a request (the limits
open, the walks use what the process remembers), is logged once and counted, and is used again
as soon as it answers."""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx
import pytest
import redis

from domain import bus
from domain.commands import IssueScimToken
from domain.shared_store import RETRY_SECONDS, SharedStore
from domain.walks import POSITION_SECONDS, TOTAL_SECONDS, Walks
from tests.conftest import running_app
from tests.processes import free_port
from tests.web.test_metrics import SCRAPE_TOKEN, SCRAPER, value
from web.metrics import Metrics
from web.rate_limits import RateLimit, RateLimited
from web.settings import Settings, SettingsError

BASE = "http://roster.test"
LISTING = (1, 'userName sw "a"', "created_at", False)


@asynccontextmanager
async def opened(
    url: str, prefix: str, metrics: Metrics | None = None
) -> AsyncIterator[SharedStore]:
    """One process's connection to the shared store (what the app's lifespan opens)."""
    errors = metrics.shared_state_errors if metrics is not None else None
    store = SharedStore(
        url, prefix, on_error=(lambda name: errors.labels(name).inc()) if errors else None
    )
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def closed_port_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


@contextmanager
def private_redis(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A redis-server of this test's own (never the suite's), stopped by its process id."""
    executable = shutil.which("redis-server")
    assert executable is not None, "redis-server is not installed (.ci/run installs it)"
    server = subprocess.Popen(  # noqa: S603 - Debian's redis-server, on loopback
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert server.poll() is None, "redis-server exited"
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()
        yield server
    finally:
        server.terminate()
        server.wait(timeout=10)


async def test_two_processes_spend_from_one_window(redis_url, redis_prefix):
    async with opened(redis_url, redis_prefix) as first, opened(redis_url, redis_prefix) as second:
        here, there = RateLimit("3/minute", first), RateLimit("3/minute", second)
        await here.spend("scim_token:okta")
        await there.spend("scim_token:okta")
        await here.spend("scim_token:okta")

        with pytest.raises(RateLimited) as refused:
            await there.spend("scim_token:okta")

    assert 1 <= refused.value.retry_after <= 60


async def test_deployments_with_different_prefixes_keep_separate_windows(redis_url, redis_prefix):
    async with (
        opened(redis_url, redis_prefix) as ours,
        opened(redis_url, f"{redis_prefix}-staging") as theirs,
    ):
        await RateLimit("1/minute", ours).spend("scim_token:okta")
        await RateLimit("1/minute", theirs).spend("scim_token:okta")  # not refused


async def test_with_redis_unreachable_requests_pass_with_one_warning_and_are_counted(
    db, database_url, tmp_path, operator, caplog
):
    token = (await bus.handle(IssueScimToken(name="Okta"), operator)).secret
    okta = {"Authorization": f"Bearer {token}"}
    caplog.set_level(logging.WARNING, logger="roster.shared_state")
    async with (
        running_app(
            database_url,
            tmp_path,
            ROSTER_REDIS_URL=closed_port_url(),
            ROSTER_SCIM_RATE_LIMIT="1/minute",
            ROSTER_METRICS_TOKEN=SCRAPE_TOKEN,
        ) as app,
        httpx.AsyncClient(transport=app, base_url=BASE) as http,
    ):
        statuses = [(await http.get("/scim/v2/Users/nobody", headers=okta)).status_code]
        statuses += [(await http.get("/scim/v2/Users/nobody", headers=okta)).status_code]
        statuses += [(await http.get("/scim/v2/Users", headers=okta)).status_code]
        scrape = (await http.get("/metrics", headers=SCRAPER)).text

    assert statuses == [404, 404, 200]  # 1/minute, yet nothing refused: the limit failed open
    warnings = [r for r in caplog.records if r.name == "roster.shared_state"]
    assert len(warnings) == 1
    assert "Redis" in warnings[0].getMessage()
    assert value(scrape, "roster_shared_state_errors_total", store="rate_limits") == 3
    assert value(scrape, "roster_shared_state_errors_total", store="walks") >= 1


@asynccontextmanager
async def unanswering_server() -> AsyncIterator[str]:
    """A server that takes connections and commands and never answers (a Redis stalled)."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(4096):
            pass
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.close()


async def test_a_redis_that_does_not_answer_holds_a_request_back_a_quarter_second_at_most(
    redis_prefix,
):
    async with unanswering_server() as url, opened(url, redis_prefix) as store:
        limit = RateLimit("1/minute", store)
        timings = []
        for _ in range(3):
            started = time.monotonic()
            await limit.spend("scim_token:okta")  # the limit is open: no RateLimited
            timings.append(time.monotonic() - started)

    assert 0.2 <= timings[0] < 0.5  # waited for the timeout once
    assert max(timings[1:]) < 0.05  # then Redis is left alone for a while


def test_redis_is_a_setting_with_a_prefix(tmp_path):
    base = {"ROSTER_DATA_DIR": str(tmp_path), "ROSTER_SECRET_KEY": "k" * 40}
    assert (Settings.from_env(base).redis_url, Settings.from_env(base).redis_prefix) == (
        None,
        "roster",
    )
    shared = Settings.from_env({**base, "ROSTER_REDIS_URL": "redis://cache.example:6379/2"})
    assert shared.redis_url == "redis://cache.example:6379/2"
    with pytest.raises(SettingsError, match="ROSTER_REDIS_URL"):
        Settings.from_env({**base, "ROSTER_REDIS_URL": "cache.example:6379"})
    with pytest.raises(SettingsError, match="ROSTER_REDIS_PREFIX"):
        Settings.from_env({**base, "ROSTER_REDIS_PREFIX": "two words"})


async def test_the_limits_use_redis_again_once_it_is_back(redis_prefix):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    limit_spec = "2/minute"
    with private_redis(port) as server:
        async with opened(url, redis_prefix) as store:
            limit = RateLimit(limit_spec, store)
            await limit.spend("scim_token:okta")
            server.terminate()
            server.wait(timeout=10)
            for _ in range(4):  # down: every request passes
                await limit.spend("scim_token:okta")
            with private_redis(port):  # back, empty (no persistence)
                await asyncio.sleep(RETRY_SECONDS + 0.1)
                await limit.spend("scim_token:okta")
                await limit.spend("scim_token:okta")
                with pytest.raises(RateLimited):  # counted in Redis again
                    await limit.spend("scim_token:okta")


async def test_a_walk_continues_from_a_page_another_process_served(redis_url, redis_prefix):
    async with opened(redis_url, redis_prefix) as first, opened(redis_url, redis_prefix) as second:
        here, there = Walks(first), Walks(second)
        await here.page_ended(LISTING, 100, "cursor-after-100")
        await here.counted(LISTING, 100_000)

        assert await there.cursor_before(LISTING, 100) == "cursor-after-100"
        assert await there.total(LISTING) == 100_000
        assert await there.cursor_before(LISTING, 200) is None
        assert await there.total((2, *LISTING[1:])) is None  # another organization's listing

        keys = [key async for key in second.client.scan_iter(f"{redis_prefix}:walks:*")]
        expiries = sorted([await second.client.pttl(key) for key in keys])
    assert len(keys) == 2
    assert 0 < expiries[0] <= TOTAL_SECONDS * 1000
    assert TOTAL_SECONDS * 1000 < expiries[1] <= POSITION_SECONDS * 1000


async def test_with_redis_down_a_walk_falls_back_to_this_process_or_offset():
    async with opened(closed_port_url(), "roster-test") as down:
        here, elsewhere = Walks(down), Walks(down)
        await here.page_ended(LISTING, 100, "cursor-after-100")

        assert await here.cursor_before(LISTING, 100) == "cursor-after-100"
        assert await elsewhere.cursor_before(LISTING, 100) is None  # OFFSET, no error
