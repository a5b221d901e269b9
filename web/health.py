"""Health checks for operators and orchestrators."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise.context import TortoiseContext

READY_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> JSONResponse:
    """The process is up and serving."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """The database answers: 200, else 503 (take this instance out of rotation)."""
    database: TortoiseContext = request.state.database
    try:
        await asyncio.wait_for(database.db().execute_query("SELECT 1"), READY_TIMEOUT_SECONDS)
    except Exception as error:
        return JSONResponse(
            {"status": "unavailable", "detail": f"database unreachable: {type(error).__name__}"},
            status_code=503,
        )
    return JSONResponse({"status": "ready"})
