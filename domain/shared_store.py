"""Redis shared by every `roster serve` process of a deployment (ROSTER_REDIS_URL), so that
several processes or hosts keep one set of rate-limit windows and walk positions.

Shared state is an optimisation and a tightening, never a dependency: every operation gets
`TIMEOUT_SECONDS` at most; when Redis is down, slow or failing the caller falls back to what
one process does alone (the request proceeds), the failure is counted (`on_error`, the
`roster_shared_state_errors_total{store}` metric) and logged at most once a minute. After a
failure Redis is left alone for `RETRY_SECONDS` (no request waits on a server known to be
down), then tried again: the client connects anew by itself when Redis is back.

Opened and closed by the application's lifespan; every key starts with the deployment's
prefix (ROSTER_REDIS_PREFIX), so deployments (and tests) sharing one Redis never meet."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

TIMEOUT_SECONDS = 0.25
RETRY_SECONDS = 1.0
WARNING_INTERVAL_SECONDS = 60.0
FAILURES = (RedisError, OSError, TimeoutError)

logger = logging.getLogger("roster.shared_state")
T = TypeVar("T")


class SharedStore:
    def __init__(
        self,
        url: str,
        prefix: str,
        *,
        on_error: Callable[[str], None] | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        """`on_error(store)` is called for each operation that fell back (the metric)."""
        self.url = url
        self.prefix = prefix
        self.timeout = timeout
        self._on_error = on_error
        self._client: Redis | None = None
        self._down_until = 0.0  # monotonic: leave Redis alone until then
        self._warned_at: float | None = None

    async def open(self) -> None:
        self._client = Redis.from_url(
            self.url,
            socket_timeout=self.timeout,
            socket_connect_timeout=self.timeout,
            retry=Retry(NoBackoff(), 0),  # a failure falls back at once; the next call retries
        )

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    @property
    def client(self) -> Redis:
        if self._client is None:
            raise RuntimeError("the shared store is not open (the app's lifespan opens it)")
        return self._client

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    async def attempt(self, store: str, operation: Callable[[Redis], Awaitable[T]]) -> T | None:
        """What `operation` returns, or None when it could not run on Redis (not open, down,
        slower than the timeout, failing). Errors of the operation's own (RateLimited) pass."""
        client = self._client
        if client is None or time.monotonic() < self._down_until:
            self._fell_back(store, None)
            return None
        try:
            async with asyncio.timeout(self.timeout):
                result = await operation(client)
        except FAILURES as error:
            self._down_until = time.monotonic() + RETRY_SECONDS
            self._fell_back(store, error)
            return None
        if self._down_until:
            self._down_until = 0.0
            logger.info("shared state: Redis at %s answers again", self._safe_url())
        return result

    def _fell_back(self, store: str, error: BaseException | None) -> None:
        if self._on_error is not None:
            self._on_error(store)
        now = time.monotonic()
        if error is not None and (
            self._warned_at is None or now - self._warned_at >= WARNING_INTERVAL_SECONDS
        ):
            self._warned_at = now
            logger.warning(
                "shared state: Redis at %s failed (%s: %s); each process goes on alone "
                "(rate limits not enforced, walk positions kept locally) until it answers; "
                "this is logged at most once a minute",
                self._safe_url(),
                type(error).__name__,
                error or "timed out",
            )

    def _safe_url(self) -> str:
        """The URL without its password."""
        scheme, _, rest = self.url.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}"
