"""The composition root: `create_app(settings)` builds the served Starlette application.

/healthz      the process is up
/readyz       the database answers (503 otherwise)
/metrics      Prometheus metrics (off unless ROSTER_METRICS_TOKEN is set)
/scim/v2      the SCIM 2.0 door (scim/)
/graphql      the GraphQL door (api/)
/             the settings page

Around them all: uvicorn's proxy-headers middleware (with ROSTER_TRUSTED_PROXIES), the edge
(web/edge.py: request id, log line, metrics, and for the doors authentication, rate limits
and "database unavailable") and the security headers.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypedDict

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from tortoise.context import TortoiseContext
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.app import GraphQLApp
from api.app import refuse as api_refuse
from api.context import GraphQLConfig
from domain.database import close_database, open_database
from domain.shared_store import SharedStore
from scim import errors as scim_errors
from scim import requests as scim_requests
from scim.app import ScimMount, create_scim_app
from scim.redaction import redaction_set
from scim.request_log import Recorder
from scim.requests import ScimConfig
from web import sso
from web.drain import CloseWhileDraining
from web.edge import Door, Edge
from web.health import healthz, readyz, warn_unless_ready
from web.logs import configure_logging
from web.metrics import Metrics
from web.rate_limits import RateLimit
from web.security import SecurityHeaders
from web.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"


class State(TypedDict):
    settings: Settings
    database: TortoiseContext
    shared: SharedStore | None


def create_app(settings: Settings) -> Starlette:
    configure_logging(settings.log_format, settings.log_level)  # however the app is served
    metrics = Metrics(settings.metrics_token, settings.metrics_dir)
    shared = None
    if settings.redis_url is not None:
        errors = metrics.shared_state_errors
        shared = SharedStore(
            settings.redis_url,
            settings.redis_prefix,
            on_error=lambda store: errors.labels(store).inc(),
        )

    recorder = None
    if settings.request_log:
        recorder = Recorder(
            redaction_set(settings.request_log_redact),
            settings.request_log_days,
            on_dropped=metrics.request_log_dropped.inc,
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        database = await open_database(settings.database_url, global_fallback=True, connect=False)
        try:
            await warn_unless_ready(database)
            if shared is not None:
                await shared.open()  # connects lazily: Redis down does not stop the start
            if recorder is not None:
                await recorder.start()
            if not gc.get_freeze_count():  # (once a process: a test process starts many apps)
                # What is there now (modules, the schema, the models' metadata) lives as long
                # as the process: out of the collector's way, so that a full collection, which
                # the objects that outlive a request (the provisioning log's waiting entries)
                # set off, walks what came since rather than the whole heap.
                gc.collect()
                gc.freeze()
            yield {"settings": settings, "database": database, "shared": shared}
        finally:
            if recorder is not None:
                await recorder.stop()  # what is waiting is written first
            if shared is not None:
                await shared.close()
            await close_database(database)

    scim = create_scim_app(
        ScimConfig(
            base_url=settings.scim_base_url,
            max_results=settings.scim_max_results,
            shared=shared,
            recorder=recorder,
        )
    )
    graphql_config = GraphQLConfig(
        secret_key=settings.secret_key,
        scim_base_url=settings.scim_base_url,
        secure_cookies=settings.public_url.startswith("https://"),
        graphiql=settings.graphiql,
        public_url=settings.public_url,
        request_log_redacted=settings.request_log_redact,
    )
    graphql = GraphQLApp(graphql_config)
    doors = [
        Door("/scim/v2", scim_requests.authenticate, scim_errors.refuse,
             _rate_limit(settings.scim_rate_limit, shared)),
        Door("/graphql", graphql.authenticate, api_refuse,
             _rate_limit(settings.graphql_rate_limit, shared)),
    ]  # fmt: skip
    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/readyz", readyz, methods=["GET", "HEAD"]),
        Route("/metrics", metrics.endpoint, methods=["GET"]),
        ScimMount("/scim/v2", scim),
        Route("/graphql", graphql),
        *sso.routes(graphql_config),
        Mount("/", app=StaticFiles(directory=STATIC, html=True), name="static"),
    ]
    middleware = [
        Middleware(Edge, doors=doors, metrics=metrics),
        Middleware(SecurityHeaders),
        Middleware(CloseWhileDraining),
    ]
    if settings.trusted_proxies:  # the client's address and scheme as the proxy saw them
        proxies = list(settings.trusted_proxies)
        middleware.insert(0, Middleware(ProxyHeadersMiddleware, trusted_hosts=proxies))
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware)


def _rate_limit(spec: str | None, shared: SharedStore | None) -> RateLimit | None:
    return RateLimit(spec, shared) if spec else None
