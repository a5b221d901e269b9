"""An asyncio HTTP/1.1 load generator: keep-alive connections on loopback, bounded in time
and in requests, recording every latency and status."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

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
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    def errors(self, ok: set[int]) -> dict[int, int]:
        return {status: n for status, n in self.statuses.items() if status not in ok}


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The status and body of the next response (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        lower = line.lower()
        if lower.startswith(b"content-length:"):
            length = int(line[15:])
        elif lower.startswith(b"transfer-encoding:") and b"chunked" in lower:
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length) if length else b""
    chunks = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        chunks.append((await reader.readexactly(size + 2))[:size])  # the chunk and its CRLF
        if size == 0:
            return status, b"".join(chunks)


class Connection:
    """One keep-alive connection for requests sent one after another (a walk, a set-up)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    async def __aenter__(self) -> Connection:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._writer.close()

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        self._writer.write(raw)
        return await read_response(self._reader)


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
    """Drive the server for `warmup + seconds` (or until `max_requests` are sent); only the
    measured part is returned."""
    result = Result()
    counter = 0
    start = time.perf_counter()
    measure_from = start + warmup
    deadline = measure_from + seconds

    async def connection() -> None:
        nonlocal counter
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                now = time.perf_counter()
                if now >= deadline or (max_requests is not None and counter >= max_requests):
                    return
                number = counter
                counter += 1
                writer.write(make_request(number))
                sent = time.perf_counter()
                status, _ = await read_response(reader)
                done = time.perf_counter()
                if sent >= measure_from:
                    result.latencies.append(done - sent)
                    result.statuses[status] += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    result.seconds = min(time.perf_counter(), deadline) - measure_from
    return result
