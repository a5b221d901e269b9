"""The /Groups endpoints: each reads the SCIM request, runs one domain command or query, and
writes the SCIM response. A group's members are read only when the response shows them
(`excludedAttributes=members` costs the same for a group of fifty thousand as for an empty
one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scim2_models import Context, ResponseParameters, SearchRequest
from starlette.requests import Request
from starlette.responses import Response

from domain import bus, group_queries
from domain.commands import CreateGroup, DeleteGroup, NewMember, ReplaceGroup, UpdateGroup
from domain.database import DATABASE_UNAVAILABLE, CommitUnconfirmed
from domain.group_queries import GroupView
from scim import filters
from scim.group_patch import read_patch
from scim.group_resources import GROUP, Group, from_scim_group, render_group
from scim.requests import (
    actor_of,
    config_of,
    first_index,
    if_match_version,
    if_none_match,
    json_body,
    offset_page,
    page_size,
    response_parameters,
    sort_order,
)
from scim.resources import etag
from scim.responses import LIST_SCHEMA, ScimResponse

_SEARCH = SearchRequest[Group]
# SCIM sortBy attribute URN -> the domain's sort key
_SORTS = {
    f"{GROUP}:displayName": "display_name",
    f"{GROUP}:externalId": "external_id",
    f"{GROUP}:meta.created": "created_at",
    f"{GROUP}:meta.lastModified": "updated_at",
}


def _names(values: Sequence[object] | None) -> set[str]:
    """The top-level attributes that `attributes` or `excludedAttributes` name."""
    prefix = f"{GROUP}:".lower()
    return {str(v).lower().removeprefix(prefix).split(".")[0] for v in values or []}


def _shows_members(parameters: ResponseParameters[Any] | None) -> bool:
    if parameters is None:
        return True
    if "members" in _names(parameters.excluded_attributes):
        return False
    return not parameters.attributes or "members" in _names(parameters.attributes)


def _rendered(
    request: Request, view: GroupView, context: Context, parameters: ResponseParameters[Any] | None
) -> dict[str, Any]:
    body = render_group(view, config_of(request).base_url)
    if parameters is None:
        return body
    dumped: dict[str, Any] = Group.model_validate(body).model_dump(
        scim_ctx=context, mode="json", response_parameters=parameters
    )
    return dumped


def _response(
    request: Request,
    view: GroupView,
    context: Context,
    status: int = 200,
    parameters: ResponseParameters[Any] | None = None,
) -> Response:
    headers = {"ETag": etag(view.group.version)}
    if status == 201:
        headers["Location"] = f"{config_of(request).base_url}/Groups/{view.group.id}"
    return ScimResponse(_rendered(request, view, context, parameters), status, headers)


# --- reading ------------------------------------------------------------------------------


async def list_groups(request: Request) -> Response:
    return ScimResponse(await searched(request, dict(request.query_params)))


async def search_groups(request: Request) -> Response:
    body = await json_body(request)
    body.pop("schemas", None)
    return ScimResponse(await searched(request, body))


async def searched(request: Request, values: dict[str, Any]) -> dict[str, Any]:
    """The ListResponse of the groups the request's `values` (filter, paging, sorting,
    attributes) select."""
    actor = actor_of(request)
    text = values.pop("filter", None)
    where = filters.group_filter(str(text)) if text not in (None, "") else None
    count = page_size(values.pop("count", None), config_of(request).max_results)
    start_index = first_index(values.pop("startIndex", None))
    sort, descending = sort_order(_SEARCH, Group, _SORTS, values)
    parameters = response_parameters(Group, values)
    page = offset_page(start_index, count)
    result = await group_queries.list_groups(
        actor,
        where,
        page=page,
        sort=sort,
        descending=descending,
        with_members=_shows_members(parameters),
    )
    context = Context.RESOURCE_QUERY_RESPONSE
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": result.total,
        "itemsPerPage": len(result.items),
        "startIndex": start_index,
        "Resources": [_rendered(request, v, context, parameters) for v in result.items],
    }


async def get_group(request: Request) -> Response:
    actor = actor_of(request)
    parameters = response_parameters(Group, dict(request.query_params))
    group_id = request.path_params["group_id"]
    view = await group_queries.get_group(actor, group_id, with_members=_shows_members(parameters))
    tag = etag(view.group.version)
    if tag in if_none_match(request) or "*" in if_none_match(request):
        return Response(status_code=304, headers={"ETag": tag})
    return _response(request, view, Context.RESOURCE_QUERY_RESPONSE, 200, parameters)


# --- writing ------------------------------------------------------------------------------


def _sent(body: dict[str, Any], context: Context) -> tuple[str, str | None, tuple[NewMember, ...]]:
    return from_scim_group(Group.model_validate(body, scim_ctx=context))


async def _written(request: Request, group_id: str, context: Context, status: int) -> Response:
    """The group as it is now, as a write's answer shows it."""
    parameters = response_parameters(Group, dict(request.query_params))
    try:
        view = await group_queries.get_group(
            actor_of(request), group_id, with_members=_shows_members(parameters)
        )
    except DATABASE_UNAVAILABLE as error:  # the write stands: a plain 503 would deny it
        raise CommitUnconfirmed(str(error)) from error
    return _response(request, view, context, status, parameters)


async def create_group(request: Request) -> Response:
    actor = actor_of(request)
    body = await json_body(request)
    name, external_id, members = _sent(body, Context.RESOURCE_CREATION_REQUEST)
    group = await bus.handle(CreateGroup(name, external_id, members), actor)
    return await _written(request, str(group.id), Context.RESOURCE_CREATION_RESPONSE, 201)


async def replace_group(request: Request) -> Response:
    actor = actor_of(request)
    body = await json_body(request)
    name, external_id, members = _sent(body, Context.RESOURCE_REPLACEMENT_REQUEST)
    group_id = request.path_params["group_id"]
    command = ReplaceGroup(group_id, name, external_id, members, if_match_version(request))
    group = await bus.handle(command, actor)
    return await _written(request, str(group.id), Context.RESOURCE_REPLACEMENT_RESPONSE, 200)


async def patch_group(request: Request) -> Response:
    """Apply the patch's changes in one command. The answer is 204 with the new ETag (as Okta
    and Entra ID expect), or the group with the attributes the request names."""
    actor = actor_of(request)
    changes, members = read_patch(await json_body(request))
    group_id = request.path_params["group_id"]
    command = UpdateGroup(group_id, changes, members, if_match_version(request))
    group = await bus.handle(command, actor)
    if response_parameters(Group, dict(request.query_params)) is None:
        return Response(status_code=204, headers={"ETag": etag(group.version)})
    return await _written(request, str(group.id), Context.RESOURCE_PATCH_RESPONSE, 200)


async def delete_group(request: Request) -> Response:
    actor = actor_of(request)
    group_id = request.path_params["group_id"]
    await bus.handle(DeleteGroup(group_id, if_match_version(request)), actor)
    return Response(status_code=204)
