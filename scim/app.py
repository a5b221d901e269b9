"""The SCIM door as a Starlette application, mounted by `web` at /scim/v2 behind the edge."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import Route
from starlette.types import ASGIApp

from scim import discovery, users
from scim.errors import EXCEPTION_HANDLERS
from scim.users import ScimConfig
from scim.walks import Walks


class ScimApp(Starlette):
    """Maps the errors of its own (scim.errors) and lets every other one go on to the edge,
    which answers it in SCIM's format before anything was sent (the database going away: 503
    with Retry-After). So, unlike a plain Starlette application, no ServerErrorMiddleware
    answers them first with a text/plain 500."""

    def build_middleware_stack(self) -> ASGIApp:
        return ExceptionMiddleware(self.router, handlers=self.exception_handlers)


def create_scim_app(config: ScimConfig) -> Starlette:
    routes = [
        Route("/Users", users.list_users, methods=["GET"]),
        Route("/Users", users.create_user, methods=["POST"]),
        Route("/Users/.search", users.search_users, methods=["POST"]),
        Route("/Users/{user_id}", users.get_user, methods=["GET"]),
        Route("/Users/{user_id}", users.replace_user, methods=["PUT"]),
        Route("/Users/{user_id}", users.patch_user, methods=["PATCH"]),
        Route("/Users/{user_id}", users.delete_user, methods=["DELETE"]),
        Route("/.search", users.search_users, methods=["POST"]),
        Route("/ServiceProviderConfig", discovery.service_provider_config, methods=["GET"]),
        Route("/ResourceTypes", discovery.resource_types, methods=["GET"]),
        Route("/ResourceTypes/{name}", discovery.resource_type, methods=["GET"]),
        Route("/Schemas", discovery.schemas, methods=["GET"]),
        Route("/Schemas/{urn}", discovery.schema, methods=["GET"]),
    ]
    app = ScimApp(routes=routes, exception_handlers=dict(EXCEPTION_HANDLERS))
    app.state.scim = config
    app.state.walks = Walks()
    return app
