"""Health checks for operators and orchestrators."""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise.context import TortoiseContext

from domain.database import DatabaseUnreachable, check_connection, pending_migrations
from web.drain import is_draining

READY_TIMEOUT_SECONDS = 2.0
# uvicorn's own logger: the line is printed as its startup lines are.
log = logging.getLogger("uvicorn.error")


async def healthz(request: Request) -> JSONResponse:
    """The process is up and serving."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """The database answers and holds every migration this code expects, and the process is
    not draining after SIGTERM: 200, else 503 (take this instance out of rotation)."""
    if is_draining(request.scope):
        return _unavailable("draining: this process is shutting down")
    problem = await _not_ready(request.state.database)
    if problem:
        return _unavailable(problem)
    return JSONResponse({"status": "ready"})


async def warn_unless_ready(database: TortoiseContext) -> None:
    """At startup: one warning line if the database does not answer or is not migrated. The
    server starts anyway (an orchestrator would otherwise restart it in a loop) and /readyz
    answers 503 until the database is ready."""
    problem = await _not_ready(database)
    if problem:
        log.warning("not ready: %s; /readyz answers 503 until then", problem)


async def _not_ready(database: TortoiseContext) -> str | None:
    try:
        await asyncio.wait_for(check_connection(database), READY_TIMEOUT_SECONDS)
        pending = await asyncio.wait_for(pending_migrations(database), READY_TIMEOUT_SECONDS)
    except DatabaseUnreachable as error:
        return f"database unreachable: {error.cause}"
    except Exception as error:
        return f"database unreachable: {type(error).__name__}"
    if pending:
        return f"migrations not applied: {', '.join(pending)}; run `roster migrate`"
    return None


def _unavailable(detail: str) -> JSONResponse:
    return JSONResponse({"status": "unavailable", "detail": detail}, status_code=503)
