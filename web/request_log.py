"""One line per request on the `roster.request` logger, written by the edge.

Each line holds the method, the path (never the query string: filters carry people's names
and addresses), the status, the duration, the organization and the kind of actor the door
authenticated, and the request id: the caller's `X-Request-ID` when it is a plain token of at
most 128 characters, a new one otherwise (the edge sets it in `domain.request_ids.REQUEST_ID`
while the request runs, so that every line logged meanwhile, its audit events and its
provisioning log entry carry it)."""

from __future__ import annotations

import logging
import re
import uuid

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
    return uuid.uuid4().hex


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
