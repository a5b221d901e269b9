"""Discovery (RFC 7644 §4): what this server supports, its resource types (User, Group) and
schemas.
The organization's own role strings are the canonicalValues of each attribute that carries a
role: permissionsRole, Roster's extension's permissionsRole and the value of roles."""

from __future__ import annotations

from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    ETag,
    Filter,
    Meta,
    Patch,
    Required,
    ResourceType,
    Schema,
    ServiceProviderConfig,
    Sort,
)
from scim2_models.resources.service_provider_config import Pagination
from starlette.requests import Request
from starlette.responses import Response

from domain import queries
from domain.actors import Actor
from scim.group_resources import Group
from scim.requests import ScimConfig, actor_of, config_of
from scim.resources import EnterpriseUser, User
from scim.responses import LIST_SCHEMA, ScimResponse, error_response
from scim.role_carriers import RosterUser

DOCUMENTATION = "https://github.com/roster/roster#connect-okta"


def _dump(model: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, mode="json")
    return dumped


def _list(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": len(resources),
        "itemsPerPage": len(resources),
        "startIndex": 1,
        "Resources": resources,
    }


async def service_provider_config(request: Request) -> Response:
    actor_of(request)
    config = config_of(request)
    document = ServiceProviderConfig(
        documentation_uri=DOCUMENTATION,  # type: ignore[arg-type]
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=config.max_results),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=True),
        etag=ETag(supported=True),
        pagination=Pagination(
            cursor=True,
            index=True,
            default_pagination_method=Pagination.DefaultPaginationMethod.index,
            default_page_size=100,
            max_page_size=config.max_results,
        ),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A Roster SCIM token (rst_scim_...) in the Authorization header",
                primary=True,
            )
        ],
        meta=Meta(
            resource_type="ServiceProviderConfig",
            location=f"{config.base_url}/ServiceProviderConfig",
        ),
    )
    return ScimResponse(_dump(document))


_DESCRIPTIONS = {"User": "A person of the organization", "Group": "A group of its people"}


def _resource_types(config: ScimConfig) -> dict[str, dict[str, Any]]:
    found = {}
    for resource in (User, Group):
        resource_type = ResourceType.from_resource(resource)
        name = str(resource_type.name)
        resource_type.description = _DESCRIPTIONS[name]
        resource_type.meta = Meta(
            resource_type="ResourceType", location=f"{config.base_url}/ResourceTypes/{name}"
        )
        found[name] = _dump(resource_type)
    return found


async def resource_types(request: Request) -> Response:
    actor_of(request)
    return ScimResponse(_list(list(_resource_types(config_of(request)).values())))


async def resource_type(request: Request) -> Response:
    actor_of(request)
    found = _resource_types(config_of(request)).get(request.path_params["name"])
    if found is None:
        detail = f"no resource type {request.path_params['name']!r}; there are User and Group"
        return error_response(404, detail)
    return ScimResponse(found)


async def _schemas(actor: Actor, config: ScimConfig) -> list[dict[str, Any]]:
    roles = [view.role.key for view in await queries.list_roles(actor)]
    user_schema = User.to_schema()
    user_schema.name = "User"
    for attribute in user_schema.attributes or []:
        if attribute.name == "permissionsRole":
            attribute.canonical_values = roles
        if attribute.name == "roles":
            for sub in attribute.sub_attributes or []:
                if sub.name == "value":
                    sub.canonical_values = roles
        if attribute.name == "active":
            # Every user is active or not: `active` cannot be removed (set it to false to
            # deactivate). A create or replace that leaves it out still means active.
            attribute.required = Required.true
    roster_schema = RosterUser.to_schema()
    roster_schema.name = "Roster User"
    roster_schema.description = "The user's role in the product"
    for attribute in roster_schema.attributes or []:
        attribute.canonical_values = roles
    group_schema = Group.to_schema()
    group_schema.name = "Group"
    documents = []
    for schema in (user_schema, EnterpriseUser.to_schema(), roster_schema, group_schema):
        schema.meta = Meta(
            resource_type="Schema", location=f"{config.base_url}/Schemas/{schema.id}"
        )
        documents.append(schema)
    return [_dump(document) for document in documents]


async def schemas(request: Request) -> Response:
    actor = actor_of(request)
    return ScimResponse(_list(await _schemas(actor, config_of(request))))


async def schema(request: Request) -> Response:
    actor = actor_of(request)
    wanted = request.path_params["urn"]
    for document in await _schemas(actor, config_of(request)):
        if str(document["id"]).lower() == wanted.lower():
            return ScimResponse(document)
    return error_response(404, f"no schema {wanted!r}")


__all__ = ["Schema", "resource_type", "resource_types", "schema", "schemas"]
