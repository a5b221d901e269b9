"""Draining on SIGTERM: /readyz says 503 at once, requests are still served for
ROSTER_DRAIN_SECONDS with `Connection: close`, then the process exits."""

from __future__ import annotations

import http.client
import logging
import signal
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from uvicorn import Config

from domain.request_ids import REQUEST_ID
from tests.processes import Server, ok, serving
from web.app import create_app
from web.drain import STATE_KEY, Drain, DrainingServer
from web.logs import RequestIdFilter
from web.settings import Settings, SettingsError

pytestmark = pytest.mark.served

EXIT_SECONDS = 10.0  # Docker's SIGKILL comes 10 s after its SIGTERM


@pytest.fixture
async def drain_and_client(
    db, database_url, tmp_path
) -> AsyncIterator[tuple[Drain, httpx.AsyncClient]]:
    """The app with the drain a DrainingServer hands it in the lifespan state."""
    settings = Settings.from_env(
        {"ROSTER_DATABASE_URL": database_url, "ROSTER_DATA_DIR": str(tmp_path / "data")}
    )
    drain = Drain(seconds=3)
    async with LifespanManager(create_app(settings)) as manager:
        manager._state[STATE_KEY] = drain
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://roster.test") as client:
            yield drain, client


async def test_readyz_is_503_once_the_drain_begins(drain_and_client):
    drain, client = drain_and_client
    assert (await client.get("/readyz")).status_code == 200

    drain.begin()
    response = await client.get("/readyz")

    assert response.status_code == 503
    assert "draining" in response.json()["detail"]


async def test_responses_carry_connection_close_only_while_draining(drain_and_client):
    drain, client = drain_and_client
    assert "connection" not in (await client.get("/healthz")).headers

    drain.begin()
    responses = [await client.get(path) for path in ("/healthz", "/scim/v2/Users", "/")]

    assert [response.headers.get("connection") for response in responses] == ["close"] * 3


class _Kept(logging.Handler):
    """Keeps the records it is handed."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_the_drains_line_carries_no_request_id_even_when_the_signal_interrupts_a_request():
    server = DrainingServer(Config(app=create_app), drain_seconds=3.0)
    server.started = True  # serving: a SIGTERM begins the drain
    kept = _Kept()
    kept.addFilter(RequestIdFilter())
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addHandler(kept)
    level, uvicorn_log.level = uvicorn_log.level, logging.INFO
    in_flight = REQUEST_ID.set("okta-42")  # the request the signal interrupted
    try:
        server.handle_exit(signal.SIGTERM, None)
    finally:
        REQUEST_ID.reset(in_flight)
        uvicorn_log.removeHandler(kept)
        uvicorn_log.level = level

    (line,) = [record for record in kept.records if "draining" in record.getMessage()]
    assert not hasattr(line, "request_id")
    assert server.drain.draining


def test_drain_seconds_default_to_three(tmp_path):
    assert Settings.from_env({"ROSTER_DATA_DIR": str(tmp_path)}).drain_seconds == 3.0


@pytest.mark.parametrize("value", ["-1", "ten", "61", "nan"])
def test_drain_seconds_refuse_what_is_not_0_to_60_seconds(tmp_path, value):
    with pytest.raises(SettingsError, match="ROSTER_DRAIN_SECONDS"):
        Settings.from_env({"ROSTER_DATA_DIR": str(tmp_path), "ROSTER_DRAIN_SECONDS": value})


# --- `roster serve`, signalled --------------------------------------------------------------


def connection(server: Server, timeout: float) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)


def get(connection: http.client.HTTPConnection, path: str) -> http.client.HTTPResponse:
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_readyz_answers_503_within_half_a_second_of_sigterm(env, workers):
    ok(env, "migrate")
    with serving(env, workers=workers) as server:
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        statuses = []
        while time.monotonic() - signalled < 0.5:
            fresh = connection(server, timeout=2)
            statuses.append(get(fresh, "/readyz").status)  # a new connection: any worker
            fresh.close()
            time.sleep(0.02)

    assert statuses[-4:] == [503] * 4


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_a_request_during_the_drain_is_served_with_connection_close(env, workers):
    ok(env, "migrate")
    with serving(env, workers=workers) as server:
        kept = connection(server, timeout=5)
        before = get(kept, "/healthz")
        server.process.send_signal(signal.SIGTERM)
        time.sleep(1.0)  # well inside the 3 s drain
        during = get(kept, "/healthz")
        kept.close()

    assert before.getheader("connection") is None
    assert (during.status, during.getheader("connection")) == (200, "close")


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_stops_listening_and_exits_within_ten_seconds_of_sigterm(env, workers):
    ok(env, "migrate")
    with serving(env, workers=workers) as server:
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        server.process.wait(timeout=EXIT_SECONDS + 5)
        exited = time.monotonic() - signalled

        with pytest.raises(ConnectionRefusedError):
            connection(server, timeout=2).connect()
    assert 3.0 <= exited <= EXIT_SECONDS  # the drain's 3 s, then the graceful shutdown
