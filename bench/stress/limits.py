"""Rate limits under load: one SCIM token (and one API token) driven far past its limit at
concurrency 16 gets 429 with Retry-After and its door's error body, never a 5xx, and no more
successes than the limit allows; a second token at a modest pace is not held back."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from bench.servers import HOST
from bench.stress.harness import Stress, request_bound
from bench.stress.outcome import Outcome

SCIM_LIMIT_PER_SECOND = 20
GRAPHQL_LIMIT_PER_SECOND = 10
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    bad_refusals: int = 0  # a 429 without Retry-After or without the door's error body
    capped: bool = False  # the request bound was reached before the time was up

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


def _scim_refusal_ok(response: httpx.Response) -> bool:
    body = response.json()
    return bool(body.get("schemas") == [SCIM_ERROR] and body.get("status") == "429")


def _graphql_refusal_ok(response: httpx.Response) -> bool:
    errors = response.json().get("errors") or [{}]
    return bool(errors[0].get("extensions", {}).get("code") == "RATE_LIMITED")


async def _drive(
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
                check = _scim_refusal_ok if send == "scim" else _graphql_refusal_ok
                retry_after = response.headers.get("retry-after", "")
                if not retry_after.isdigit() or not check(response):
                    tally.bad_refusals += 1
            if pause:
                await asyncio.sleep(pause)

    await asyncio.gather(*(loop() for _ in range(workers)))
    return tally


def _outcome(name: str, tally: Tally, allowed: int, seconds: float) -> Outcome:
    successes = tally.statuses[200]
    problems = []
    if tally.bad_refusals:
        problems.append(f"{tally.bad_refusals} refusals without Retry-After or error body")
    if successes > allowed:
        problems.append(f"{successes} successes where the limit allows {allowed}")
    if tally.statuses[429] == 0:
        problems.append("the limit never refused")
    unexpected = set(tally.statuses) - {200, 429}
    if unexpected:
        problems.append(f"unexpected statuses {sorted(unexpected)}")
    detail = f"{successes} allowed of at most {allowed} in {seconds:.1f} s"
    if tally.capped:
        detail += " (request bound reached before the time was up)"
    return Outcome(
        name,
        passed=not problems,
        requests=tally.requests,
        statuses=tally.statuses,
        detail="; ".join([detail, *problems]),
    )


async def _limits(port: int, scim_token: str, other_scim: str, api_token: str, seconds: float,
                  max_requests: int) -> list[Outcome]:  # fmt: skip
    base = f"http://{HOST}:{port}"
    limits = httpx.Limits(max_connections=32)

    def client(token: str) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30)

    async with client(scim_token) as hammer, client(other_scim) as calm, client(api_token) as api:
        started = time.monotonic()
        hammered, calmed = await asyncio.gather(
            _drive(hammer, "scim", workers=16, seconds=seconds, max_requests=max_requests),
            _drive(calm, "scim", workers=1, seconds=seconds, max_requests=200, pause=0.25),
        )
        scim_seconds = time.monotonic() - started
        started = time.monotonic()
        graphql = await _drive(api, "graphql", workers=16, seconds=seconds,
                               max_requests=max_requests)  # fmt: skip
        graphql_seconds = time.monotonic() - started
    # a moving window admits at most `limit` in any second: over t seconds, limit x ceil(t)
    scim_allowed = SCIM_LIMIT_PER_SECOND * (int(scim_seconds) + 1)
    graphql_allowed = GRAPHQL_LIMIT_PER_SECOND * (int(graphql_seconds) + 1)
    calm_problems = [] if set(calmed.statuses) == {200} else [f"statuses {dict(calmed.statuses)}"]
    return [
        _outcome("limits: scim token past its limit", hammered, scim_allowed, scim_seconds),
        Outcome(
            "limits: another scim token meanwhile",
            passed=not calm_problems,
            requests=calmed.requests,
            statuses=calmed.statuses,
            detail="; ".join(["never held back", *calm_problems]),
        ),
        _outcome("limits: api token past its limit", graphql, graphql_allowed, graphql_seconds),
    ]


def run(stress: Stress) -> list[Outcome]:
    database = stress.fresh_database("limits")
    other = stress.second_scim_token(database)
    limited = dataclasses.replace(
        database,
        env={
            **database.env,
            "ROSTER_SCIM_RATE_LIMIT": f"{SCIM_LIMIT_PER_SECOND}/second",
            "ROSTER_GRAPHQL_RATE_LIMIT": f"{GRAPHQL_LIMIT_PER_SECOND}/second",
        },
    )
    seconds = stress.scale(10, 2)
    max_requests = request_bound(seconds)  # the loads end by time
    assert database.credentials.api_token is not None
    with stress.serve(limited) as server:
        tokens = (database.credentials.scim_token, other, database.credentials.api_token)
        return asyncio.run(_limits(server.port, *tokens, seconds, max_requests))
