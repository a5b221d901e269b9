"""The Okta-like mix: Okta's requests in the proportions of a busy day (it looks a user up by
userName before creating it), driven for a minute while the server's memory is sampled every
second."""

from __future__ import annotations

import asyncio
import random
import statistics
from dataclasses import dataclass
from typing import Any

import uvloop

from bench import loadgen
from bench.measure import Load, drive
from bench.scim import ScimRequests
from bench.servers import Server

# ScimRequests method -> its share of the mix, in percent
WEIGHTS = {"filter": 40, "get": 20, "create": 15, "deactivate": 15, "replace": 5, "list100": 5}
SAMPLE_EVERY = 1.0  # seconds


def okta_mix(requests: ScimRequests) -> loadgen.RequestFactory:
    """Request `n` of the mix: the scenario in slot `n % 20` of a fixed shuffle of the weights
    (5% a slot), given `n`."""
    slots = [name for name, percent in WEIGHTS.items() for _ in range(percent // 5)]
    random.Random(6).shuffle(slots)  # noqa: S311 - a fixed order, not a secret
    makers = [getattr(requests, name) for name in slots]

    def make(n: int) -> bytes:
        factory: loadgen.RequestFactory = makers[n % len(makers)]
        return factory(n)

    return make


@dataclass(frozen=True, slots=True)
class Growth:
    result: loadgen.Result
    samples_mb: list[float]  # the server's resident memory, every second after the warm-up

    @property
    def start_mb(self) -> float:
        """The median of the first three samples (one may catch a passing peak)."""
        return statistics.median(self.samples_mb[:3]) if self.samples_mb else 0.0

    @property
    def end_mb(self) -> float:
        return statistics.median(self.samples_mb[-3:]) if self.samples_mb else 0.0

    @property
    def growth(self) -> float:
        return self.end_mb / self.start_mb - 1 if self.start_mb else 0.0

    def figures(self, seconds: float) -> dict[str, Any]:
        return {
            "seconds": seconds,
            "start_rss_mb": round(self.start_mb, 1),
            "end_rss_mb": round(self.end_mb, 1),
            "max_rss_mb": round(max(self.samples_mb, default=0.0), 1),
            "growth": round(self.growth, 4),
            "samples_mb": [round(sample, 1) for sample in self.samples_mb],
        }


async def _with_memory(server: Server, make: loadgen.RequestFactory, load: Load) -> Growth:
    samples: list[float] = []

    async def sample() -> None:
        await asyncio.sleep(load.warmup)
        while True:
            samples.append(server.memory().rss_mb)
            await asyncio.sleep(SAMPLE_EVERY)

    sampler = asyncio.create_task(sample())
    try:
        result = await drive(server.port, make, load)
    finally:
        sampler.cancel()
    samples.append(server.memory().rss_mb)
    return Growth(result, samples)


def mix_with_memory(server: Server, requests: ScimRequests, load: Load) -> Growth:
    """Drive the mix for `load.seconds` after the warm-up, sampling the server's memory."""
    return uvloop.run(_with_memory(server, okta_mix(requests), load))
