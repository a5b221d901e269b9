"""One line per request on the `roster.request` logger, written by the edge.

Each line holds the method, the path (never the query string: filters carry people's names
and addresses), the status, the duration, the organization and the kind of actor the door
authenticated, and the request id: the caller's `X-Request-ID` when it is a plain token of at
most 128 characters, a new one otherwise (the edge sets it in `domain.request_ids.REQUEST_ID`
while the request runs, so that every line logged meanwhile, its audit events and its
provisioning log entry carry it). An id of Roster's own is a UUIDv7's 32 hex digits (RFC 9562):
its time comes first, so that ids made one after another sort in order and the provisioning
log's index by request id takes each at its end, not somewhere in the middle."""

from __future__ import annotations

import logging
import re
import secrets
import time

from starlette.types import Scope

from domain.actors import Actor
from domain.request_ids import MAX_LENGTH

LOGGER = logging.getLogger("roster.request")
_REQUEST_ID = re.compile(rf"^[A-Za-z0-9._:-]{{1,{MAX_LENGTH}}}$")


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = bytes(value).decode("latin-1").strip()
            if _REQUEST_ID.match(text):
                return text
    return new_request_id()


def new_request_id() -> str:
    """A new request id: a UUIDv7 (the Unix time in milliseconds, the version, 74 random
    bits around the variant) as 32 hex digits."""
    value = (time.time_ns() // 1_000_000) << 80 | 0x7 << 76 | secrets.randbits(12) << 64
    return f"{value | 0b10 << 62 | secrets.randbits(62):032x}"


def log_request(
    scope: Scope, status: int, seconds: float, request_id: str, actor: Actor | None
) -> None:
    if not LOGGER.isEnabledFor(logging.INFO):
        return
    fields: dict[str, object] = {
        "method": scope.get("method"),
        "path": scope.get("path"),
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "organization": actor.organization_id if actor is not None else None,
        "actor": actor.kind.value if actor is not None else None,
        "request_id": request_id,
    }
    LOGGER.info("request", extra=fields)
