"""How often one caller may call: moving windows per SCIM token, API token, signed-in account
(or, for a caller not signed in, per address), counted by the `limits` library's asyncio API
in this process's memory. With several worker processes each keeps its own windows, so a
caller spread over them may make up to (workers x) the limit; that still stops a runaway
client or a leaked token from taking the service.

A limit is written as `limits` reads it: "50/second;1200/minute" (every part must allow)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from domain.actors import Actor, ActorKind


class RateLimited(Exception):
    """The caller has spent its budget; it may try again in `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many requests; retry in {retry_after} seconds")


class RateLimit:
    def __init__(self, spec: str) -> None:
        """ValueError when `spec` is not a limit `limits` can read."""
        self.spec = spec
        self._items: list[RateLimitItem] = parse_many(spec)
        if not self._items:
            raise ValueError(f"no rate limit in {spec!r}")
        self._windows = MovingWindowRateLimiter(MemoryStorage())

    async def spend(self, key: str) -> None:
        """Count one request of `key`, or raise RateLimited (counting nothing) when any of the
        limits has no room left, with the seconds until it has."""
        refused = [item for item in self._items if not await self._windows.test(item, key)]
        if refused:
            stats = [await self._windows.get_window_stats(item, key) for item in refused]
            reset = max(stat.reset_time for stat in stats)
            raise RateLimited(retry_after=max(1, math.ceil(reset - time.time())))
        for item in self._items:
            await self._windows.hit(item, key)


def caller_key(actor: Actor | None, address: str | None) -> str:
    """Whose budget a request spends: the token's (SCIM or API), the account's (a session),
    or the address's for a caller that is not signed in."""
    if actor is None:
        return f"address:{address or 'unknown'}"
    if actor.kind is ActorKind.ADMIN:
        return f"account:{actor.user_id}"
    return f"{actor.kind.value}:{actor.id}"
