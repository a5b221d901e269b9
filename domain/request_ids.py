"""The id of the request a command serves, as the door's edge named it (its client's
`X-Request-ID`, or one of its own): set for the request's duration, so that its log lines, its
audit events and its entry in the provisioning log all carry it, and each leads to the others."""

from __future__ import annotations

from contextvars import ContextVar

MAX_LENGTH = 128  # what an accepted X-Request-ID may hold, and the columns keeping it

REQUEST_ID: ContextVar[str | None] = ContextVar("roster_request_id", default=None)
