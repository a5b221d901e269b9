"""Faults: the database server stopped and started under a steady SCIM load (PostgreSQL runs
only, on a private cluster of our own: the system PostgreSQL is never touched), `roster serve`
killed (SIGKILL) in the middle of a create load and started again, and a SIGTERM while
requests are in flight. Every answer is recorded; afterwards the database is compared with
what was sent: nothing acknowledged is lost, nothing is half written."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import loadgen, seeding
from bench.scim import SCIM_TYPE, okta_body
from bench.servers import HOST, Server, free_port, roster_env
from bench.stress.harness import Database, Stress, request_bound
from bench.stress.outcome import Outcome
from domain.models import User, UserValue
from web.settings import DRAIN_SECONDS

ANSWER_SECONDS = 10.0  # longer than this without an answer: the server hangs
RECOVERY_SECONDS = 5.0  # PostgreSQL is back: requests succeed again within this
EXIT_SECONDS = 10.0  # SIGTERM: the process is gone within this
READY_503_SECONDS = 0.5  # SIGTERM: /readyz answers 503 within this
# A new connection this long before the drain's end is served; this long after it, refused.
DRAIN_MARGIN = 0.3
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_CTL_SECONDS = 60  # pg_ctl -w waits at most this long for a stop or a start


def run(stress: Stress) -> list[Outcome]:
    return [_database_down(stress), _killed(stress), _terminated(stress), _drained(stress)]


# --- talking to the server ----------------------------------------------------------------


@dataclass
class Answer:
    """One request's fate. `status` 0: no answer (refused, reset, closed, or timed out)."""

    status: int
    sent: float  # time.monotonic()
    answered: float
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    failure: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


