"""How often one caller may call: moving windows per SCIM token, API token, signed-in account
(or, for a caller not signed in, per address), kept by the `limits` library's asyncio API.

Without Redis each process keeps its own windows in memory, so a caller spread over N worker
processes may make up to N times the limit. With Redis (ROSTER_REDIS_URL) every process and
host counts in the same windows; when Redis is down or slow the request proceeds unlimited
(fail open: `domain.shared_store` counts and logs it) rather than failing.

A limit is written as `limits` reads it: "50/second;1200/minute" (every part must allow)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from domain.actors import Actor, ActorKind
from domain.shared_store import SharedStore

STORE = "rate_limits"  # the shared store's name in logs and metrics


class RateLimited(Exception):
    """The caller has spent its budget; it may try again in `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many requests; retry in {retry_after} seconds")


class RateLimit:
    def __init__(self, spec: str, shared: SharedStore | None = None) -> None:
        """ValueError when `spec` is not a limit `limits` can read. With `shared`, the windows
        are kept in Redis (once the app's lifespan has opened the store)."""
        self.spec = spec
        # the shortest window first: the one a burst runs into
        self._items: list[RateLimitItem] = sorted(parse_many(spec), key=_seconds)
        if not self._items:
            raise ValueError(f"no rate limit in {spec!r}")
        self._shared = shared
        self._windows = MovingWindowRateLimiter(MemoryStorage())
        self._shared_windows: tuple[Redis, MovingWindowRateLimiter] | None = None

    async def spend(self, key: str) -> None:
        """Count one request of `key`, or raise RateLimited (counting nothing) when any of the
        limits has no room left, with the seconds until it has."""
        shared = self._shared
        if shared is None:
            await self._spend(self._windows, key)
            return
        await shared.attempt(STORE, lambda client: self._spend(self._in_redis(client), key))

    async def _spend(self, windows: MovingWindowRateLimiter, key: str) -> None:
        refused = [item for item in self._items if not await windows.test(item, key)]
        if not refused:
            for item in self._items:
                # `hit` checks and counts in one step: another process may have taken the last
                # room since the test (only windows before this one have then counted it)
                if not await windows.hit(item, key):
                    refused = [item]
                    break
            else:
                return
        stats = [await windows.get_window_stats(item, key) for item in refused]
        reset = max(stat.reset_time for stat in stats)
        raise RateLimited(retry_after=max(1, math.ceil(reset - time.time())))

    def _in_redis(self, client: Redis) -> MovingWindowRateLimiter:
        """The windows kept in Redis, on the shared store's connections."""
        if self._shared_windows is None or self._shared_windows[0] is not client:
            assert self._shared is not None
            storage = RedisStorage(
                "async+redis://",  # only parsed: the client comes from the shared store's pool
                implementation="redispy",
                key_prefix=self._shared.key("rate"),
                # limits passes its options on to redis-py but types them as plain values
                connection_pool=client.connection_pool,  # type: ignore[arg-type]
            )
            self._shared_windows = (client, MovingWindowRateLimiter(storage))
        return self._shared_windows[1]


def _seconds(item: RateLimitItem) -> int:
    return item.get_expiry()


def caller_key(actor: Actor | None, address: str | None) -> str:
    """Whose budget a request spends: the token's (SCIM or API), the account's (a session),
    or the address's for a caller that is not signed in."""
    if actor is None:
        return f"address:{address or 'unknown'}"
    if actor.kind is ActorKind.ADMIN:
        return f"account:{actor.user_id}"
    return f"{actor.kind.value}:{actor.id}"
