"""The SCIM door as a Starlette application, mounted by `web` at /scim/v2."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from scim import discovery, users
from scim.errors import EXCEPTION_HANDLERS
from scim.users import ScimConfig
from scim.walks import Walks


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
    app = Starlette(routes=routes, exception_handlers=dict(EXCEPTION_HANDLERS))
    app.state.scim = config
    app.state.walks = Walks(config.shared)
    return app