async def _read(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """The status, headers (lower-cased names) and body of the next response."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    if "chunked" not in headers.get("transfer-encoding", "").lower():
        length = int(headers.get("content-length", "0"))
        return status, headers, await reader.readexactly(length) if length else b""
    chunks = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        chunks.append((await reader.readexactly(size + 2))[:size])
    await reader.readuntil(b"\r\n")
    return status, headers, b"".join(chunks)


_NO_ANSWER = (OSError, EOFError, asyncio.LimitOverrunError, TimeoutError, ValueError)


class Client:
    """One keep-alive connection to the server, opened again after a failure; an answer that
    takes longer than ANSWER_SECONDS counts as none."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self, raw: bytes) -> Answer:
        sent = time.monotonic()
        try:
            async with asyncio.timeout(ANSWER_SECONDS):
                if self._streams is not None and self._streams[0].at_eof():
                    self.close()  # the server closed it since (after a 500, say): a new one
                if self._streams is None:
                    self._streams = await asyncio.open_connection(HOST, self.port)
                reader, writer = self._streams
                writer.write(raw)
                status, headers, body = await _read(reader)
        except _NO_ANSWER as error:
            self.close()
            return Answer(0, sent, time.monotonic(), failure=type(error).__name__)
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Answer(status, sent, time.monotonic(), headers, body)

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


class Requests:
    """The raw requests of the scenarios against one server."""

    def __init__(self, port: int, scim_token: str, api_token: str | None = None) -> None:
        self.host = f"{HOST}:{port}"
        self.scim = {"Accept": SCIM_TYPE, "Authorization": f"Bearer {scim_token}"}
        self.api = {"Content-Type": "application/json", "Authorization": f"Bearer {api_token}"}

    def create(self, create: Create) -> bytes:
        body = okta_body(create.name, family_name=create.family_name, external_id=create.external)
        headers = {**self.scim, "Content-Type": SCIM_TYPE}
        return loadgen.request("POST", "/scim/v2/Users", host=self.host, headers=headers, body=body)

    def get(self, user_id: str) -> bytes:
        path = f"/scim/v2/Users/{user_id}"
        return loadgen.request("GET", path, host=self.host, headers=self.scim)

    def by_user_name(self, name: str) -> bytes:
        query = urllib.parse.quote(f'userName eq "{name}"')
        path = f"/scim/v2/Users?filter={query}"
        return loadgen.request("GET", path, host=self.host, headers=self.scim)

    def page(self, start: int, count: int) -> bytes:
        path = f"/scim/v2/Users?startIndex={start}&count={count}"
        return loadgen.request("GET", path, host=self.host, headers=self.scim)

    def graphql(self) -> bytes:
        body = json.dumps({"query": "{ users(first: 1) { totalCount } }"}).encode()
        return loadgen.request("POST", "/graphql", host=self.host, headers=self.api, body=body)

    def path(self, path: str) -> bytes:
        return loadgen.request("GET", path, host=self.host)


# --- what was sent, and what the database holds ------------------------------------------


@dataclass
class Create:
    """A SCIM create as sent, and its answer (None: never answered)."""

    name: str
    family_name: str
    external: str
    answer: Answer | None = None

    @classmethod
    def numbered(cls, run: str, n: int) -> Create:
        return cls(f"fault-{run}-{n:06d}@bench.test", f"Fault{n}", f"ext-{run}-{n}")

    @property
    def acknowledged(self) -> bool:
        return self.answer is not None and self.answer.ok

    @property
    def refused(self) -> bool:
        """Answered with an error: the client is told it did not happen."""
        return self.answer is not None and self.answer.status >= 400

    def user_id(self) -> str | None:
        body = self.answer.json() if self.answer is not None else None
        return body.get("id") if isinstance(body, dict) else None

    def matches_resource(self, resource: Any) -> bool:
        """A SCIM resource is this user as sent."""
        if not isinstance(resource, dict):
            return False
        emails = [item.get("value") for item in resource.get("emails", [])]
        return (
            resource.get("userName") == self.name
            and (resource.get("name") or {}).get("familyName") == self.family_name
            and resource.get("externalId") == self.external
            and emails == [self.name]
        )


@dataclass(frozen=True)
class Stored:
    """A user's row and its indexed emails (user_values), as the database holds them."""

    user_id: str
    family_name: str | None
    external: str | None
    emails: tuple[str, ...]
    indexed: tuple[str, ...]

    def matches(self, create: Create) -> bool:
        return (
            self.family_name == create.family_name
            and self.external == create.external
            and self.emails == (create.name,)
            and self.indexed == (create.name,)
        )


async def _stored(url: str, organization_id: int, prefix: str) -> dict[str, Stored]:
    """Every user whose userName starts with `prefix`, by userName, read straight from the
    tables (the server may be running: SQLite's WAL and PostgreSQL both allow it)."""
    async with seeding.opened(url):
        users = await User.filter(
            organization_id=organization_id, user_name__startswith=prefix
        ).values("id", "user_name", "family_name", "external_id", "emails")
        rows = await UserValue.filter(
            user__organization_id=organization_id,
            user__user_name__startswith=prefix,
            attribute="emails",
        ).values("user_id", "value")
    indexed: dict[str, list[str]] = {}
    for row in rows:
        indexed.setdefault(str(row["user_id"]), []).append(row["value"])
    return {
        user["user_name"]: Stored(
            user_id=str(user["id"]),
            family_name=user["family_name"],
            external=user["external_id"],
            emails=tuple(item["value"] for item in user["emails"]),
            indexed=tuple(sorted(indexed.get(str(user["id"]), []))),
        )
        for user in users
    }


@dataclass
class Audit:
    """The database against what was sent."""

    acknowledged: int = 0
    lost: int = 0  # acknowledged, not stored
    partial: int = 0  # stored, not as sent (a row without its user_values, say)
    refused_but_stored: int = 0  # answered with an error, stored all the same
    unanswered: int = 0  # no answer: either whole or absent
    unanswered_stored: int = 0
    strangers: int = 0  # stored, never sent

    @property
    def sound(self) -> bool:
        return not (self.lost or self.partial or self.refused_but_stored or self.strangers)

    def text(self) -> str:
        return (
            f"acked {self.acknowledged}, lost {self.lost}, partial {self.partial}, "
            f"refused-but-stored {self.refused_but_stored}, unanswered {self.unanswered} "
            f"(stored whole {self.unanswered_stored})"
        )


def _audit(creates: Iterable[Create], stored: dict[str, Stored]) -> Audit:
    audit = Audit()
    seen = set()
    for create in creates:
        seen.add(create.name)
        found = stored.get(create.name)
        if found is not None and not found.matches(create):
            audit.partial += 1
        if create.acknowledged:
            audit.acknowledged += 1
            audit.lost += found is None or found.user_id != create.user_id()
        elif create.refused:
            audit.refused_but_stored += found is not None
        else:
            audit.unanswered += 1
            audit.unanswered_stored += found is not None
    audit.strangers = len(set(stored) - seen)
    return audit


def _prefix(run: str) -> str:
    return f"fault-{run}-"


# --- 1. PostgreSQL stopped and started under load ----------------------------------------


class PrivateCluster:
    """A PostgreSQL 15 cluster of our own, on a free 127.0.0.1 port with its socket in its own
    folder: stopped and started at will, removed afterwards. (initdb and postgres refuse to run
    as root: they run as the postgres user, in a folder it owns.)"""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="roster-pg-"))  # short: a socket path limit
        shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        self.port = free_port()

    def url(self, database: str) -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{database}"

    def _pg(self, program: str, *args: str, check: bool = True) -> None:
        command = ["runuser", "-u", "postgres", "--", str(PG_BIN / program), *args]
        done = subprocess.run(command, capture_output=True, timeout=60, check=False)  # noqa: S603
        if check and done.returncode:
            said = (done.stderr or done.stdout).decode(errors="replace")[-500:]
            raise RuntimeError(f"{program} {' '.join(args)}: {said}")

    def create(self) -> None:
        self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses={HOST}"
        log = str(self.root / "log")
        self._pg("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        """Stop it if it runs (the postmaster by its PID if pg_ctl cannot), delete its folder."""
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
            if pid_file.exists():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)


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


def _database_down(stress: Stress) -> Outcome:
    name = "faults: postgres stopped and started"
    if stress.database != "postgres":
        return Outcome(f"{name} (skipped)", True, detail="not applicable on sqlite")
    cluster = PrivateCluster()
    try:
        cluster.create()
        url = cluster.url("roster_faults")
        credentials = asyncio.run(seeding.prepare(url, admin=True))
        ids = asyncio.run(seeding.seed(url, credentials, 20))
        env = roster_env(url, stress.folder / "faults-down-data")
        database = Database(url, env, credentials)
        run = uuid.uuid4().hex[:6]
        with stress.serve(database) as server:
            load = asyncio.run(_outage(stress, server, database, ids, cluster, run))
            alive = server.process.poll() is None
        stored = asyncio.run(_stored(url, credentials.organization_id, _prefix(run)))
    finally:
        cluster.remove()
    return _judge_outage(name, load, _audit(load.creates, stored), alive)


async def _outage(
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


def _proper_503(answer: Answer) -> bool:
    body = answer.json()
    return (
        answer.status == 503
        and "retry-after" in answer.headers
        and isinstance(body, dict)
        and body.get("schemas") == [ERROR_SCHEMA]
        and body.get("status") == "503"
    )


def _graphql_clear(answer: Answer) -> bool:
    """503 (or 200) with a GraphQL `errors` list that says the database is unavailable."""
    body = answer.json()
    errors = body.get("errors") if isinstance(body, dict) else None
    if answer.status not in (200, 503) or not isinstance(errors, list) or not errors:
        return False
    message = str(errors[0].get("message", "")).lower()
    return "database" in message and "unavailable" in message


def _judge_outage(name: str, load: OutageLoad, audit: Audit, alive: bool) -> Outcome:
    timeline = load.timeline
    answers = load.scim + load.graphql + load.readyz
    statuses = Counter(answer.status for answer in answers)
    outcome = Outcome(name, True, len(answers), statuses, audit.lost)

    def down(answer: Answer) -> bool:
        return answer.sent >= timeline.stopped and answer.answered <= timeline.starting

    scim_down = [a for a in load.scim if down(a)]
    scim_bad = [a for a in load.scim if not a.ok and not _proper_503(a)]
    graphql_down = [a for a in load.graphql if down(a)]
    readyz_down = [a for a in load.readyz if down(a)]
    after = [a for a in load.scim if a.sent >= timeline.started]
    failing_after = [a.answered for a in after if not a.ok]
    recovered = max(failing_after, default=timeline.started) - timeline.started
    first_ok = min((a.answered for a in after if a.ok), default=float("inf")) - timeline.started
    ok_after_recovery = any(a.ok and a.sent > timeline.started + recovered for a in after)
    ready_after = [a.answered for a in load.readyz if a.sent >= timeline.started and a.ok]
    ready_back = min(ready_after, default=float("inf")) - timeline.started
    slowest = max((a.answered - a.sent for a in answers), default=0.0)
    problems = []
    if not scim_down or not all(_proper_503(a) for a in scim_down):
        bad = Counter(a.status for a in scim_down if not _proper_503(a))
        problems.append(f"SCIM while down not all 503+Retry-After+SCIM body: {dict(bad)}")
    if scim_bad:
        problems.append(
            f"SCIM errors other than a proper 503: {dict(Counter(a.status for a in scim_bad))}"
        )
    if not graphql_down or not all(_graphql_clear(a) for a in graphql_down):
        problems.append(f"GraphQL while down unclear: {_first_body(graphql_down)}")
    if not readyz_down or any(a.status != 503 for a in readyz_down):
        problems.append(f"/readyz while down: {dict(Counter(a.status for a in readyz_down))}")
    if not alive or slowest > ANSWER_SECONDS or statuses[0]:
        problems.append(f"alive {alive}, no answer {statuses[0]}, slowest {slowest:.1f} s")
    if recovered > RECOVERY_SECONDS or not ok_after_recovery:
        problems.append(f"not recovered within {RECOVERY_SECONDS:.0f} s")
    if not audit.sound:
        problems.append("database does not match what was acknowledged")
    graphql_statuses = "/".join(str(s) for s in sorted({a.status for a in graphql_down}))
    outcome.passed = not problems
    outcome.detail = "; ".join(
        [
            f"PG down {timeline.starting - timeline.stopped:.1f} s (stop took "
            f"{timeline.stopped - timeline.stopping:.2f} s, start "
            f"{timeline.started - timeline.starting:.2f} s)",
            f"while down: SCIM 503 {sum(map(_proper_503, scim_down))}/{len(scim_down)}, "
            f"GraphQL {graphql_statuses or '-'} clear "
            f"{sum(map(_graphql_clear, graphql_down))}/{len(graphql_down)}, "
            f"readyz 503 {sum(a.status == 503 for a in readyz_down)}/{len(readyz_down)}",
            f"recovered {recovered:.2f} s after PG up (first 2xx {first_ok:.2f} s, "
            f"readyz 200 {ready_back:.2f} s)",
            f"slowest answer {slowest:.2f} s",
            audit.text(),
            *(["request bound reached before the end"] if load.capped else []),
            *problems,
        ]
    )
    return outcome


def _first_body(answers: list[Answer]) -> str:
    for answer in answers:
        if not _graphql_clear(answer):
            return f"{answer.status} {answer.body[:120]!r}"
    return "no request while down"


# --- 2. SIGKILL in the middle of a create load --------------------------------------------


@dataclass
class KillLoad:
    creates: list[Create] = field(default_factory=list)
    killed_at: float = 0.0
    in_flight: int = 0  # sent, unanswered, when the signal went
    answered: Counter[int] = field(default_factory=Counter)
    capped: bool = False  # the request bound was reached before the kill


def _killed(stress: Stress) -> Outcome:
    name = "faults: SIGKILL mid-create, restart"
    database = stress.fresh_database("faults_kill")
    run = uuid.uuid4().hex[:6]
    with stress.serve(database) as server:
        load = asyncio.run(_creates_until_killed(stress, server, database, run))
        server.process.wait(timeout=10)
    restarted = time.monotonic()
    with stress.serve(database) as server:
        ready = time.monotonic() - restarted
        found, mismatched, lookups = asyncio.run(_read_back(server, database, load.creates))
    stored = asyncio.run(_stored(database.url, database.credentials.organization_id, _prefix(run)))
    audit = _audit(load.creates, stored)
    refused = sum(n for status, n in load.answered.items() if status != 201)
    outcome = Outcome(name, True, len(load.creates) + lookups, Counter(load.answered))
    outcome.lost_writes = max(audit.lost, audit.acknowledged - found)
    problems = []
    if outcome.lost_writes or mismatched or not audit.sound:
        problems.append("acknowledged creates missing or not as sent")
    if refused:
        problems.append(f"{refused} creates refused before the kill")
    if audit.acknowledged == 0 or load.in_flight == 0:
        problems.append("the kill did not land mid-load")
    outcome.passed = not problems
    outcome.detail = "; ".join(
        [
            f"killed after {load.killed_at:.1f} s with {load.in_flight} creates in flight",
            f"restart ready in {ready:.1f} s",
            f"SCIM GET by id after restart: {found}/{audit.acknowledged} acked found as sent",
            audit.text(),
            *(["request bound reached before the kill"] if load.capped else []),
            *problems,
        ]
    )
    return outcome


async def _creates_until_killed(
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

    tasks = [asyncio.create_task(creates()) for _ in range(16)]
    await asyncio.sleep(seconds)
    load.in_flight = sum(create.answer is None for create in load.creates)
    os.kill(server.process.pid, signal.SIGKILL)
    load.killed_at = time.monotonic() - started
    await asyncio.gather(*tasks)
    return load


async def _read_back(
    server: Server, database: Database, creates: list[Create]
) -> tuple[int, int, int]:
    """After the restart: each acknowledged create by SCIM GET of its id, each unacknowledged
    one by a userName filter. Returns (acknowledged found as sent, found but not as sent,
    requests made)."""
    requests = Requests(server.port, database.credentials.scim_token)
    queue = list(creates)
    found = mismatched = 0

    async def reader() -> None:
        nonlocal found, mismatched
        client = Client(server.port)
        try:
            while queue:
                create = queue.pop()
                user_id = create.user_id()
                if create.acknowledged and user_id:
                    answer = await client.send(requests.get(user_id))
                    resource = answer.json() if answer.status == 200 else None
                    found += create.matches_resource(resource)
                    mismatched += resource is not None and not create.matches_resource(resource)
                    continue
                answer = await client.send(requests.by_user_name(create.name))
                listed = answer.json() if answer.status == 200 else None
                resources = listed.get("Resources", []) if isinstance(listed, dict) else []
                mismatched += any(not create.matches_resource(r) for r in resources)
        finally:
            client.close()

    await asyncio.gather(*(reader() for _ in range(4)))
    return found, mismatched, len(creates)


# --- 3. SIGTERM with requests in flight ---------------------------------------------------


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


def _terminated(stress: Stress) -> Outcome:
    name = "faults: SIGTERM graceful shutdown"
    database = stress.fresh_database("faults_term")
    users = stress.scale(5_000, 1_000)
    asyncio.run(seeding.bulk_seed(database.url, database.credentials, users, 1_000))
    with stress.serve(database) as server:
        shutdown = asyncio.run(_shutdown_under_load(stress, server, database, users))
        code = server.process.returncode
    in_flight, probes, exited = shutdown.in_flight, shutdown.probes, shutdown.exited
    statuses = Counter(answer.status for answer in in_flight)
    outcome = Outcome(name, True, len(in_flight) + len(probes), statuses)
    unserved = [
        p for p in probes if p.after < DRAIN_SECONDS - DRAIN_MARGIN and p.result != "served"
    ]
    unrefused = [
        p for p in probes if p.after > DRAIN_SECONDS + DRAIN_MARGIN and p.result != "refused"
    ]
    complete = sum(answer.ok and answer.json() is not None for answer in in_flight)
    last = max((a.answered for a in in_flight), default=shutdown.signalled) - shutdown.signalled
    problems = []
    if complete != len(in_flight):
        problems.append(f"in-flight answered 2xx {complete}/{len(in_flight)}")
    if exited is None or exited > EXIT_SECONDS:
        problems.append(f"did not exit within {EXIT_SECONDS:.0f} s")
    if unserved:
        problems.append(f"{len(unserved)} new connections during the drain not served")
    if unrefused:
        problems.append(f"{len(unrefused)} new connections after the drain not refused")
    if not probes:
        problems.append("no new connection tried after the signal")
    outcome.passed = not problems
    results = Counter(p.result for p in probes)
    outcome.detail = "; ".join(
        [
            f"in flight {complete}/{len(in_flight)} answered 2xx, the last {last:.2f} s "
            "after SIGTERM",
            f"a client stalled mid-body: {shutdown.stalled}",
            "exited "
            + (f"{exited:.2f} s after SIGTERM (code {code})" if exited is not None else "never"),
            f"new connections from 0.5 s after it (drain {DRAIN_SECONDS:g} s): "
            + ", ".join(f"{result} {n}" for result, n in sorted(results.items())),
            *problems,
        ]
    )
    return outcome


async def _shutdown_under_load(
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
    exit_task = asyncio.create_task(asyncio.to_thread(_wait_exit, server, EXIT_SECONDS + 5))
    probes = []
    await asyncio.sleep(0.5)
    while not exit_task.done() and time.monotonic() - signalled < EXIT_SECONDS:
        probes.append(Probe(time.monotonic() - signalled, await _probe(requests, server.port)))
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


def _wait_exit(server: Server, seconds: float) -> float | None:
    try:
        server.process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return None
    return time.monotonic()


async def _probe(requests: Requests, port: int) -> str:
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
            await _read(reader)
            return "served"
    except TimeoutError:
        return "timeout"
    except (OSError, EOFError, ValueError):
        return "closed"
    finally:
        writer.close()


# --- 4. SIGTERM through a keep-alive load: the drain ---------------------------------------


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


def _with_id(raw: bytes, request_id: str) -> bytes:
    """The request with an X-Request-ID header, which the server's request log records."""
    return raw.replace(b"\r\n", f"\r\nX-Request-ID: {request_id}\r\n".encode(), 1)


def _logged_ids(log: Path) -> set[str]:
    """The request ids of every request the server's application saw (its request log)."""
    ids = set()
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                ids.add(str(json.loads(line).get("request_id")))
    return ids


def _drained(stress: Stress) -> Outcome:
    name = "faults: SIGTERM drain under keep-alive load"
    database = stress.fresh_database("faults_drain")
    ids = asyncio.run(seeding.seed(database.url, database.credentials, 20))
    run = uuid.uuid4().hex[:6]
    with stress.serve(database) as server:
        load = asyncio.run(_through_sigterm(stress, server, database, ids, run))
        code = server.process.returncode
        log = stress.log(server)
    reached = _logged_ids(log)
    with stress.serve(database) as server:
        found, mismatched, lookups = asyncio.run(_read_back(server, database, load.creates))
    stored = asyncio.run(_stored(database.url, database.credentials.organization_id, _prefix(run)))
    audit = _audit(load.creates, stored)
    return _judge_drain(name, load, reached, audit, found, mismatched, lookups, code)


async def _through_sigterm(
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
                answer = await client.send(_with_id(raw, request_id))
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
            status = await _status_on_new_connection(requests.path("/readyz"), server.port)
            if status == 503 and load.ready_503 is None:
                load.ready_503 = time.monotonic() - load.signalled
            if status is None:
                return
            await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(client_loop()) for _ in range(DRAIN_CLIENTS)]
    await asyncio.sleep(warm)
    load.signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    exit_task = asyncio.create_task(asyncio.to_thread(_wait_exit, server, EXIT_SECONDS + 5))
    tasks.append(asyncio.create_task(readyz()))
    await asyncio.gather(*tasks)
    exited_at = await exit_task
    load.exited = None if exited_at is None else exited_at - load.signalled
    return load


async def _status_on_new_connection(raw: bytes, port: int) -> int | None:
    """The status of one request on a new connection; None when refused or unanswered."""
    try:
        async with asyncio.timeout(2):
            reader, writer = await asyncio.open_connection(HOST, port)
    except (OSError, TimeoutError):
        return None
    try:
        async with asyncio.timeout(2):
            writer.write(raw)
            status, _, _ = await _read(reader)
            return status
    except (OSError, EOFError, ValueError, TimeoutError):
        return None
    finally:
        writer.close()


def _judge_drain(
    name: str,
    load: DrainLoad,
    reached: set[str],
    audit: Audit,
    found: int,
    mismatched: int,
    lookups: int,
    code: int | None,
) -> Outcome:
    answers = [sent.answer for sent in load.sent]
    statuses = Counter(answer.status for answer in answers)
    outcome = Outcome(name, True, len(answers) + lookups, statuses)
    outcome.lost_writes = max(audit.lost, audit.acknowledged - found)
    unanswered = [sent for sent in load.sent if sent.answer.status == 0]
    refused = sum(sent.answer.failure == "ConnectionRefusedError" for sent in unanswered)
    dropped = [sent for sent in unanswered if sent.answer.failure != "ConnectionRefusedError"]
    dropped_reached = sum(sent.request_id in reached for sent in dropped)
    settled = load.signalled + 0.1  # the signal handled: the drain under way
    during = [a for a in answers if a.status and a.sent >= settled]
    kept_open = sum(a.headers.get("connection", "").lower() != "close" for a in during)
    last_served = max((a.answered for a in during), default=load.signalled) - load.signalled
    problems = []
    if dropped_reached:
        problems.append(f"{dropped_reached} requests the application saw got no answer")
    if not during or kept_open:
        problems.append(f"drain answers without Connection: close {kept_open}/{len(during)}")
    if load.ready_503 is None or load.ready_503 > READY_503_SECONDS:
        problems.append(f"/readyz not 503 within {READY_503_SECONDS} s")
    if load.exited is None or load.exited > EXIT_SECONDS:
        problems.append(f"did not exit within {EXIT_SECONDS:.0f} s")
    if outcome.server_errors:
        problems.append("5xx answers")
    if outcome.lost_writes or mismatched or not audit.sound:
        problems.append("acknowledged creates missing or not as sent")
    outcome.passed = not problems
    ready = "never" if load.ready_503 is None else f"{load.ready_503:.2f} s"
    exited = "never" if load.exited is None else f"{load.exited:.2f} s (code {code})"
    outcome.detail = "; ".join(
        [
            f"{DRAIN_CLIENTS} keep-alive clients: {len(answers)} sent "
            f"({len(load.creates)} creates), {len(answers) - len(unanswered)} answered",
            f"/readyz 503 {ready} after SIGTERM",
            f"during the drain {len(during)} answered, {len(during) - kept_open} with "
            f"Connection: close, the last {last_served:.2f} s after SIGTERM",
            f"then refused {refused}, closed unanswered {len(dropped)} "
            f"(seen by the application {dropped_reached})",
            f"exited {exited}",
            f"acked creates found after restart {found}/{audit.acknowledged}",
            audit.text(),
            *(["request bound reached"] if load.capped else []),
            *problems,
        ]
    )
    return outcome
