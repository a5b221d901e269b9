"""PostgreSQL stopped and started under a steady SCIM load (on a private cluster the test
creates): while it is down every SCIM request is a proper 503 with Retry-After, GraphQL says
the database is unavailable and /readyz is 503; once it is back, requests succeed within
seconds; no acknowledged create is lost, nothing is half written."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest

from tests.processes import Server
from tests.stress import seeding
from tests.stress.cluster import PG_CTL_SECONDS, PrivateCluster
from tests.stress.figures import Recorder
from tests.stress.harness import Database, Stress, request_bound
from tests.stress.wire import ANSWER_SECONDS, Answer, Client, Create, Requests
from tests.stress.writes import assert_database_holds_what_was_acknowledged, audit_of, stored_users

pytestmark = [pytest.mark.stress, pytest.mark.slow]

RECOVERY_SECONDS = 5.0  # PostgreSQL is back: requests succeed again within this
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass
class Timeline:
    stopping: float = 0.0  # pg_ctl stop called
    stopped: float = 0.0  # ... returned: PostgreSQL is down
    starting: float = 0.0  # pg_ctl start called
    started: float = 0.0  # ... returned: PostgreSQL accepts connections


@dataclass
class OutageLoad:
    creates: list[Create] = field(default_factory=list)
    scim: list[Answer] = field(default_factory=list)
    graphql: list[Answer] = field(default_factory=list)
    readyz: list[Answer] = field(default_factory=list)
    timeline: Timeline = field(default_factory=Timeline)
    capped: bool = False

    def down(self, answer: Answer) -> bool:
        """Sent once PostgreSQL was down, answered before it was started again."""
        return answer.sent >= self.timeline.stopped and answer.answered <= self.timeline.starting


async def outage(
    stress: Stress,
    server: Server,
    database: Database,
    ids: list[str],
    cluster: PrivateCluster,
    run: str,
) -> OutageLoad:
    """A steady load of SCIM creates and GETs; PostgreSQL stopped for a few seconds, then
    started again; GraphQL and /readyz asked every quarter second throughout."""
    requests = Requests(
        server.port, database.credentials.scim_token, database.credentials.api_token
    )
    load = OutageLoad()
    numbers = itertools.count()
    before, down, after = stress.scale(4, 2), stress.scale(8, 3), stress.scale(10, 7)
    limit = request_bound(before + down + after + 2 * PG_CTL_SECONDS)  # the load ends by time
    done = asyncio.Event()

    async def steady() -> None:
        client = Client(server.port)
        try:
            while not done.is_set():
                if len(load.scim) >= limit:
                    load.capped = True
                    return
                n = next(numbers)
                if n % 2:
                    answer = await client.send(requests.get(ids[n % len(ids)]))
                else:
                    create = Create.numbered(run, n)
                    load.creates.append(create)
                    answer = await client.send(requests.create(create))
                    create.answer = answer
                load.scim.append(answer)
                if not answer.ok:
                    await asyncio.sleep(0.05)  # as an identity provider backs off
        finally:
            client.close()

    async def probes() -> None:
        graphql, ready = Client(server.port), Client(server.port)
        try:
            while not done.is_set():
                load.graphql.append(await graphql.send(requests.graphql()))
                load.readyz.append(await ready.send(requests.path("/readyz")))
                await asyncio.sleep(0.25)
        finally:
            graphql.close()
            ready.close()

    concurrency = stress.scale(8, 6)
    tasks = [asyncio.create_task(steady()) for _ in range(concurrency)]
    tasks.append(asyncio.create_task(probes()))
    timeline = load.timeline
    try:
        await asyncio.sleep(before)
        timeline.stopping = time.monotonic()
        await asyncio.to_thread(cluster.stop)
        timeline.stopped = time.monotonic()
        await asyncio.sleep(down)
        timeline.starting = time.monotonic()
        await asyncio.to_thread(cluster.start)
        timeline.started = time.monotonic()
        await asyncio.sleep(after)
    finally:
        done.set()
        await asyncio.gather(*tasks)
    return load


def proper_503(answer: Answer) -> bool:
    body = answer.json()
    return (
        answer.status == 503
        and "retry-after" in answer.headers
        and isinstance(body, dict)
        and body.get("schemas") == [ERROR_SCHEMA]
        and body.get("status") == "503"
    )


def graphql_clear(answer: Answer) -> bool:
    """503 (or 200) with a GraphQL `errors` list that says the database is unavailable."""
    body = answer.json()
    errors = body.get("errors") if isinstance(body, dict) else None
    if answer.status not in (200, 503) or not isinstance(errors, list) or not errors:
        return False
    message = str(errors[0].get("message", "")).lower()
    return "database" in message and "unavailable" in message


def first_unclear(answers: list[Answer]) -> str:
    for answer in answers:
        if not graphql_clear(answer):
            return f"{answer.status} {answer.body[:120]!r}"
    return "no request while down"


def test_postgres_stopped_and_started_under_load_is_answered_503_then_recovered(
    stress: Stress, figures: Recorder
) -> None:
    if stress.database != "postgres":
        pytest.skip("PostgreSQL only: a private cluster is stopped and started")
    cluster = PrivateCluster()
    run = uuid.uuid4().hex[:6]
    try:
        cluster.create()
        url = cluster.url("roster_faults")
        credentials = asyncio.run(seeding.prepare(url))
        stress.secret(credentials.scim_token)
        stress.secret(credentials.api_token)
        ids = asyncio.run(seeding.seed(url, credentials, 20))
        env = stress.environment(url, stress.folder / "faults-down-data")
        database = Database(url, env, credentials)
        with stress.serve(database) as server:
            load = asyncio.run(outage(stress, server, database, ids, cluster, run))
            alive = server.process.poll() is None
        stored = asyncio.run(stored_users(url, credentials.organization_id, run))
    finally:
        cluster.remove()
    audit = audit_of(load.creates, stored)

    timeline = load.timeline
    answers = load.scim + load.graphql + load.readyz
    statuses = Counter(answer.status for answer in answers)
    scim_down = [a for a in load.scim if load.down(a)]
    scim_bad = [a for a in load.scim if not a.ok and not proper_503(a)]
    graphql_down = [a for a in load.graphql if load.down(a)]
    readyz_down = [a for a in load.readyz if load.down(a)]
    after = [a for a in load.scim if a.sent >= timeline.started]
    failing_after = [a.answered for a in after if not a.ok]
    recovered = max(failing_after, default=timeline.started) - timeline.started
    first_ok = min((a.answered for a in after if a.ok), default=float("inf")) - timeline.started
    ok_after_recovery = any(a.ok and a.sent > timeline.started + recovered for a in after)
    ready_after = [a.answered for a in load.readyz if a.sent >= timeline.started and a.ok]
    ready_back = min(ready_after, default=float("inf")) - timeline.started
    slowest = max((a.answered - a.sent for a in answers), default=0.0)
    graphql_statuses = "/".join(str(s) for s in sorted({a.status for a in graphql_down}))
    details = [
        f"PG down {timeline.starting - timeline.stopped:.1f} s (stop took "
        f"{timeline.stopped - timeline.stopping:.2f} s, start "
        f"{timeline.started - timeline.starting:.2f} s)",
        f"while down: SCIM 503 {sum(map(proper_503, scim_down))}/{len(scim_down)}, "
        f"GraphQL {graphql_statuses or '-'} clear "
        f"{sum(map(graphql_clear, graphql_down))}/{len(graphql_down)}, "
        f"readyz 503 {sum(a.status == 503 for a in readyz_down)}/{len(readyz_down)}",
        f"recovered {recovered:.2f} s after PG up (first 2xx {first_ok:.2f} s, "
        f"readyz 200 {ready_back:.2f} s)",
        f"slowest answer {slowest:.2f} s",
        audit.text(),
        *(["request bound reached before the end"] if load.capped else []),
    ]
    figures(
        "faults: postgres stopped and started",
        requests=len(answers),
        statuses=statuses,
        lost_writes=audit.lost,
        detail="; ".join(details),
    )

    not_503 = Counter(a.status for a in scim_down if not proper_503(a))
    assert scim_down, "no SCIM request while PostgreSQL was down"
    assert not_503 == {}, "SCIM while down, not 503 + Retry-After + SCIM error body"
    assert scim_bad == [], (
        f"SCIM errors other than a proper 503: {Counter(a.status for a in scim_bad)}"
    )
    assert graphql_down, "no GraphQL request while PostgreSQL was down"
    assert all(map(graphql_clear, graphql_down)), (
        f"GraphQL while down: {first_unclear(graphql_down)}"
    )
    assert readyz_down, "no /readyz while PostgreSQL was down"
    assert Counter(a.status for a in readyz_down) == {503: len(readyz_down)}, "/readyz while down"
    assert alive, "the server died"
    assert statuses[0] == 0, f"{statuses[0]} requests got no answer"
    assert slowest <= ANSWER_SECONDS, f"the slowest answer took {slowest:.1f} s"
    assert recovered <= RECOVERY_SECONDS, f"not recovered within {RECOVERY_SECONDS:.0f} s"
    assert ok_after_recovery, "no request succeeded after the recovery"
    assert_database_holds_what_was_acknowledged(audit)
