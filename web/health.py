"""Health checks for operators and orchestrators."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise.context import TortoiseContext

from domain.database import pending_migrations
from web.drain import is_draining

READY_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> JSONResponse:
    """The process is up and serving."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """The database answers and holds every migration this code expects, and the process is
    not draining after SIGTERM: 200, else 503 (take this instance out of rotation)."""
    if is_draining(request.scope):
        return _unavailable("draining: this process is shutting down")
    database: TortoiseContext = request.state.database
    try:
        await asyncio.wait_for(database.db().execute_query("SELECT 1"), READY_TIMEOUT_SECONDS)
        pending = await asyncio.wait_for(pending_migrations(database), READY_TIMEOUT_SECONDS)
    except Exception as error:
        return _unavailable(f"database unreachable: {type(error).__name__}")
    if pending:
        return _unavailable(f"migrations not applied: {', '.join(pending)}; run `roster migrate`")
    return JSONResponse({"status": "ready"})


def _unavailable(detail: str) -> JSONResponse:
    return JSONResponse({"status": "unavailable", "detail": detail}, status_code=503)
