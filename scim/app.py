"""The SCIM door as a Starlette application, mounted by `web` at /scim/v2 with `ScimMount`,
behind the edge."""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.walks import Walks
from scim import discovery, groups, search, users
from scim.errors import EXCEPTION_HANDLERS
from scim.request_log import RecordRequests
from scim.requests import ScimConfig
from scim.responses import error_response

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ScimApp(Starlette):
    """Maps the errors of its own (scim.errors) and lets every other one go on to the edge,
    which answers it in SCIM's format before anything was sent (the database going away: 503
    with Retry-After). So, unlike a plain Starlette application, no ServerErrorMiddleware
    answers them first with a text/plain 500."""

    def build_middleware_stack(self) -> ASGIApp:
        app: ASGIApp = ExceptionMiddleware(self.router, handlers=self.exception_handlers)
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return app


def create_scim_app(config: ScimConfig) -> Starlette:
    routes = [
        Route("/Users", users.list_users, methods=["GET"]),
        Route("/Users", users.create_user, methods=["POST"]),
        Route("/Users/.search", users.search_users, methods=["POST"]),
        Route("/Users/{user_id}", users.get_user, methods=["GET"]),
        Route("/Users/{user_id}", users.replace_user, methods=["PUT"]),
        Route("/Users/{user_id}", users.patch_user, methods=["PATCH"]),
        Route("/Users/{user_id}", users.delete_user, methods=["DELETE"]),
        Route("/Groups", groups.list_groups, methods=["GET"]),
        Route("/Groups", groups.create_group, methods=["POST"]),
        Route("/Groups/.search", groups.search_groups, methods=["POST"]),
        Route("/Groups/{group_id}", groups.get_group, methods=["GET"]),
        Route("/Groups/{group_id}", groups.replace_group, methods=["PUT"]),
        Route("/Groups/{group_id}", groups.patch_group, methods=["PATCH"]),
        Route("/Groups/{group_id}", groups.delete_group, methods=["DELETE"]),
        Route("/.search", search.search_everything, methods=["POST"]),
        Route("/ServiceProviderConfig", discovery.service_provider_config, methods=["GET"]),
        Route("/ResourceTypes", discovery.resource_types, methods=["GET"]),
        Route("/ResourceTypes/{name}", discovery.resource_type, methods=["GET"]),
        Route("/Schemas", discovery.schemas, methods=["GET"]),
        Route("/Schemas/{urn}", discovery.schema, methods=["GET"]),
    ]
    app = ScimApp(
        routes=routes,
        exception_handlers=dict(EXCEPTION_HANDLERS),
        middleware=[
            Middleware(RecordRequests, recorder=config.recorder),
            Middleware(NoControlCharacters),
        ],
    )
    app.state.scim = config
    app.state.walks = Walks(config.shared)
    return app


class ScimMount(Mount):
    """Every path under `path` goes to the SCIM door. Starlette's Mount stops at a line feed
    (its `.*` does not cross one, and its `$` matches before a final one): a percent-encoded
    LF in an id (`/Users/a%0Ab`) fell through to the site's static files and their
    text/plain 404."""

    def __init__(self, path: str, app: ASGIApp) -> None:
        super().__init__(path, app=app)
        self.path_regex = re.compile(rf"^{re.escape(path)}/(?P<path>.*)\Z", re.DOTALL)


class NoControlCharacters:
    """No SCIM endpoint or id holds a control character: a path with one (a tab, CR or LF,
    percent-encoded) is a SCIM 404 before routing, where Starlette's `$` would read
    `/Users%0A` as `/Users`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _CONTROL.search(scope["path"]):
            response = error_response(404, f"no SCIM endpoint at {scope['path']!r}")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
