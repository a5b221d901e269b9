"""The provisioning request log's SCIM side: `RecordRequests` notes each authenticated SCIM
request as it passes (method, path, query, status, duration, token, and the bodies up to
`MAX_BODY_BYTES`), and hands it to the `Recorder`, which redacts and writes the log off the
request's path.

The recorder's queue is bounded: when the database cannot keep up, a request is served all the
same and its entry dropped, and counted (`on_dropped`, a metric), never waited for. The same
task prunes the entries older than the retention period, a batch at a time, hourly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain import provisioning, provisioning_log
from domain.actors import Actor
from domain.clock import utcnow
from domain.provisioning_log import Entry
from domain.request_ids import REQUEST_ID
from scim.redaction import Redaction, redaction_set

logger = logging.getLogger("roster.request_log")
MAX_BODY_BYTES = 64 * 1024  # a body longer than this is not kept, only its size
QUEUE_SIZE = 20_000  # entries waiting to be written; beyond that they are dropped, and counted
BATCH = 5000  # entries one write stores
# after the first entry of a batch, what comes in this long joins it: one write and one commit
# for a busy two seconds. The log's indexes (by user, by request id) take each entry at a place
# of its own, so a write touches a page of each for most of its entries however few they are:
# the more entries a write holds, the fewer pages each costs (on SQLite, a third as many
# for 2,500 entries as for 500).
GATHER_SECONDS = 2.0
YIELD_EVERY = 250  # entries redacted between two turns of the event loop's other work
PRUNE_SECONDS = 3600.0
STOP_SECONDS = 5.0  # at shutdown, for the last writes
_BODILESS = frozenset({"GET", "HEAD", "DELETE"})
_USER_PATH = re.compile(r"^/Users/([0-9a-fA-F-]{36})$")


@dataclass(frozen=True, slots=True)
class Noted:
    """A request as it passed, before redaction."""

    organization_id: int
    token_id: str | None
    token_name: str
    at: float  # a Unix time
    method: str
    path: str
    query: bytes
    status: int
    seconds: float
    request_body: bytes | None  # None: none sent, or longer than MAX_BODY_BYTES
    request_size: int
    response_body: bytes | None
    response_size: int
    request_id: str | None = None


class Recorder:
    """Writes noted requests to the log in batches, redacted, from a task of its own."""

    def __init__(
        self,
        redacted: frozenset[str],
        retention_days: int,
        *,
        on_dropped: Callable[[], None] = lambda: None,
    ) -> None:
        self.redaction = Redaction(redacted)  # the installation's (passwords included)
        self._redactions: dict[frozenset[str], Redaction] = {redacted: self.redaction}
        self.retention = timedelta(days=retention_days)
        self.on_dropped = on_dropped
        self.queue: asyncio.Queue[Noted | None] = asyncio.Queue(QUEUE_SIZE)  # None: stop
        self.dropped = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._stopped = asyncio.Event()  # set at `stop`: a batch being gathered is written now
        self._pruned_at = 0.0

    def note(self, noted: Noted) -> None:
        try:
            self.queue.put_nowait(noted)
        except asyncio.QueueFull:
            self.dropped += 1
            self.on_dropped()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="provisioning request log")

    async def stop(self) -> None:
        """Write what is waiting, then stop. A write under way is let finish (cancelled in
        the middle, it could keep its database connection from the pool, which then never
        closes) unless it takes longer than `STOP_SECONDS`."""
        self._stopping = True
        self._stopped.set()
        if self._task is None:
            await self.flush()
            return
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)  # (a full queue: the task sees _stopping after a write)
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_SECONDS)
        except TimeoutError:
            logger.warning("the provisioning log's last writes did not finish in time")
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def flush(self) -> None:
        """Write every entry waiting now."""
        while not self.queue.empty():
            await self._write(self._take())

    def _take(self) -> list[Noted]:
        batch: list[Noted] = []
        while len(batch) < BATCH and not self.queue.empty():
            noted = self.queue.get_nowait()
            if noted is not None:
                batch.append(noted)
        return batch

    async def _run(self) -> None:
        while not self._stopping:
            if time.monotonic() - self._pruned_at >= PRUNE_SECONDS:
                await self.prune()
            try:
                first = await asyncio.wait_for(self.queue.get(), timeout=PRUNE_SECONDS)
            except TimeoutError:
                continue
            if first is None:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), GATHER_SECONDS)
            await self._write([first, *self._take()])
        await self.flush()

    async def _write(self, batch: list[Noted]) -> None:
        if not batch:
            return
        try:
            redactions = {
                organization: await self.redaction_of(organization)
                for organization in {noted.organization_id for noted in batch}
            }
            entries = []
            for index, noted in enumerate(batch, 1):
                entries.append(self.entry(noted, redactions[noted.organization_id]))
                if index % YIELD_EVERY == 0:  # (requests answer meanwhile)
                    await asyncio.sleep(0)
            await provisioning_log.write(entries)
        except Exception:  # the database away: these entries are lost, and counted
            logger.warning("%d provisioning log entries could not be written", len(batch))
            self.dropped += len(batch)
            for _ in batch:
                self.on_dropped()

    async def prune(self) -> int:
        """Delete the entries older than the retention period, a batch at a time (letting
        requests' writes in between); how many went."""
        self._pruned_at = time.monotonic()
        before, total = utcnow() - self.retention, 0
        try:
            while True:
                deleted = await provisioning_log.prune(before)
                total += deleted
                if deleted < provisioning_log.PRUNE_BATCH or self._stopping:
                    return total
                await asyncio.sleep(0)
        except Exception:
            logger.warning("the provisioning log could not be pruned; trying again in an hour")
            return total

    async def redaction_of(self, organization_id: int) -> Redaction:
        """The installation's redaction and the organization admin's, as the organization's
        state read within the last second holds it."""
        named = (await provisioning.state_of(organization_id)).log_redacted
        if not named:
            return self.redaction
        names = self.redaction.names | redaction_set(named)
        found = self._redactions.get(names)
        if found is None:
            if len(self._redactions) > 1000:  # (organizations' sets: bounded)
                self._redactions = {self.redaction.names: self.redaction}
            found = self._redactions[names] = Redaction(names)
        return found

    def entry(self, noted: Noted, redaction: Redaction | None = None) -> Entry:
        """The log entry of a noted request: its bodies redacted (by the installation's
        redaction unless another is given), the user it was about."""
        redaction = redaction or self.redaction
        request = _kept(noted.request_body, noted.request_size, redaction)
        response = _kept(noted.response_body, noted.response_size, redaction, response=True)
        return Entry(
            organization_id=noted.organization_id,
            at=datetime.fromtimestamp(noted.at, UTC),
            token_id=noted.token_id,
            token_name=noted.token_name,
            method=noted.method,
            path=noted.path,
            query=redaction.query(noted.query.decode("latin-1")),
            status=noted.status,
            duration_ms=noted.seconds * 1000,
            user_id=_user_of(noted),
            request_body=request,
            response_body=response,
            request_id=noted.request_id,
        )


def _kept(
    body: bytes | None, size: int, redaction: Redaction, *, response: bool = False
) -> str | None:
    """What the log keeps of a body: it redacted, or a note of its size when too long."""
    if body is None:
        return f"[{size} bytes, longer than {MAX_BODY_BYTES} bytes: not kept]" if size else None
    if not body:
        return None
    return redaction.body(body, response=response)


def _user_of(noted: Noted) -> str | None:
    """The user a request was about: the one in its path, or the one it created."""
    found = _USER_PATH.match(noted.path)
    if found:
        return found.group(1)
    if noted.method == "POST" and noted.path == "/Users" and noted.status == 201:
        body = noted.response_body or b""
        created = re.search(rb'"id"\s*:\s*"([0-9a-fA-F-]{36})"', body)
        return created.group(1).decode() if created else None
    return None


class RecordRequests:
    """Notes each SCIM request an identity provider's token made (an unauthenticated one
    belongs to no organization and is not noted), with the id the edge gave it."""

    def __init__(self, app: ASGIApp, recorder: Recorder | None = None) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        recorder = self.recorder
        if recorder is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began, at = time.perf_counter(), time.time()
        sent, answered = _Capture(), _Capture()
        status = 500

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                sent.add(message.get("body", b""))
            return message

        bodiless = scope["method"] in _BODILESS  # nothing to read of what they send

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                answered.add(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive if bodiless else receiving, sending)
        finally:
            actor: Actor | None = scope.get("state", {}).get("scim_actor")
            if actor is not None and actor.organization_id is not None:
                recorder.note(
                    Noted(
                        organization_id=actor.organization_id,
                        token_id=actor.id,
                        token_name=actor.label,
                        at=at,
                        method=str(scope["method"]),
                        path=_path_in_door(scope),
                        query=bytes(scope.get("query_string", b"")),
                        status=status,
                        seconds=time.perf_counter() - began,
                        request_body=sent.kept(),
                        request_size=sent.size,
                        response_body=answered.kept(),
                        response_size=answered.size,
                        request_id=REQUEST_ID.get(),
                    )
                )


def _path_in_door(scope: Scope) -> str:
    """The request's path below the SCIM base URL (`/Users/{id}`)."""
    path, mount = str(scope.get("path", "")), str(scope.get("root_path", ""))
    return path[len(mount) :] if mount and path.startswith(mount) else path


class _Capture:
    """A body's bytes as they pass, up to MAX_BODY_BYTES (beyond, only its size)."""

    __slots__ = ("chunks", "size")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size <= MAX_BODY_BYTES:
            self.chunks.append(chunk)

    def kept(self) -> bytes | None:
        return b"".join(self.chunks) if self.size <= MAX_BODY_BYTES else None
