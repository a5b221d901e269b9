"""The edge: what every request needs, whichever door it enters, done once around both.

For every HTTP request: its id (the caller's `X-Request-ID` when it is a plain token, a new
one otherwise, returned either way), its line in the request log and its metrics.

For a request to a door (the SCIM door at /scim/v2, the GraphQL door at /graphql):
1. the bearer token is read from `Authorization` (`bearer_token`, one parser for both doors);
2. the door's `authenticate` turns it (or a credential of the door's own, the settings page's
   session cookie) into the acting Actor, or None for an anonymous caller;
3. the caller's rate limit is spent (per token, account, or the client's address);
4. the door serves the request.
A refusal on the way (a bad credential: 401; over the limit: 429 with Retry-After; the
database unavailable, here or anywhere in the door before it answered: 503 with Retry-After,
saying so, or, when it went away while a change was being committed, that the change may stand;
anything unexpected: 500) is answered by the door's `refuse` in the door's own error format.

The client's real address behind trusted proxies is uvicorn's ProxyHeadersMiddleware, which
`create_app` places in front of this one."""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from asyncpg.exceptions import PostgresError
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise.exceptions import BaseORMException

from domain.actors import Actor
from domain.database import DATABASE_UNAVAILABLE, CommitUnconfirmed
from domain.errors import InvalidToken
from domain.request_ids import REQUEST_ID
from web.metrics import Metrics
from web.rate_limits import RateLimit, RateLimited, caller_key
from web.request_log import log_request, request_id_of

logger = logging.getLogger("roster.edge")
RETRY_AFTER_SECONDS = 5  # after the database went away: it is usually back within seconds
_DATABASE_ERRORS = (BaseORMException, PostgresError, sqlite3.Error)  # counted in the metrics
_BEARER = re.compile(r"^\s*bearer\s+(?:bearer\s+)?(\S+)\s*$", re.IGNORECASE)

# The refusals a door renders in its own format, by code.
UNAUTHENTICATED = "UNAUTHENTICATED"
RATE_LIMITED = "RATE_LIMITED"
DATABASE_UNAVAILABLE_CODE = "DATABASE_UNAVAILABLE"
COMMIT_UNCONFIRMED_CODE = "COMMIT_UNCONFIRMED"  # the same, but the change may stand
INTERNAL_ERROR = "INTERNAL_ERROR"

# (request, bearer token or None) -> the actor, None for an anonymous caller; InvalidToken
Authenticate = Callable[[Request, str | None], Awaitable[Actor | None]]
# (status, code, headers) -> the door's error response
Refuse = Callable[[int, str, dict[str, str]], Response]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header: None without the header,
    InvalidToken when it is anything else. The scheme is read case-insensitively, and a
    doubled `Bearer Bearer <token>` (an admin who typed the scheme into the identity
    provider's token field) is forgiven."""
    if authorization is None:
        return None
    match = _BEARER.match(authorization)
    if match is None:
        raise InvalidToken()
    return match.group(1)


@dataclass(frozen=True, slots=True)
class Door:
    path: str  # where the door is mounted: "/scim/v2", "/graphql"
    authenticate: Authenticate
    refuse: Refuse
    rate_limit: RateLimit | None = None  # None: unlimited

    def serves(self, path: str) -> bool:
        return path == self.path or path.startswith(self.path + "/")


@dataclass(slots=True)
class _Exchange:
    """What the edge learns of one request on its way through."""

    status: int = 500  # unless a response starts
    started: bool = False
    actor: Actor | None = None
    database_error: str | None = None


class Edge:
    def __init__(
        self, app: ASGIApp, doors: Sequence[Door] = (), metrics: Metrics | None = None
    ) -> None:
        self.app = app
        self.doors = tuple(doors)
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        request_id = request_id_of(scope)
        in_flight = REQUEST_ID.set(request_id)
        exchange = _Exchange()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status, exchange.started = message["status"], True
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        door = next((door for door in self.doors if door.serves(scope["path"])), None)
        try:
            if door is None:
                await self.app(scope, receive, send_with_id)
            else:
                await self._through(door, exchange, scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - began
            if self.metrics is not None:
                self.metrics.observe(scope, exchange.status, seconds, exchange.database_error)
            log_request(scope, exchange.status, seconds, request_id, exchange.actor)
        # (not reset when the request raised: the server's report of the exception, logged in
        # the same task after this returns, carries the id too; the task's context ends there)
        REQUEST_ID.reset(in_flight)

    async def _through(
        self, door: Door, exchange: _Exchange, scope: Scope, receive: Receive, send: Send
    ) -> None:
        request = Request(scope, receive)
        status, code, headers = 500, INTERNAL_ERROR, {}
        try:
            exchange.actor = await door.authenticate(
                request, bearer_token(request.headers.get("authorization"))
            )
            if door.rate_limit is not None:
                address = scope["client"][0] if scope.get("client") else None
                await door.rate_limit.spend(caller_key(exchange.actor, address))
            await self.app(scope, receive, send)
            return
        except InvalidToken:
            if exchange.started:
                raise
            status, code = 401, UNAUTHENTICATED
            headers = {"WWW-Authenticate": 'Bearer realm="roster"'}
        except RateLimited as limited:
            if exchange.started:
                raise
            status, code = 429, RATE_LIMITED
            headers = {"Retry-After": str(limited.retry_after)}
        except DATABASE_UNAVAILABLE as error:
            exchange.database_error = type(error).__name__
            logger.warning("database unavailable: %s", exchange.database_error)
            if exchange.started:
                raise
            status = 503
            unconfirmed = isinstance(error, CommitUnconfirmed)
            code = COMMIT_UNCONFIRMED_CODE if unconfirmed else DATABASE_UNAVAILABLE_CODE
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        except Exception as error:
            if isinstance(error, _DATABASE_ERRORS):
                exchange.database_error = type(error).__name__
            if exchange.started:
                raise
            logger.exception("unexpected error answering %s %s", scope["method"], scope["path"])
        await door.refuse(status, code, headers)(scope, receive, send)
