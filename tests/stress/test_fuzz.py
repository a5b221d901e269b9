"""Generated traffic against a real `roster serve`, endpoint by endpoint: filters of every sort
on GET /Users, user bodies valid and hostile on POST /Users and PUT /Users/{id}, PATCH bodies,
search bodies on POST /Users/.search, and bytes that are not JSON at all (the strategies of
`tests.strategies`, shared with the property tests). Roster answers every one with less than
500, and every error with an RFC 7644 error body."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.strategies.bodies import (
    hostile_user_bodies,
    search_bodies,
    valid_user_bodies,
    wire_requests,
)
from tests.strategies.filters import any_filters
from tests.strategies.patches import patch_bodies
from tests.strategies.values import CORE
from tests.stress.figures import Recorder
from tests.stress.harness import Stress

pytestmark = [pytest.mark.stress, pytest.mark.slow]

SCIM_JSON = "application/scim+json"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
SEEDED_USERS = 20
# (method, path as the test's id shows it, what one request is made of)
Request = tuple[str, str, dict[str, Any]]
ENDPOINTS = (
    "GET /Users?filter=",
    "POST /Users",
    "PUT /Users/{id}",
    "PATCH /Users/{id}",
    "POST /Users/.search",
)


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    bad_errors: int = 0  # a 4xx or 5xx whose body is not an RFC 7644 error
    examples: list[str] = field(default_factory=list)  # the first failures, to reproduce

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def note(self, request: Request, response: httpx.Response) -> None:
        self.statuses[response.status_code] += 1
        well_formed = response.status_code < 400 or is_scim_error(response)
        if not well_formed:
            self.bad_errors += 1
        if (response.status_code >= 500 or not well_formed) and len(self.examples) < 3:
            method, path, parts = request
            sent = repr(parts.get("content", parts.get("params")))[:200]
            self.examples.append(f"{method} {path} {sent} -> {response.status_code}")


def is_scim_error(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return (
        response.headers.get("content-type", "").startswith(SCIM_JSON)
        and isinstance(body, dict)
        and body.get("schemas") == [ERROR_SCHEMA]
        and body.get("status") == str(response.status_code)
        and bool(body.get("detail"))
    )


class _OutOfTime(Exception):
    pass


def drive(
    client: httpx.Client, requests: st.SearchStrategy[Request], count: int, seconds: float
) -> tuple[Tally, float]:
    """Send `count` generated requests (fewer if `seconds` run out); never shrinks."""
    tally = Tally()
    started = time.monotonic()

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(request=requests)
    def send(request: Request) -> None:
        if time.monotonic() - started > seconds:
            raise _OutOfTime
        method, path, parts = request
        try:
            response = client.request(method, path, **parts)
        except httpx.TransportError as error:  # the server dropped us: count it as a 5xx
            response = httpx.Response(599, text=repr(error))
        tally.note(request, response)

    with contextlib.suppress(_OutOfTime):
        send()
    return tally, time.monotonic() - started


def _ids(known: list[str]) -> st.SearchStrategy[str]:
    """Mostly a seeded user's id; now and then one that names no user."""
    return st.sampled_from([*known, str(uuid.uuid4()), "not-a-uuid"])


def endpoints(ids: list[str]) -> dict[str, st.SearchStrategy[Request]]:
    bodies = valid_user_bodies() | hostile_user_bodies()

    def with_body(method: str, path: str) -> Callable[[tuple[bytes, str]], Request]:
        def request(wire: tuple[bytes, str]) -> Request:
            content, media = wire
            return method, path, {"content": content, "headers": {"Content-Type": media}}

        return request

    def at_user(method: str, body: st.SearchStrategy[Any]) -> st.SearchStrategy[Request]:
        return st.tuples(_ids(ids), wire_requests(body)).map(
            lambda pair: with_body(method, f"/Users/{pair[0]}")(pair[1])
        )

    listing = st.fixed_dictionaries(
        {"filter": any_filters()},
        optional={
            "startIndex": st.integers(-5, 10**20).map(str),
            "count": st.integers(-5, 10**6).map(str),
            "sortBy": st.sampled_from(["userName", "meta.created", "title", "x"]),
        },
    )
    strategies = {
        "GET /Users?filter=": listing.map(lambda query: ("GET", "/Users", {"params": query})),
        "POST /Users": wire_requests(bodies).map(with_body("POST", "/Users")),
        "PUT /Users/{id}": at_user("PUT", bodies),
        "PATCH /Users/{id}": at_user("PATCH", patch_bodies()),
        "POST /Users/.search": wire_requests(search_bodies()).map(
            with_body("POST", "/Users/.search")
        ),
    }
    assert tuple(strategies) == ENDPOINTS
    return strategies


def seed(client: httpx.Client) -> list[str]:
    ids = []
    for index in range(SEEDED_USERS):
        body = {
            "schemas": [CORE],
            "userName": f"fuzz{index:03d}@acme.test",
            "name": {"givenName": "Fuzz", "familyName": f"User{index}"},
            "emails": [{"value": f"fuzz{index:03d}@acme.test", "type": "work", "primary": True}],
            "active": True,
        }
        response = client.post("/Users", json=body)
        response.raise_for_status()
        ids.append(str(response.json()["id"]))
    return ids


@dataclass(frozen=True, slots=True)
class Fuzzed:
    client: httpx.Client  # on the server's /scim/v2, with the organization's SCIM token
    requests: dict[str, st.SearchStrategy[Request]]  # by endpoint


@pytest.fixture(scope="module")
def fuzzed(stress: Stress) -> Iterator[Fuzzed]:
    """One `roster serve` on a fresh database with a few users, for every endpoint."""
    database = stress.fresh_database("fuzz")
    headers = {"Authorization": f"Bearer {database.credentials.scim_token}", "Accept": SCIM_JSON}
    with (
        stress.serve(database) as server,
        httpx.Client(base_url=f"{server.url}/scim/v2", headers=headers, timeout=30.0) as client,
    ):
        yield Fuzzed(client, endpoints(seed(client)))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_generated_requests_get_no_5xx_and_every_error_is_a_scim_error(
    fuzzed: Fuzzed, stress: Stress, figures: Recorder, endpoint: str
) -> None:
    count = stress.scale(5000, 150)
    seconds = stress.scale(600, 60)  # per endpoint
    tally, took = drive(fuzzed.client, fuzzed.requests[endpoint], count, seconds)
    detail = f"{tally.requests} generated in {took:.0f} s"
    if tally.examples:
        detail += "; " + "; ".join(tally.examples)
    figures(f"fuzz: {endpoint}", requests=tally.requests, statuses=tally.statuses, detail=detail)

    assert tally.requests >= count, f"only {tally.requests} of {count} in {seconds} s"
    assert tally.bad_errors == 0, f"errors without a SCIM error body: {tally.examples}"
    server_errors = {status: n for status, n in tally.statuses.items() if status >= 500}
    assert server_errors == {}, f"5xx answers: {tally.examples}"
