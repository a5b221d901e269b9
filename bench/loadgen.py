"""An HTTP/1.1 load generator: keep-alive connections on loopback, one request in flight on
each (no pipelining, as HTTP/1.1 clients do), bounded in time and in requests, recording every
latency and status, and the CPU time it took itself. It stays out of the server's way: a raw
asyncio protocol (run it on uvloop, as bench/measure.py does) sends the next request from the
callback that completes the last response, httptools' C parser reads the responses (keeping
bodies only for `Connection`, which answers one request at a time), and latencies go to an
array of doubles."""

from __future__ import annotations

import asyncio
import time
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import httptools

RequestFactory = Callable[[int], bytes]  # request number -> the raw request


def request(
    method: str, path: str, *, host: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Result:
    seconds: float = 0.0
    latencies: array[float] = field(default_factory=lambda: array("d"))  # seconds
    statuses: Counter[int] = field(default_factory=Counter)
    cpu_seconds: float = 0.0  # the client's own CPU time over the measured part

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_request(self) -> float:
        """The client's CPU seconds per measured request."""
        return self.cpu_seconds / self.count if self.count else 0.0

    @property
    def cpu_share(self) -> float:
        """The share of one core the client took while it measured."""
        return self.cpu_seconds / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    def errors(self, ok: set[int]) -> dict[int, int]:
        return {status: n for status, n in self.statuses.items() if status not in ok}

    def merge(self, other: Result) -> None:
        """Add another measurement (another round of the same scenario) to this one."""
        self.seconds += other.seconds
        self.latencies.extend(other.latencies)
        self.statuses.update(other.statuses)
        self.cpu_seconds += other.cpu_seconds


Answered = Callable[[int, bytes, bool], None]  # status, body, the connection stays open


class ResponseParser:
    """Reads the responses of one connection with httptools (llhttp, the C parser uvicorn
    uses), fed the bytes as they arrive, and hands each whole response to `answered`: its
    status, its body (empty unless `keep_body`) and whether the connection stays open
    (HTTP/1.1 keep-alive, unless the server said `Connection: close`). Content-Length and
    chunked bodies are read; interim (1xx) responses are skipped; a response whose body ends
    only when the server closes the connection is never whole."""

    on_body: Callable[[bytes], None]  # httptools calls it only when set (`keep_body`)

    def __init__(self, answered: Answered, *, keep_body: bool = False) -> None:
        self._answered = answered
        self._body: list[bytes] = []
        if keep_body:
            self.on_body = self._body.append
        self._parser = httptools.HttpResponseParser(self)
        self.feed: Callable[[bytes], None] = self._parser.feed_data  # HttpParserError if not HTTP

    def on_message_complete(self) -> None:
        parser = self._parser
        status = parser.get_status_code()
        if status < 200:
            return
        body = b"".join(self._body) if self._body else b""
        self._body.clear()
        self._answered(status, body, parser.should_keep_alive())


class ConnectionClosed(ConnectionError):
    """The server closed a connection before answering the request sent on it."""


class _Session:
    """What the connections of one `run` share: the next request number, the bounds, the
    measurement."""

    def __init__(
        self,
        make_request: RequestFactory,
        measure_from: float,
        deadline: float,
        max_requests: int | None,
    ) -> None:
        self.make_request = make_request
        self.measure_from = measure_from
        self.deadline = deadline
        self.max_requests = max_requests if max_requests is not None else 1 << 62
        self.counter = 0
        self.latencies: array[float] = array("d")
        self.statuses: Counter[int] = Counter()
        self.open = 0  # connections opening or open
        self.connections: list[_Driver] = []
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.reconnect: Callable[[], None] = lambda: None

    def finished(self, failure: BaseException | None = None) -> None:
        """One connection is done (or failed, which ends the run)."""
        self.open -= 1
        if self.done.done():
            return
        if failure is not None:
            self.done.set_exception(failure)
        elif self.open == 0:
            self.done.set_result(None)


class _Driver(asyncio.Protocol):
    """One connection of a run: sends the next request as soon as the last is answered."""

    def __init__(self, session: _Session) -> None:
        self.session = session
        session.connections.append(self)
        self.feed = ResponseParser(self._answered).feed
        self.transport: asyncio.Transport | None = None
        self.sent = 0.0  # when the request in flight was sent; 0: none in flight

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._send(time.perf_counter())

    def data_received(self, data: bytes) -> None:
        self.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.sent:  # closed with a request in flight
            self.sent = 0.0
            closed = ConnectionClosed("the server closed a connection with a request in flight")
            closed.__cause__ = exc
            self.session.finished(closed)

    def _answered(self, status: int, body: bytes, keep_alive: bool) -> None:
        now = time.perf_counter()
        session = self.session
        if self.sent >= session.measure_from:
            session.latencies.append(now - self.sent)
            session.statuses[status] += 1
        if keep_alive:
            self._send(now)
            return
        if now < session.deadline and session.counter < session.max_requests:
            session.reconnect()  # before this one counts as finished
        self._stop()

    def _send(self, now: float) -> None:
        session = self.session
        if now >= session.deadline or session.counter >= session.max_requests:
            self._stop()
            return
        number = session.counter
        session.counter += 1
        raw = session.make_request(number)
        assert self.transport is not None
        self.sent = time.perf_counter()
        self.transport.write(raw)

    def _stop(self) -> None:
        self.sent = 0.0
        self.close()
        self.session.finished()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def run(
    host: str,
    port: int,
    make_request: RequestFactory,
    *,
    concurrency: int = 32,
    seconds: float = 5.0,
    warmup: float = 1.0,
    max_requests: int | None = None,
) -> Result:
    """Drive the server for `warmup + seconds` (or until `max_requests` are sent) over
    `concurrency` connections; only the measured part is returned, with the CPU time this
    process spent over it."""
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    session = _Session(make_request, start + warmup, start + warmup + seconds, max_requests)
    cpu_from = time.process_time()

    def measuring() -> None:
        nonlocal cpu_from
        cpu_from = time.process_time()

    measure_timer = loop.call_later(warmup, measuring)
    pending: set[asyncio.Task[object]] = set()

    def connect() -> None:
        session.open += 1
        task = loop.create_task(loop.create_connection(lambda: _Driver(session), host, port))
        pending.add(task)
        task.add_done_callback(connected)

    def connected(task: asyncio.Task[object]) -> None:
        pending.discard(task)
        if not task.cancelled() and task.exception() is not None and not session.done.done():
            session.done.set_exception(cast(BaseException, task.exception()))

    session.reconnect = connect
    for _ in range(concurrency):
        connect()
    try:
        await session.done
    finally:  # on a failure too: no connection goes on
        measure_timer.cancel()
        for task in pending:
            task.cancel()
        for connection in session.connections:
            connection.close()
    ended = time.perf_counter()
    return Result(
        seconds=max(0.0, min(ended, session.deadline) - session.measure_from),
        latencies=session.latencies,
        statuses=session.statuses,
        cpu_seconds=time.process_time() - cpu_from if ended > session.measure_from else 0.0,
    )


class _Exchange(asyncio.Protocol):
    """A connection for one request at a time, answering each with its status and body."""

    def __init__(self) -> None:
        self.feed = ResponseParser(self._answered, keep_body=True).feed
        self.transport: asyncio.Transport | None = None
        self.waiting: asyncio.Future[tuple[int, bytes]] | None = None
        self.open = True  # False once the server closed it or said it would

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if self.waiting is not None and not self.waiting.done():
            closed = ConnectionClosed("the server closed the connection with a request in flight")
            closed.__cause__ = exc
            self.waiting.set_exception(closed)

    def _answered(self, status: int, body: bytes, keep_alive: bool) -> None:
        self.open = self.open and keep_alive
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_result((status, body))

    async def exchange(self, raw: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.waiting = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiting

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Connection:
    """One keep-alive connection for requests sent one after another (a walk, a set-up),
    opened again when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._exchange: _Exchange | None = None

    async def __aenter__(self) -> Connection:
        await self._open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._exchange is not None:
            self._exchange.close()

    async def _open(self) -> _Exchange:
        loop = asyncio.get_running_loop()
        _, self._exchange = await loop.create_connection(_Exchange, self.host, self.port)
        return self._exchange

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        """The status and body of the response to `raw`."""
        exchange = self._exchange
        if exchange is None or not exchange.open:
            if exchange is not None:
                exchange.close()
            exchange = await self._open()
        return await exchange.exchange(raw)
