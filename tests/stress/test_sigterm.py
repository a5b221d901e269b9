"""SIGTERM, as an orchestrator stops `roster serve`: requests in flight are answered, new
connections are served during the drain (ROSTER_DRAIN_SECONDS) and refused after it, the
process is gone within 10 s; through a keep-alive load, every request the application saw is
answered (with Connection: close during the drain) and no acknowledged create is lost."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest

from tests.processes import HOST, Server
from tests.stress import seeding
from tests.stress.figures import Recorder
from tests.stress.harness import Database, Stress, request_bound
from tests.stress.wire import ANSWER_SECONDS, Answer, Client, Create, Requests, read_response
from tests.stress.writes import (
    assert_database_holds_what_was_acknowledged,
    audit_of,
    read_back,
    stored_users,
)
from web.settings import DRAIN_SECONDS

pytestmark = [pytest.mark.stress, pytest.mark.slow]

EXIT_SECONDS = 10.0  # SIGTERM: the process is gone within this
READY_503_SECONDS = 0.5  # SIGTERM: /readyz answers 503 within this
# A new connection this long before the drain's end is served; this long after it, refused.
DRAIN_MARGIN = 0.3


# --- SIGTERM with requests in flight -------------------------------------------------------


@dataclass
class Probe:
    after: float  # seconds after the signal
    result: str  # "refused", "closed", "served", "timeout"


@dataclass
class Shutdown:
    in_flight: list[Answer]  # sent before the signal
    signalled: float  # time.monotonic() of the SIGTERM
    exited: float | None  # seconds after it, or None: still running
    stalled: str  # what the client stalled in its request body saw
    probes: list[Probe]  # new connections after the signal


async def shutdown_under_load(
    stress: Stress, server: Server, database: Database, users: int
) -> Shutdown:
    """Slow listings and concurrent creates in flight, and a client stalled in the middle of
    its request body; then SIGTERM, and new connections tried every half second until the
    process is gone (served during the drain, refused after it)."""
    requests = Requests(server.port, database.credentials.scim_token)
    run = uuid.uuid4().hex[:6]
    pages = stress.scale(8, 4)  # about 0.4 s each: done well within the graceful window
    raws = [requests.page(1 + (i * 997) % max(1, users - 1_000), 1_000) for i in range(pages)]
    raws += [requests.create(Create.numbered(run, n)) for n in range(stress.scale(32, 16))]
    clients = [Client(server.port) for _ in raws]
    for client in clients:  # each connection accepted and kept alive before the requests
        await client.send(requests.path("/healthz"))
    stalled_reader, stalled_writer = await asyncio.open_connection(HOST, server.port)
    whole = requests.create(Create.numbered(run, 1_000_000))  # sent up to its body's first byte
    stalled_writer.write(whole[: whole.index(b"\r\n\r\n") + 5])
    sending = [asyncio.create_task(c.send(raw)) for c, raw in zip(clients, raws, strict=True)]
    await asyncio.sleep(0.3)  # read by the server, and being worked on
    signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    exit_task = asyncio.create_task(asyncio.to_thread(wait_exit, server, EXIT_SECONDS + 5))
    probes = []
    await asyncio.sleep(0.5)
    while not exit_task.done() and time.monotonic() - signalled < EXIT_SECONDS:
        probes.append(Probe(time.monotonic() - signalled, await probe(requests, server.port)))
        await asyncio.sleep(0.5)
    in_flight = await asyncio.gather(*sending)
    exited_at = await exit_task
    try:
        async with asyncio.timeout(1):
            said = await stalled_reader.read()
            stalled = f"answered {said[9:12].decode()}" if said else "closed"
    except (OSError, TimeoutError):
        stalled = "left open"
    stalled_writer.close()
    for client in clients:
        client.close()
    exited = None if exited_at is None else exited_at - signalled
    return Shutdown(list(in_flight), signalled, exited, stalled, probes)


def wait_exit(server: Server, seconds: float) -> float | None:
    try:
        server.process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return None
    return time.monotonic()


async def probe(requests: Requests, port: int) -> str:
    """A new connection's fate: refused, closed without an answer, served, or left waiting."""
    try:
        async with asyncio.timeout(2):
            reader, writer = await asyncio.open_connection(HOST, port)
    except ConnectionRefusedError:
        return "refused"
    except (OSError, TimeoutError):
        return "closed"
    try:
        async with asyncio.timeout(2):
            writer.write(requests.path("/healthz"))
            await read_response(reader)
            return "served"
    except TimeoutError:
        return "timeout"
    except (OSError, EOFError, ValueError):
        return "closed"
    finally:
        writer.close()


