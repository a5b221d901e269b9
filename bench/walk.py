"""Okta's import walk: every user, 100 a page, one request after another on one connection, by
`startIndex` and by RFC 9865 cursor; and the bare keyset walk through the ORM on the same
database that both are held against. A walk that loses or repeats a user is an error; a walk
that outlasts its time bound is cut short and its total projected from the pages it saw (a
lower bound when deep pages are slower). Single deep `startIndex` pages are also probed, to
show how a page's cost grows with its depth."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import statistics
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise.expressions import Q

from bench import loadgen, seeding
from bench.seeding import opened
from bench.servers import HOST, drop_database, roster_env, roster_serve, serving
from domain.models import User

PAGE = 100
ENDS = 5  # first and last page latency: the median of this many pages
DEPTHS = (0.0, 0.25, 0.5, 0.75, 1.0)  # where the probes read a page, as a share of the users
PROBES = 3  # requests per probed page (the median is kept)


@dataclass
class Walk:
    expected: int  # users in the database
    seconds: float = 0.0
    pages: list[float] = field(default_factory=list)  # each page's latency, seconds
    ids: list[str] = field(default_factory=list)
    total: int | None = None  # what the server said (totalResults)
    cut_short: bool = False  # stopped at its time bound
    errors: list[str] = field(default_factory=list)

    @property
    def first_ms(self) -> float:
        return statistics.median(self.pages[:ENDS]) * 1000 if self.pages else 0.0

    @property
    def last_ms(self) -> float:
        return statistics.median(self.pages[-ENDS:]) * 1000 if self.pages else 0.0

    @property
    def projected_seconds(self) -> float:
        """The whole walk's time: measured, or projected at the pace of the pages seen."""
        if not self.cut_short or not self.pages:
            return self.seconds
        return self.seconds * math.ceil(self.expected / PAGE) / len(self.pages)

    def check(self) -> None:
        """Record an error unless the walk saw each user exactly once (each user it reached,
        when cut short)."""
        distinct = len(set(self.ids))
        reached = min(self.expected, len(self.pages) * PAGE) if self.cut_short else self.expected
        if len(self.ids) != reached or distinct != reached:
            self.errors.append(f"saw {len(self.ids)} users ({distinct} distinct) of {reached}")
        if self.total is not None and self.total != self.expected:
            self.errors.append(f"totalResults {self.total}, expected {self.expected}")

    def by_tenth(self) -> list[float]:
        """The median page latency of each tenth of the walk, first to last (ms): where deep
        pages get slower."""
        count = len(self.pages)
        bounds = [count * tenth // 10 for tenth in range(11)]
        tenths = [self.pages[a:b] for a, b in itertools.pairwise(bounds) if b > a]
        return [round(statistics.median(tenth) * 1000, 2) for tenth in tenths]

    def figures(self, bare: Walk | None = None) -> dict[str, Any]:
        found: dict[str, Any] = {
            "seconds": round(self.seconds, 3),
            "complete": not self.cut_short,
            "projected_seconds": round(self.projected_seconds, 3),
            "pages": len(self.pages),
            "users": len(self.ids),
            "distinct_users": len(set(self.ids)),
            "first_page_ms": round(self.first_ms, 2),
            "last_page_ms": round(self.last_ms, 2),
            "last_vs_first": round(self.last_ms / self.first_ms, 3) if self.first_ms else 0.0,
            "slowest_page_ms": round(max(self.pages, default=0.0) * 1000, 2),
            "page_ms_by_tenth": self.by_tenth(),
            "errors": self.errors,
        }
        if bare is not None and bare.seconds:
            found["vs_orm"] = round(self.projected_seconds / bare.seconds, 3)
        return found

    def line(self, name: str) -> str:
        errors = "; ".join(self.errors) or "none"
        total = f"{self.seconds:9.2f} s total"
        if self.cut_short:
            total = (
                f"{self.seconds:9.2f} s, CUT SHORT (projected >= {self.projected_seconds:.0f} s)"
            )
        return (
            f"{name:<28} {total}  {len(self.pages)} pages  first {self.first_ms:6.1f} ms  "
            f"last {self.last_ms:6.1f} ms  users {len(set(self.ids))}  errors {errors}"
        )


def _scim_get(host: str, token: str, query: str) -> bytes:
    headers = {"Accept": "application/scim+json", "Authorization": f"Bearer {token}"}
    return loadgen.request("GET", f"/scim/v2/Users?{query}", host=host, headers=headers)


async def walk_http(
    port: int, token: str, *, by_cursor: bool, expected: int, seconds: float
) -> Walk:
    """Walk /scim/v2/Users as Okta imports: by startIndex (1, 101, ... until past
    totalResults) or by cursor (until no nextCursor), for at most `seconds`."""
    walk = Walk(expected)
    host = f"{HOST}:{port}"
    most_pages = expected // PAGE + 10  # a walk that does not end is cut short too
    start_index, cursor = 1, ""
    began = time.perf_counter()
    async with loadgen.Connection(HOST, port) as connection:
        while True:
            if len(walk.pages) >= most_pages or time.perf_counter() - began > seconds:
                walk.cut_short = True
                break
            where = (
                f"cursor={urllib.parse.quote(cursor)}" if by_cursor else f"startIndex={start_index}"
            )
            request = _scim_get(host, token, f"{where}&count={PAGE}")
            sent = time.perf_counter()
            status, body = await connection.send(request)
            walk.pages.append(time.perf_counter() - sent)
            if status != 200:
                walk.errors.append(f"page {len(walk.pages)} answered {status}: {body[:200]!r}")
                break
            page = json.loads(body)
            walk.total = page["totalResults"]
            walk.ids.extend(resource["id"] for resource in page["Resources"])
            if by_cursor:
                cursor = page.get("nextCursor") or ""
                if not cursor:
                    break
            else:
                start_index += PAGE
                if start_index > walk.total:
                    break
    walk.seconds = time.perf_counter() - began
    walk.check()
    return walk


async def probe_depths(port: int, token: str, users: int) -> dict[int, float]:
    """startIndex -> the median latency (ms) of that single page, at each of DEPTHS."""
    host = f"{HOST}:{port}"
    found = {}
    async with loadgen.Connection(HOST, port) as connection:
        for depth in DEPTHS:
            start_index = 1 + int(depth * max(0, users - PAGE)) // PAGE * PAGE
            request = _scim_get(host, token, f"startIndex={start_index}&count={PAGE}")
            latencies = []
            for _ in range(PROBES):
                sent = time.perf_counter()
                await connection.send(request)
                latencies.append(time.perf_counter() - sent)
            found[start_index] = round(statistics.median(latencies) * 1000, 2)
    return found


async def walk_orm(
    url: str, organization_id: int, expected: int, *, by_id: bool, seconds: float
) -> Walk:
    """The bare keyset walk through the ORM: model instances, 100 at a time, each page after
    the last one's key, in the SCIM listing's default order (created_at, id) or by primary
    key (id: the order an index certainly serves), for at most `seconds`."""
    walk = Walk(expected)
    async with opened(url):
        users = User.filter(organization_id=organization_id)
        users = users.order_by("id") if by_id else users.order_by("created_at", "id")
        last: User | None = None
        began = time.perf_counter()
        while True:
            if time.perf_counter() - began > seconds:
                walk.cut_short = True
                break
            query = users
            if last is not None:
                query = users.filter(_after(last, by_id=by_id))
            sent = time.perf_counter()
            page = await query.limit(PAGE)
            if not page:
                break  # the users were a whole number of pages
            walk.pages.append(time.perf_counter() - sent)
            walk.ids.extend(str(user.id) for user in page)
            if len(page) < PAGE:
                break
            last = page[-1]
        walk.seconds = time.perf_counter() - began
    walk.check()
    return walk


def _after(last: User, *, by_id: bool) -> Q:
    """After the last user's key; the bound on created_at alone lets the database start the
    index range at the key (an OR of the two cases alone may not)."""
    if by_id:
        return Q(id__gt=last.id)
    beyond = Q(created_at__gt=last.created_at) | Q(id__gt=last.id)
    return Q(created_at__gte=last.created_at) & beyond


def import_walk(url: str, data_dir: Path, users: int, batch: int, bound: float) -> dict[str, Any]:
    """Okta's import walk of `users` users on a fresh database (`url`, dropped afterwards) and
    a server of its own; each walk lasts at most `bound` seconds. The HTTP walks are held
    against the faster of the two bare ORM keyset walks (the server's order may lack an
    index: the walks are held to what the database can do)."""
    try:
        credentials = asyncio.run(seeding.prepare(url, admin=False))
        began = time.perf_counter()
        asyncio.run(seeding.bulk_seed(url, credentials, users, batch))
        seeded = time.perf_counter() - began
        print(
            f"{'walk seed':<28} {seeded:9.2f} s for {users} users ({batch} per insert)", flush=True
        )
        found: dict[str, Any] = {"users": users, "seed_seconds": round(seeded, 2)}
        bare = {}
        for order, by_id in (("id", True), ("created_at", False)):
            organization_id = credentials.organization_id
            walk = asyncio.run(walk_orm(url, organization_id, users, by_id=by_id, seconds=bound))
            print(walk.line(f"walk bare ORM by {order}"), flush=True)
            bare[order] = walk
            found[f"orm_by_{order}"] = walk.figures()
        reference = min(bare, key=lambda order: bare[order].projected_seconds)
        found["orm_reference"] = reference
        with serving(roster_serve(), roster_env(url, data_dir), "/readyz") as server:
            token = credentials.scim_token
            for how in ("startIndex", "cursor"):
                walk = asyncio.run(
                    walk_http(
                        server.port, token, by_cursor=how == "cursor", expected=users, seconds=bound
                    )
                )
                print(walk.line(f"walk by {how}"), flush=True)
                print(f"{'':<28} page ms by tenth of the walk: {walk.by_tenth()}", flush=True)
                found[how] = walk.figures(bare[reference])
            probes = asyncio.run(probe_depths(server.port, token, users))
            found["startIndex_probes_ms"] = probes
            print(f"{'startIndex page probes':<28} ms by startIndex: {probes}", flush=True)
            memory = server.memory()
        found["server"] = {
            "rss_mb": round(memory.rss_mb, 1),
            "worker_rss_mb": round(memory.worker_rss_mb, 1),
            "peak_rss_mb": round(memory.peak_mb, 1),
        }
        print(
            f"{'walk server memory':<28} RSS {memory.worker_rss_mb:.0f} MB after the walks, "
            f"peak (VmHWM) {memory.peak_mb:.0f} MB",
            flush=True,
        )
        return found
    finally:
        asyncio.run(drop_database(url))
