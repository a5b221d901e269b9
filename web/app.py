"""The composition root: `create_app(settings)` builds the served Starlette application.

/healthz      the process is up
/readyz       the database answers (503 otherwise)
/metrics      Prometheus metrics (off unless ROSTER_METRICS_TOKEN is set)
/scim/v2      the SCIM 2.0 facade (scim/, its issue)
/graphql      the GraphQL API (api/, its issue)
/             the settings page (its issue)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypedDict

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from tortoise.context import TortoiseContext

from api.app import GraphQLApp
from api.context import GraphQLConfig
from domain.database import close_database, open_database
from domain.rate_limits import RateLimit
from scim.app import create_scim_app
from scim.users import ScimConfig
from web.health import healthz, readyz, warn_unless_ready
from web.metrics import Metrics
from web.request_log import RequestLog
from web.security import SecurityHeaders
from web.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"


class State(TypedDict):
    settings: Settings
    database: TortoiseContext


def create_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        database = await open_database(settings.database_url, global_fallback=True, connect=False)
        try:
            await warn_unless_ready(database)
            yield {"settings": settings, "database": database}
        finally:
            await close_database(database)

    scim = create_scim_app(
        ScimConfig(
            base_url=settings.scim_base_url,
            max_results=settings.scim_max_results,
            rate_limit=_rate_limit(settings.scim_rate_limit),
        )
    )
    graphql = GraphQLConfig(
        secret_key=settings.secret_key,
        scim_base_url=settings.scim_base_url,
        secure_cookies=settings.public_url.startswith("https://"),
        graphiql=settings.graphiql,
        rate_limit=_rate_limit(settings.graphql_rate_limit),
    )
    metrics = Metrics(settings.metrics_token, settings.metrics_dir)
    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/readyz", readyz, methods=["GET", "HEAD"]),
        Route("/metrics", metrics.endpoint, methods=["GET"]),
        Mount("/scim/v2", app=scim),
        Route("/graphql", GraphQLApp(graphql)),
        Mount("/", app=StaticFiles(directory=STATIC, html=True), name="static"),
    ]
    middleware = [Middleware(RequestLog, metrics=metrics), Middleware(SecurityHeaders)]
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware)


def _rate_limit(spec: str | None) -> RateLimit | None:
    return RateLimit(spec) if spec else None
