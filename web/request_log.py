"""One line per request on the `roster.request` logger, and the request id.

Each line holds the method, the path (never the query string: filters carry people's names
and addresses), the status, the duration, the organization and the kind of actor (as the
facade that authenticated the request left them in the scope under "roster.actor"), and the
request id: the caller's `X-Request-ID` when it is a plain token of at most 128 characters, a
new one otherwise, returned in the response's `X-Request-ID` either way, and set in
`web.logs.REQUEST_ID` while the request runs so that every line logged meanwhile carries it."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.logs import REQUEST_ID
from web.metrics import DATABASE_ERROR_KEY, DATABASE_ERRORS, Metrics

LOGGER = logging.getLogger("roster.request")
ACTOR_SCOPE_KEY = "roster.actor"  # where the facades leave the authenticated actor
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = bytes(value).decode("latin-1").strip()
            if _REQUEST_ID.match(text):
                return text
    return uuid.uuid4().hex


class RequestLog:
    """Observes every HTTP request once: its line in the log and, with `metrics`, its counts
    and latency (and a database error no facade handled, which it then re-raises)."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope)
        in_flight = REQUEST_ID.set(request_id)
        status = 500  # unless a response starts

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except DATABASE_ERRORS as error:
            scope.setdefault(DATABASE_ERROR_KEY, type(error).__name__)
            raise
        finally:
            seconds = time.perf_counter() - started
            if self.metrics is not None:
                self.metrics.observe(scope, status, seconds)
            if LOGGER.isEnabledFor(logging.INFO):
                LOGGER.info("request", extra=_fields(scope, status, seconds, request_id))
        # (not reset when the request raised: the server's report of the exception, logged in
        # the same task after this returns, carries the id too; the task's context ends there)
        REQUEST_ID.reset(in_flight)


def _fields(scope: Scope, status: int, seconds: float, request_id: str) -> dict[str, Any]:
    actor = scope.get(ACTOR_SCOPE_KEY)
    return {
        "method": scope.get("method"),
        "path": scope.get("path"),
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "organization": getattr(actor, "organization_id", None),
        "actor": getattr(getattr(actor, "kind", None), "value", None),
        "request_id": request_id,
    }
