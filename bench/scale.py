"""The scale bench: the same requests against organizations of 1,000, 10,000 and 100,000 users,
so that a request's cost can be seen not to grow with its tenant.

Each size has a database of its own, seeded in bulk with the domain's own functions
(`seeding.bulk_seed`) and measured right after: never analyzed, and with autovacuum off on
every table (`seeding.autovacuum_off`), so that PostgreSQL plans without statistics, as on any
new deployment right after its first import. The servers of every size run side by side and
each scenario is measured at every size in turn, so that the drift of a shared machine falls
on all sizes alike.

Every request acts on one of `SAMPLE` seeded users spread evenly through the organization:

- get: `GET /Users/{id}`;
- filter: `userName eq "..."`;
- emails: `emails[value eq "..."]`;
- deactivate: Okta's no-path PATCH (the next pass over the sample reactivates);
- list_start: `startIndex=1&count=100`, a walk's first page (its count included);
- list_end: the last `END_PAGES` pages of Okta's walk by `startIndex`, each continuing where
  its previous page ended (the walk up to there is made before the scenario);
- graphql_search: GraphQL `users(first: 100, search: ...)` with roles and totalCount, as the
  settings page asks, searching for one user by the local part of their userName;
- create: Okta's create, a userName filter for a new user then its POST (request 2k filters
  for new user k, request 2k + 1 creates it); last, as it adds users."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import urllib.parse
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import loadgen, seeding
from bench.measure import Load, figures, measure
from bench.scim import SCIM_TYPE, okta_body
from bench.seeding import Credentials, user_name
from bench.servers import HOST, database_url, drop_database, roster_env, roster_serve, serving

SIZES = (1_000, 10_000, 100_000)
SMOKE_SIZES = (100, 1_000)
SAMPLE = 1_000  # seeded users the scenarios act on, spread evenly through the organization
PAGE = 100
END_PAGES = 5  # list_end cycles over the walk's last pages
ROUNDS = 3  # per scenario and size, each a third of the scenario's time
MEDIANS = ("requests_per_second", "p50_ms", "p95_ms", "p99_ms")
SCENARIOS = (
    "get",
    "filter",
    "emails",
    "deactivate",
    "list_start",
    "list_end",
    "graphql_search",
    "create",
)
SEARCH = """query Search($search: String) {
  users(first: 100, search: $search) {
    totalCount
    edges { node { id userName role { key name } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


@dataclass(frozen=True, slots=True)
class Tenant:
    """One size's organization: its database, its credentials and the sampled users."""

    users: int
    url: str
    data_dir: Path
    credentials: Credentials
    sample: list[tuple[int, str]]  # (seed index, id)
    seed_seconds: float


def seed_tenant(kind: str, folder: Path, users: int, batch: int) -> Tenant:
    url = database_url(kind, folder, f"scale{users}")
    credentials = asyncio.run(seeding.prepare(url, admin=True))
    asyncio.run(seeding.autovacuum_off(url))
    began = time.perf_counter()
    ids = asyncio.run(seeding.bulk_seed(url, credentials, users, batch, analyzed=False))
    seconds = time.perf_counter() - began
    count = min(SAMPLE, users)
    sample = [(index, ids[index]) for index in (n * users // count for n in range(count))]
    data_dir = folder / f"scale{users}-data"
    print(f"{f'scale seed {users}':<28} {seconds:9.2f} s ({batch} per insert)", flush=True)
    return Tenant(users, url, data_dir, credentials, sample, seconds)


class TenantRequests:
    """Request `n` of each scenario against one size's server."""

    def __init__(self, port: int, tenant: Tenant) -> None:
        self.port = port
        self.host = f"{HOST}:{port}"
        self.tenant = tenant
        self.sample = tenant.sample
        self.headers = {
            "Accept": SCIM_TYPE,
            "Authorization": f"Bearer {tenant.credentials.scim_token}",
        }
        self.json_headers = {**self.headers, "Content-Type": f"{SCIM_TYPE}; charset=utf-8"}
        self.run_id = uuid.uuid4().hex[:6]
        self.sent: dict[str, int] = {}  # scenario -> the requests numbered so far
        listed = tenant.users + 1  # and the admin
        last = (listed - 1) // PAGE * PAGE + 1
        self.end_starts = list(range(last, 0, -PAGE))[:END_PAGES][::-1]

    def _scim(self, method: str, path: str, body: bytes = b"") -> bytes:
        headers = self.json_headers if body else self.headers
        return loadgen.request(
            method, f"/scim/v2{path}", host=self.host, headers=headers, body=body
        )

    def _filtered(self, expression: str) -> bytes:
        """A filter as Okta sends it."""
        query = f"filter={urllib.parse.quote(expression)}&startIndex=1&count={PAGE}"
        return self._scim("GET", f"/Users?{query}")

    def _index(self, n: int) -> tuple[int, str]:
        return self.sample[n % len(self.sample)]

    def get(self, n: int) -> bytes:
        return self._scim("GET", f"/Users/{self._index(n)[1]}")

    def filter(self, n: int) -> bytes:
        return self._filtered(f'userName eq "{user_name(self._index(n)[0])}"')

    def emails(self, n: int) -> bytes:
        return self._filtered(f'emails[value eq "{user_name(self._index(n)[0])}"]')

    def deactivate(self, n: int) -> bytes:
        active = (n // len(self.sample)) % 2 == 1
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": active}}],
        }
        return self._scim("PATCH", f"/Users/{self._index(n)[1]}", json.dumps(body).encode())

    def page(self, start: int) -> bytes:
        return self._scim("GET", f"/Users?startIndex={start}&count={PAGE}")

    def list_start(self, n: int) -> bytes:
        return self.page(1)

    def list_end(self, n: int) -> bytes:
        return self.page(self.end_starts[n % len(self.end_starts)])

    def graphql_search(self, n: int) -> bytes:
        search = user_name(self._index(n)[0]).partition("@")[0]
        body = json.dumps({"query": SEARCH, "variables": {"search": search}}).encode()
        token = self.tenant.credentials.api_token
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        return loadgen.request("POST", "/graphql", host=self.host, headers=headers, body=body)

    def create(self, n: int) -> bytes:
        name = f"okta-{self.run_id}-{n // 2}@bench.test"
        if n % 2 == 0:
            return self._filtered(f'userName eq "{name}"')
        return self._scim("POST", "/Users", okta_body(name))

    def numbered(self, scenario: str) -> loadgen.RequestFactory:
        """The scenario's requests for its next round, numbered on from the last round's: a
        create never repeats a userName, a deactivation pass goes on where it stopped."""
        make: loadgen.RequestFactory = getattr(self, scenario)
        first = self.sent.get(scenario, 0)

        def numbered(n: int) -> bytes:
            self.sent[scenario] = max(self.sent.get(scenario, 0), first + n + 1)
            return make(first + n)

        return numbered

    async def check(self) -> None:
        """One request of the lookups: each finds exactly its user (SystemExit otherwise)."""
        async with loadgen.Connection(HOST, self.port) as connection:
            for name in ("filter", "emails"):
                status, body = await connection.send(getattr(self, name)(0))
                found = json.loads(body).get("totalResults") if status == 200 else None
                if found != 1:
                    raise SystemExit(f"scale {name} answered {status}: {body[:300]!r}")
            status, body = await connection.send(self.graphql_search(0))
            answer = json.loads(body) if status == 200 else {}
            users = (answer.get("data") or {}).get("users") or {}
            if answer.get("errors") or len(users.get("edges", [])) != 1:
                raise SystemExit(f"scale graphql_search answered {status}: {body[:300]!r}")

    async def walk_to_end(self) -> None:
        """Okta's walk up to the pages list_end reads: from the page before them (read by
        OFFSET, as a page nobody walked to) to the last, so that each of those continues
        where its previous page ended."""
        async with loadgen.Connection(HOST, self.port) as connection:
            for start in [self.end_starts[0] - PAGE, *self.end_starts]:
                if start < 1:
                    continue
                status, body = await connection.send(self.page(start))
                if status != 200:
                    raise SystemExit(f"scale walk answered {status}: {body[:300]!r}")


def scale(
    kind: str, folder: Path, sizes: tuple[int, ...], batch: int, load: Load
) -> dict[str, Any]:
    """Every scenario at every size; the figures by size, and the seed times."""
    tenants: list[Tenant] = []
    by_size: dict[str, dict[str, Any]] = {str(size): {} for size in sizes}
    try:
        for size in sizes:
            tenants.append(seed_tenant(kind, folder, size, batch))
        with ExitStack() as stack:
            servers = [
                stack.enter_context(
                    serving(roster_serve(), roster_env(t.url, t.data_dir), "/readyz")
                )
                for t in tenants
            ]
            requests = [TenantRequests(s.port, t) for s, t in zip(servers, tenants, strict=True)]
            for each in requests:
                asyncio.run(each.check())
            for scenario in SCENARIOS:
                rounds: list[list[dict[str, Any]]] = [[] for _ in tenants]
                for turn in range(ROUNDS):
                    for index in [(turn + i) % len(tenants) for i in range(len(tenants))]:
                        if scenario == "list_end":
                            asyncio.run(requests[index].walk_to_end())
                        make = requests[index].numbered(scenario)
                        result = measure(servers[index].port, make, load.scaled(1 / ROUNDS))
                        rounds[index].append(figures(result, servers[index].peak_rss_mb()))
                for tenant, found in zip(tenants, rounds, strict=True):
                    combined = _combined(found)
                    by_size[str(tenant.users)][scenario] = combined
                    print(_line(f"scale {tenant.users} {scenario}", combined), flush=True)
    finally:
        for tenant in tenants:
            asyncio.run(drop_database(tenant.url))
    return {
        "sizes": list(sizes),
        "sample": SAMPLE,
        "rounds": ROUNDS,
        "scenarios": list(SCENARIOS),
        "seed_seconds": {str(t.users): round(t.seed_seconds, 2) for t in tenants},
        "by_size": by_size,
    }


def _combined(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One size's figures for a scenario: the medians of its rounds, their errors summed."""
    errors: Counter[str] = Counter()
    for found in rounds:
        errors.update(found["errors"])
    medians = {key: statistics.median(r[key] for r in rounds) for key in MEDIANS}
    return {
        **medians,
        "requests": sum(r["requests"] for r in rounds),
        "errors": dict(errors),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in rounds),
        "rounds_per_second": [r["requests_per_second"] for r in rounds],
    }


def _line(name: str, found: dict[str, Any]) -> str:
    rounds = ", ".join(f"{rate:.0f}" for rate in found["rounds_per_second"])
    return (
        f"{name:<28} {found['requests_per_second']:>9.0f} req/s  p50 {found['p50_ms']:6.1f} ms  "
        f"p95 {found['p95_ms']:6.1f} ms  p99 {found['p99_ms']:6.1f} ms  "
        f"errors {found['errors'] or 'none'}  rounds {rounds}"
    )