def test_sigterm_answers_requests_in_flight_serves_the_drain_and_exits_in_time(
    stress: Stress, figures: Recorder
) -> None:
    """Slow listings and creates in flight at the SIGTERM are answered 2xx; new connections
    are served until the drain ends and refused after it; the process exits within 10 s."""
    database = stress.fresh_database("faults_term")
    users = stress.scale(5_000, 1_000)
    asyncio.run(seeding.bulk_seed(database.url, database.credentials, users, 1_000))
    with stress.serve(database) as server:
        shutdown = asyncio.run(shutdown_under_load(stress, server, database, users))
        code = server.process.returncode
    in_flight, probes, exited = shutdown.in_flight, shutdown.probes, shutdown.exited
    unserved = [
        p for p in probes if p.after < DRAIN_SECONDS - DRAIN_MARGIN and p.result != "served"
    ]
    unrefused = [
        p for p in probes if p.after > DRAIN_SECONDS + DRAIN_MARGIN and p.result != "refused"
    ]
    complete = sum(answer.ok and answer.json() is not None for answer in in_flight)
    last = max((a.answered for a in in_flight), default=shutdown.signalled) - shutdown.signalled
    results = Counter(p.result for p in probes)
    details = [
        f"in flight {complete}/{len(in_flight)} answered 2xx, the last {last:.2f} s after SIGTERM",
        f"a client stalled mid-body: {shutdown.stalled}",
        "exited "
        + (f"{exited:.2f} s after SIGTERM (code {code})" if exited is not None else "never"),
        f"new connections from 0.5 s after it (drain {DRAIN_SECONDS:g} s): "
        + ", ".join(f"{result} {n}" for result, n in sorted(results.items())),
    ]
    figures(
        "faults: SIGTERM graceful shutdown",
        requests=len(in_flight) + len(probes),
        statuses=Counter(answer.status for answer in in_flight),
        detail="; ".join(details),
    )

    assert complete == len(in_flight), f"in-flight answered 2xx {complete}/{len(in_flight)}"
    assert exited is not None, "the process did not exit"
    assert exited <= EXIT_SECONDS, f"exited {exited:.2f} s after SIGTERM"
    assert probes, "no new connection tried after the signal"
    assert unserved == [], "new connections during the drain not served"
    assert unrefused == [], "new connections after the drain not refused"


# --- SIGTERM through a keep-alive load: the drain ------------------------------------------


DRAIN_CLIENTS = 24


@dataclass
class Sent:
    request_id: str
    create: Create | None  # None: a read
    answer: Answer


@dataclass
class DrainLoad:
    sent: list[Sent] = field(default_factory=list)
    signalled: float = 0.0  # time.monotonic() of the SIGTERM
    exited: float | None = None  # seconds after it, or None: still running
    ready_503: float | None = None  # seconds after it of /readyz's first 503
    capped: bool = False

    @property
    def creates(self) -> list[Create]:
        return [sent.create for sent in self.sent if sent.create is not None]


def with_id(raw: bytes, request_id: str) -> bytes:
    """The request with an X-Request-ID header, which the server's request log records."""
    return raw.replace(b"\r\n", f"\r\nX-Request-ID: {request_id}\r\n".encode(), 1)


def logged_ids(log: str) -> set[str]:
    """The request ids of every request the server's application saw (its request log)."""
    ids = set()
    for line in log.splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                ids.add(str(json.loads(line).get("request_id")))
    return ids


async def through_sigterm(
    stress: Stress, server: Server, database: Database, ids: list[str], run: str
) -> DrainLoad:
    """DRAIN_CLIENTS keep-alive clients sending creates and reads; SIGTERM; each client goes
    on (a connection closed without an answer: a new one, and a read) until its connection
    is refused. /readyz asked on new connections every 50 ms from the signal."""
    requests = Requests(server.port, database.credentials.scim_token)
    load = DrainLoad()
    numbers = itertools.count()
    warm = stress.scale(3, 1)
    limit = request_bound(warm + EXIT_SECONDS + ANSWER_SECONDS)  # the load ends by itself

    async def client_loop() -> None:
        client = Client(server.port)
        read = False
        try:
            while not load.signalled or time.monotonic() - load.signalled < 2 * EXIT_SECONDS:
                if len(load.sent) >= limit:
                    load.capped = True
                    return
                n = next(numbers)
                create = None if read or n % 2 else Create.numbered(run, n)
                raw = requests.get(ids[n % len(ids)]) if create is None else requests.create(create)
                request_id = f"drain-{run}-{n}"
                answer = await client.send(with_id(raw, request_id))
                if create is not None:
                    create.answer = answer
                load.sent.append(Sent(request_id, create, answer))
                if answer.failure == "ConnectionRefusedError":
                    return  # the listener is closed
                read = answer.status == 0  # reconnect, and retry with a read
        finally:
            client.close()

    async def readyz() -> None:
        while time.monotonic() - load.signalled < EXIT_SECONDS:
            status = await status_on_new_connection(requests.path("/readyz"), server.port)
            if status == 503 and load.ready_503 is None:
                load.ready_503 = time.monotonic() - load.signalled
            if status is None:
                return
            await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(client_loop()) for _ in range(DRAIN_CLIENTS)]
    await asyncio.sleep(warm)
    load.signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    exit_task = asyncio.create_task(asyncio.to_thread(wait_exit, server, EXIT_SECONDS + 5))
    tasks.append(asyncio.create_task(readyz()))
    await asyncio.gather(*tasks)
    exited_at = await exit_task
    load.exited = None if exited_at is None else exited_at - load.signalled
    return load


