"""Driving a server with the load generator (on uvloop), and the line and figures of one
scenario."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

import uvloop

from bench import loadgen
from bench.servers import HOST, Server, hello, serving

OK = {200, 201, 204}
CEILING_REQUESTS = 20_000_000  # the generator's ceiling is bounded by time, not requests


@dataclass(frozen=True, slots=True)
class Load:
    """How hard and how long each scenario drives the server."""

    concurrency: int = 32
    seconds: float = 5.0
    warmup: float = 1.0
    max_requests: int = 200_000

    def lasting(self, seconds: float) -> Load:
        """The same load for `seconds` (at most as many requests a second)."""
        most = int(self.max_requests * seconds / self.seconds) if self.seconds else 0
        return dataclasses.replace(self, seconds=seconds, max_requests=max(most, 1))

    def scaled(self, factor: float) -> Load:
        """The same load for a fraction of the time (short interleaved rounds)."""
        return dataclasses.replace(self, seconds=self.seconds * factor, warmup=self.warmup * factor)


async def drive(port: int, make: loadgen.RequestFactory, load: Load) -> loadgen.Result:
    return await loadgen.run(
        HOST,
        port,
        make,
        concurrency=load.concurrency,
        seconds=load.seconds,
        warmup=load.warmup,
        max_requests=load.max_requests,
    )


def measure(port: int, make: loadgen.RequestFactory, load: Load) -> loadgen.Result:
    return uvloop.run(drive(port, make, load))


def line(name: str, result: loadgen.Result, rss: float) -> str:
    errors = result.errors(OK) or "none"
    return (
        f"{name:<28} {result.rate:>9.0f} req/s  p50 {result.percentile(0.5):6.1f} ms  "
        f"p95 {result.percentile(0.95):6.1f} ms  p99 {result.percentile(0.99):6.1f} ms  "
        f"errors {errors}  peak RSS {rss:.0f} MB  client CPU {result.cpu_share:.0%}"
    )


def figures(result: loadgen.Result, rss: float) -> dict[str, Any]:
    return {
        "requests_per_second": round(result.rate, 1),
        "requests": result.count,
        "p50_ms": round(result.percentile(0.5), 2),
        "p95_ms": round(result.percentile(0.95), 2),
        "p99_ms": round(result.percentile(0.99), 2),
        "errors": {str(k): v for k, v in result.errors(OK).items()},
        "peak_rss_mb": round(rss, 1),
        "client_cpu_share": round(result.cpu_share, 4),
        "client_cpu_us_per_request": round(result.cpu_per_request * 1e6, 2),
    }


def record(
    label: str, result: loadgen.Result, server: Server, into: dict[str, Any], key: str
) -> None:
    """Print the scenario's line and keep its figures under `into[key]`."""
    rss = server.peak_rss_mb()
    print(line(label, result, rss), flush=True)
    into[key] = figures(result, rss)


def run_scenarios(
    label: str,
    server: Server,
    scenarios: dict[str, loadgen.RequestFactory],
    into: dict[str, Any],
    load: Load,
) -> None:
    """Measure each scenario against the server; print a line and keep the figures."""
    for name, make in scenarios.items():
        record(f"{label} {name}", measure(server.port, make, load), server, into, name)


def generator_ceiling(load: Load, env: dict[str, str]) -> dict[str, Any]:
    """The load generator's ceiling: a GET driven as the scenarios are (same connections,
    warm-up and time) against bench/hello.py, a trivial server; its figures, with the client's
    CPU time per request."""
    with serving(hello(), env, "/") as server:
        raw = loadgen.request("GET", "/", host=f"{HOST}:{server.port}")
        result = measure(
            server.port, lambda n: raw, dataclasses.replace(load, max_requests=CEILING_REQUESTS)
        )
        rss = server.peak_rss_mb()
    load_average = os.getloadavg()[0]  # how much else ran: figures here depend on it
    print(
        f"load generator ceiling: {result.rate:,.0f} req/s "
        f"(client CPU {result.cpu_per_request * 1e6:.1f} µs/request, "
        f"{result.cpu_share:.0%} of a core; p99 {result.percentile(0.99):.1f} ms; "
        f"load average {load_average:.1f})",
        flush=True,
    )
    return {**figures(result, rss), "load_average": round(load_average, 2)}
