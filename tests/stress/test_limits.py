"""Rate limits under load: one SCIM token (and one API token) driven far past its limit at
concurrency 16 gets 429 with Retry-After and its door's error body, never a 5xx, and no more
successes than the limit allows; a second token at a modest pace is not held back."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.processes import Server
from tests.stress.figures import Recorder
from tests.stress.harness import Stress, request_bound

pytestmark = [pytest.mark.stress, pytest.mark.slow]

SCIM_LIMIT_PER_SECOND = 20
GRAPHQL_LIMIT_PER_SECOND = 10
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
WORKERS = 16  # the hammering clients


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    bad_refusals: int = 0  # a 429 without Retry-After or without the door's error body
    capped: bool = False  # the request bound was reached before the time was up
    seconds: float = 0.0  # how long the load lasted

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


def scim_refusal_ok(response: httpx.Response) -> bool:
    body = response.json()
    return bool(body.get("schemas") == [SCIM_ERROR] and body.get("status") == "429")


def graphql_refusal_ok(response: httpx.Response) -> bool:
    errors = response.json().get("errors") or [{}]
    return bool(errors[0].get("extensions", {}).get("code") == "RATE_LIMITED")


async def drive(
    client: httpx.AsyncClient,
    send: str,
    *,
    workers: int,
    seconds: float,
    max_requests: int,
    pause: float = 0.0,
) -> Tally:
    """`workers` loops sending the request `send` names until `seconds` or `max_requests`."""
    tally = Tally()
    deadline = time.monotonic() + seconds

    async def one() -> httpx.Response:
        if send == "scim":
            return await client.get("/scim/v2/Users", params={"count": "1"})
        return await client.post("/graphql", json={"query": "{ roles { key } }"})

    async def loop() -> None:
        while time.monotonic() < deadline:
            if tally.requests >= max_requests:
                tally.capped = True
                return
            response = await one()
            tally.statuses[response.status_code] += 1
            if response.status_code == 429:
                check = scim_refusal_ok if send == "scim" else graphql_refusal_ok
                retry_after = response.headers.get("retry-after", "")
                if not retry_after.isdigit() or not check(response):
                    tally.bad_refusals += 1
            if pause:
                await asyncio.sleep(pause)

    await asyncio.gather(*(loop() for _ in range(workers)))
    return tally


def client(server: Server, token: str) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=32)
    return httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=30)


@dataclass(frozen=True, slots=True)
class Limited:
    server: Server
    scim_token: str
    other_scim_token: str
    api_token: str
    seconds: int  # how long each load lasts; they end by time, their bounds never


@pytest.fixture(scope="module")
def limited(stress: Stress) -> Iterator[Limited]:
    """`roster serve` with SCIM limited to 20 requests a second per token and GraphQL to 10."""
    database = stress.fresh_database("limits")
    other = stress.second_scim_token(database)
    env = {
        **database.env,
        "ROSTER_SCIM_RATE_LIMIT": f"{SCIM_LIMIT_PER_SECOND}/second",
        "ROSTER_GRAPHQL_RATE_LIMIT": f"{GRAPHQL_LIMIT_PER_SECOND}/second",
    }
    credentials = database.credentials
    with stress.serve(dataclasses.replace(database, env=env)) as server:
        yield Limited(
            server, credentials.scim_token, other, credentials.api_token, stress.scale(10, 2)
        )


@pytest.fixture(scope="module")
def scim_load(limited: Limited) -> tuple[Tally, Tally]:
    """One SCIM token hammered by 16 clients while another sends a request every 0.25 s."""

    async def load() -> tuple[Tally, Tally]:
        seconds = limited.seconds
        async with (
            client(limited.server, limited.scim_token) as hammer,
            client(limited.server, limited.other_scim_token) as calm,
        ):
            started = time.monotonic()
            hammered, calmed = await asyncio.gather(
                drive(
                    hammer,
                    "scim",
                    workers=WORKERS,
                    seconds=seconds,
                    max_requests=request_bound(seconds),
                ),
                drive(calm, "scim", workers=1, seconds=seconds, max_requests=200, pause=0.25),
            )
            hammered.seconds = calmed.seconds = time.monotonic() - started
            return hammered, calmed

    return asyncio.run(load())


@pytest.fixture(scope="module")
def graphql_load(limited: Limited, scim_load: tuple[Tally, Tally]) -> Tally:
    """The API token hammered by 16 clients (after the SCIM load)."""

    async def load() -> Tally:
        seconds = limited.seconds
        async with client(limited.server, limited.api_token) as api:
            started = time.monotonic()
            bound = request_bound(seconds)
            tally = await drive(
                api, "graphql", workers=WORKERS, seconds=seconds, max_requests=bound
            )
            tally.seconds = time.monotonic() - started
            return tally

    return asyncio.run(load())


def assert_held_to_its_limit(figures: Recorder, name: str, tally: Tally, per_second: int) -> None:
    # a moving window admits at most `limit` in any second: over t seconds, limit x ceil(t)
    allowed = per_second * (int(tally.seconds) + 1)
    successes = tally.statuses[200]
    detail = f"{successes} allowed of at most {allowed} in {tally.seconds:.1f} s"
    if tally.capped:
        detail += " (request bound reached before the time was up)"
    figures(name, requests=tally.requests, statuses=tally.statuses, detail=detail)

    assert tally.bad_refusals == 0, "refusals without Retry-After or the door's error body"
    assert successes <= allowed, f"{successes} successes where the limit allows {allowed}"
    assert tally.statuses[429] > 0, "the limit never refused"
    assert set(tally.statuses) <= {200, 429}, f"unexpected statuses {tally.statuses}"


def test_a_scim_token_past_its_limit_is_refused_429_with_retry_after(
    scim_load: tuple[Tally, Tally], figures: Recorder
) -> None:
    hammered, _ = scim_load
    assert_held_to_its_limit(
        figures, "limits: scim token past its limit", hammered, SCIM_LIMIT_PER_SECOND
    )


def test_another_scim_token_is_never_held_back_meanwhile(
    scim_load: tuple[Tally, Tally], figures: Recorder
) -> None:
    _, calmed = scim_load
    figures(
        "limits: another scim token meanwhile",
        requests=calmed.requests,
        statuses=calmed.statuses,
        detail="never held back",
    )

    assert set(calmed.statuses) == {200}, f"statuses {dict(calmed.statuses)}"


def test_an_api_token_past_its_limit_is_refused_with_rate_limited_errors(
    graphql_load: Tally, figures: Recorder
) -> None:
    assert_held_to_its_limit(
        figures, "limits: api token past its limit", graphql_load, GRAPHQL_LIMIT_PER_SECOND
    )