async def status_on_new_connection(raw: bytes, port: int) -> int | None:
    """The status of one request on a new connection; None when refused or unanswered."""
    try:
        async with asyncio.timeout(2):
            reader, writer = await asyncio.open_connection(HOST, port)
    except (OSError, TimeoutError):
        return None
    try:
        async with asyncio.timeout(2):
            writer.write(raw)
            status, _, _ = await read_response(reader)
            return status
    except (OSError, EOFError, ValueError, TimeoutError):
        return None
    finally:
        writer.close()


def test_sigterm_through_keep_alive_clients_answers_every_request_the_application_saw(
    stress: Stress, figures: Recorder
) -> None:
    """24 keep-alive clients creating and reading through a SIGTERM: /readyz is 503 at once,
    answers during the drain carry Connection: close, every request the application saw is
    answered, no 5xx, no acknowledged create lost, and the process exits within 10 s."""
    database = stress.fresh_database("faults_drain")
    ids = asyncio.run(seeding.seed(database.url, database.credentials, 20))
    run = uuid.uuid4().hex[:6]
    with stress.serve(database) as server:
        load = asyncio.run(through_sigterm(stress, server, database, ids, run))
        code = server.process.returncode
    reached = logged_ids(server.stderr)
    with stress.serve(database) as restarted:
        token = database.credentials.scim_token
        back = asyncio.run(read_back(restarted.port, token, load.creates))
    organization = database.credentials.organization_id
    audit = audit_of(load.creates, asyncio.run(stored_users(database.url, organization, run)))

    answers = [sent.answer for sent in load.sent]
    statuses = Counter(answer.status for answer in answers)
    lost_writes = max(audit.lost, audit.acknowledged - back.found)
    unanswered = [sent for sent in load.sent if sent.answer.status == 0]
    refused = sum(sent.answer.failure == "ConnectionRefusedError" for sent in unanswered)
    dropped = [sent for sent in unanswered if sent.answer.failure != "ConnectionRefusedError"]
    dropped_reached = sum(sent.request_id in reached for sent in dropped)
    settled = load.signalled + 0.1  # the signal handled: the drain under way
    during = [a for a in answers if a.status and a.sent >= settled]
    kept_open = sum(a.headers.get("connection", "").lower() != "close" for a in during)
    last_served = max((a.answered for a in during), default=load.signalled) - load.signalled
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    ready = "never" if load.ready_503 is None else f"{load.ready_503:.2f} s"
    exited = "never" if load.exited is None else f"{load.exited:.2f} s (code {code})"
    details = [
        f"{DRAIN_CLIENTS} keep-alive clients: {len(answers)} sent "
        f"({len(load.creates)} creates), {len(answers) - len(unanswered)} answered",
        f"/readyz 503 {ready} after SIGTERM",
        f"during the drain {len(during)} answered, {len(during) - kept_open} with "
        f"Connection: close, the last {last_served:.2f} s after SIGTERM",
        f"then refused {refused}, closed unanswered {len(dropped)} "
        f"(seen by the application {dropped_reached})",
        f"exited {exited}",
        f"acked creates found after restart {back.found}/{audit.acknowledged}",
        audit.text(),
        *(["request bound reached"] if load.capped else []),
    ]
    figures(
        "faults: SIGTERM drain under keep-alive load",
        requests=len(answers) + back.requests,
        statuses=statuses,
        lost_writes=lost_writes,
        detail="; ".join(details),
    )

    assert dropped_reached == 0, "requests the application saw got no answer"
    assert during, "no answer during the drain"
    assert kept_open == 0, f"drain answers without Connection: close {kept_open}/{len(during)}"
    assert load.ready_503 is not None, "/readyz never answered 503"
    assert load.ready_503 <= READY_503_SECONDS, f"/readyz 503 only {ready} after SIGTERM"
    assert load.exited is not None, "the process did not exit"
    assert load.exited <= EXIT_SECONDS, f"exited {exited} after SIGTERM"
    assert server_errors == 0, f"5xx answers: {statuses}"
    assert lost_writes == 0, f"acknowledged creates missing after the restart: {audit.text()}"
    assert back.mismatched == 0, "users found through the API, not as sent"
    assert_database_holds_what_was_acknowledged(audit)
