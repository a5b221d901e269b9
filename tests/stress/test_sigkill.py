"""`roster serve` killed (SIGKILL) in the middle of a create load, then started again: every
create it acknowledged is there as sent, none is half written, and the unanswered ones are
either whole or absent."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest

from tests.processes import Server
from tests.stress.figures import Recorder
from tests.stress.harness import Database, Stress, request_bound
from tests.stress.wire import Client, Create, Requests
from tests.stress.writes import (
    assert_database_holds_what_was_acknowledged,
    audit_of,
    read_back,
    stored_users,
)

pytestmark = [pytest.mark.stress, pytest.mark.slow]

CLIENTS = 16


@dataclass
class KillLoad:
    creates: list[Create] = field(default_factory=list)
    killed_at: float = 0.0
    in_flight: int = 0  # sent, unanswered, when the signal went
    answered: Counter[int] = field(default_factory=Counter)
    capped: bool = False  # the request bound was reached before the kill


async def creates_until_killed(
    stress: Stress, server: Server, database: Database, run: str
) -> KillLoad:
    requests = Requests(server.port, database.credentials.scim_token)
    load = KillLoad()
    numbers = itertools.count()
    seconds = stress.scale(4_000, 1_500) / 1000
    limit = request_bound(seconds + 1)  # the load ends with the kill
    started = time.monotonic()

    async def creates() -> None:
        client = Client(server.port)
        try:
            while not load.killed_at:
                if len(load.creates) >= limit:
                    load.capped = True
                    return
                create = Create.numbered(run, next(numbers))
                load.creates.append(create)
                create.answer = await client.send(requests.create(create))
                if create.answer.status == 0:
                    return  # the server is gone
                load.answered[create.answer.status] += 1
        finally:
            client.close()

    tasks = [asyncio.create_task(creates()) for _ in range(CLIENTS)]
    await asyncio.sleep(seconds)
    load.in_flight = sum(create.answer is None for create in load.creates)
    os.kill(server.process.pid, signal.SIGKILL)
    load.killed_at = time.monotonic() - started
    await asyncio.gather(*tasks)
    return load


def test_a_server_killed_mid_create_loses_no_acknowledged_create(
    stress: Stress, figures: Recorder
) -> None:
    database = stress.fresh_database("faults_kill")
    run = uuid.uuid4().hex[:6]
    with stress.serve(database) as server:
        load = asyncio.run(creates_until_killed(stress, server, database, run))
        server.process.wait(timeout=10)
    restarted = time.monotonic()
    with stress.serve(database) as server:
        ready = time.monotonic() - restarted
        token = database.credentials.scim_token
        back = asyncio.run(read_back(server.port, token, load.creates))
    organization = database.credentials.organization_id
    audit = audit_of(load.creates, asyncio.run(stored_users(database.url, organization, run)))
    refused = sum(n for status, n in load.answered.items() if status != 201)
    lost_writes = max(audit.lost, audit.acknowledged - back.found)
    details = [
        f"killed after {load.killed_at:.1f} s with {load.in_flight} creates in flight",
        f"restart ready in {ready:.1f} s",
        f"SCIM GET by id after restart: {back.found}/{audit.acknowledged} acked found as sent",
        audit.text(),
        *(["request bound reached before the kill"] if load.capped else []),
    ]
    figures(
        "faults: SIGKILL mid-create, restart",
        requests=len(load.creates) + back.requests,
        statuses=Counter(load.answered),
        lost_writes=lost_writes,
        detail="; ".join(details),
    )

    assert refused == 0, f"{refused} creates refused before the kill: {load.answered}"
    assert audit.acknowledged > 0, "the kill did not land mid-load: nothing acknowledged"
    assert load.in_flight > 0, "the kill did not land mid-load: no create in flight"
    assert lost_writes == 0, f"acknowledged creates missing after the restart: {audit.text()}"
    assert back.mismatched == 0, "users found through the API, not as sent"
    assert_database_holds_what_was_acknowledged(audit)
