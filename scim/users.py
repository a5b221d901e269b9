"""The /Users endpoints: each reads the SCIM request, runs one domain command or query, and
writes the SCIM response."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from scim2_models import (
    Context,
    PatchOp,
    ResponseParameters,
    ScimPolicy,
    SearchRequest,
)
from starlette.requests import Request
from starlette.responses import Response

from domain import bus, group_queries, queries
from domain.actors import Actor
from domain.commands import (
    DeactivateUser,
    DeleteUser,
    ProvisionUser,
    ReactivateUser,
    ReplaceUser,
    UpdateUser,
)
from domain.errors import VersionMismatch
from domain.models import User as DomainUser
from domain.paging import KeysetPage, OffsetPage
from domain.queries import UserFilter
from scim import filters
from scim.errors import ScimProblem
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
from scim.resources import (
    ENTERPRISE,
    EnterpriseUser,
    User,
    etag,
    from_scim,
    render,
    to_scim,
)
from scim.responses import LIST_SCHEMA, ScimResponse
from scim.role_carriers import Carrier, touched

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
# Entra ID removes values by naming them and adds to filters that match nothing yet.
PATCH_POLICY = ScimPolicy(
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)
_USER_PATCH = PatchOp[User]  # parametrizing a generic is costly: once per process
_SEARCH = SearchRequest[User]
# how long a PATCH without If-Match tries again while other writers change the user first
_PATCH_RETRY_SECONDS = 10.0
# SCIM sortBy attribute URN -> the domain's sort key.
_SORTS = {
    "urn:ietf:params:scim:schemas:core:2.0:User:id": "id",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName": "user_name",
    "urn:ietf:params:scim:schemas:core:2.0:User:meta.created": "created_at",
    "urn:ietf:params:scim:schemas:core:2.0:User:meta.lastModified": "updated_at",
    "urn:ietf:params:scim:schemas:core:2.0:User:displayName": "display_name",
    "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName": "given_name",
    "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName": "family_name",
    "urn:ietf:params:scim:schemas:core:2.0:User:externalId": "external_id",
    "urn:ietf:params:scim:schemas:core:2.0:User:title": "title",
    "urn:ietf:params:scim:schemas:core:2.0:User:emails": "email",
    "urn:ietf:params:scim:schemas:core:2.0:User:emails.value": "email",
    "urn:ietf:params:scim:schemas:core:2.0:User:active": "active",
}


def _location(request: Request, user_id: object) -> str:
    return f"{config_of(request).base_url}/Users/{user_id}"


def _rendered(
    request: Request, user: DomainUser, context: Context, parameters: ResponseParameters[Any] | None
) -> dict[str, Any]:
    if parameters is None:
        return render(user, _location(request, user.id))
    resource = to_scim(user, _location(request, user.id))
    dumped: dict[str, Any] = resource.model_dump(
        scim_ctx=context, mode="json", response_parameters=parameters
    )
    return dumped


async def _resource_response(
    request: Request,
    user: DomainUser,
    context: Context,
    status: int = 200,
    parameters: ResponseParameters[Any] | None = None,
) -> Response:
    if user.group_refs is None:  # (a write's handler read them)
        await group_queries.with_groups([user])
    headers = {"ETag": etag(user.version)}
    if status == 201:
        headers["Location"] = _location(request, user.id)
    return ScimResponse(_rendered(request, user, context, parameters), status, headers)


# --- reading ------------------------------------------------------------------------------


async def list_users(request: Request) -> Response:
    actor = actor_of(request)
    return ScimResponse(await searched(request, actor, dict(request.query_params)))


async def search_users(request: Request) -> Response:
    actor = actor_of(request)
    body = await json_body(request)
    body.pop("schemas", None)
    return ScimResponse(await searched(request, actor, body))


async def searched(request: Request, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """The ListResponse of the users the request's `values` (filter, paging, sorting,
    attributes) select."""
    config = config_of(request)
    text = values.pop("filter", None)
    chosen = filters.user_filter(str(text)) if text not in (None, "") else UserFilter(where_text="")
    count = page_size(values.pop("count", None), config.max_results)
    start_index = first_index(values.pop("startIndex", None))
    cursor = values.pop("cursor", None)
    sort, descending = sort_order(_SEARCH, User, _SORTS, values)
    page: OffsetPage | KeysetPage
    if cursor is not None:
        page = KeysetPage(after=str(cursor) or None, count=count)
    else:  # a page past any user is empty
        page = offset_page(start_index, count)
    result = await queries.list_users(
        actor,
        chosen,
        page=page,
        sort=sort,
        descending=descending,
        walks=request.app.state.walks,
    )
    parameters = response_parameters(User, values)
    body: dict[str, Any] = {
        "schemas": [LIST_SCHEMA],
        "totalResults": result.total,
        "itemsPerPage": len(result.items),
    }
    if cursor is None:
        body["startIndex"] = start_index
    elif result.next_cursor:
        body["nextCursor"] = result.next_cursor
    users = await group_queries.with_groups(result.items)
    body["Resources"] = [
        _rendered(request, user, Context.RESOURCE_QUERY_RESPONSE, parameters) for user in users
    ]
    return body


async def get_user(request: Request) -> Response:
    actor = actor_of(request)
    user = await queries.get_user(actor, request.path_params["user_id"])
    if etag(user.version) in if_none_match(request) or "*" in if_none_match(request):
        return Response(status_code=304, headers={"ETag": etag(user.version)})
    parameters = response_parameters(User, request.query_params)
    return await _resource_response(request, user, Context.RESOURCE_QUERY_RESPONSE, 200, parameters)


# --- writing ------------------------------------------------------------------------------


def _normalized(body: dict[str, Any]) -> dict[str, Any]:
    """Entra ID's shapes that scim2-models would refuse: a manager given as a bare id."""
    for key in list(body):
        if key.lower() == ENTERPRISE.lower() and isinstance(body[key], dict):
            enterprise = body[key]
            for name in list(enterprise):
                if name.lower() == "manager":
                    enterprise[name] = _manager(enterprise[name])
    return body


def _manager(value: Any) -> Any:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return {"value": value} if value else None
    return value


async def create_user(request: Request) -> Response:
    actor = actor_of(request)
    body = _normalized(await json_body(request))
    resource = User.model_validate(body, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    attributes, role = from_scim(resource)
    user = await bus.handle(ProvisionUser(attributes, role=role), actor)
    return await _resource_response(request, user, Context.RESOURCE_CREATION_RESPONSE, 201)


async def replace_user(request: Request) -> Response:
    actor = actor_of(request)
    body = _normalized(await json_body(request))
    resource = User.model_validate(body, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
    attributes, role = from_scim(resource)
    command = ReplaceUser(
        request.path_params["user_id"],
        attributes,
        role=role,
        expected_version=if_match_version(request),
    )
    user = await bus.handle(command, actor)
    return await _resource_response(request, user, Context.RESOURCE_REPLACEMENT_RESPONSE)


def _patch_body(body: dict[str, Any]) -> dict[str, Any]:
    operations = body.get("Operations", body.get("operations"))
    if not isinstance(operations, list) or not operations:
        raise ScimProblem(400, "a PATCH needs a non-empty Operations list", "invalidSyntax")
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimProblem(400, "each operation must be a JSON object", "invalidSyntax")
        path = str(operation.get("path") or "")
        value = operation.get("value")
        if path.lower().endswith(":manager") or path.lower() == "manager":
            operation["value"] = _manager(value)
        elif isinstance(value, dict):
            for key in list(value):
                if key.lower().endswith(":manager"):
                    value[key] = _manager(value[key])
                elif key.lower() == ENTERPRISE.lower() and isinstance(value[key], dict):
                    _normalized({ENTERPRISE: value[key]})
    return body


def _activation(body: dict[str, Any]) -> bool | None:
    """What `active` becomes when the patch does nothing else, in the forms Okta deactivates
    and reactivates with (`{"op": "replace", "value": {"active": false}}`, or with `"path":
    "active"`); None for any other patch."""
    operations = body.get("Operations")
    if body.get("schemas") != [PATCH_OP] or not isinstance(operations, list):
        return None
    if len(operations) != 1 or not isinstance(operations[0], dict):
        return None
    operation = operations[0]
    op, value = operation.get("op"), operation.get("value")
    if not isinstance(op, str) or op.lower() != "replace":
        return None
    if (
        operation.keys() == {"op", "value"}
        and isinstance(value, dict)
        and value.keys() == {"active"}
    ):
        value = value["active"]
    elif operation.keys() != {"op", "path", "value"} or operation["path"] != "active":
        return None
    return value if isinstance(value, bool) else None


async def patch_user(request: Request) -> Response:
    """Read the user, apply the patch, update the user with the version read. When another
    writer got there first, again from the read, unless the client named the version it
    patches (If-Match): then the answer is 412. A patch that only sets `active` is the
    domain's deactivation or reactivation, which reads and writes the user in one go."""
    actor = actor_of(request)
    body = _patch_body(await json_body(request))
    wanted = if_match_version(request)
    user_id = request.path_params["user_id"]
    active = _activation(body)
    if active is not None:
        activation = (ReactivateUser if active else DeactivateUser)(user_id, wanted)
        updated = await bus.handle(activation, actor)
        return await _resource_response(request, updated, Context.RESOURCE_PATCH_RESPONSE)
    patch: PatchOp[Any] = _USER_PATCH.model_validate(
        body, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=PATCH_POLICY
    )
    # the role as read shows as permissionsRole: a patch that touches no carrier keeps it
    carriers = touched(body.get("Operations", body.get("operations")) or []) or (Carrier.CORE,)
    deadline, attempt = time.monotonic() + _PATCH_RETRY_SECONDS, 0
    while True:
        user = await queries.get_user(actor, user_id)
        patched = _patched(user, patch, _location(request, user.id))
        attributes, role = from_scim(patched, carriers)
        command = UpdateUser.of(user, attributes, role, expected_version=wanted)
        try:
            updated = await bus.handle(command, actor)
        except VersionMismatch:
            if wanted is not None or time.monotonic() > deadline:
                raise
            attempt += 1  # a random pause, longer each time, lets the writers take turns
            await asyncio.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))  # noqa: S311
            continue
        return await _resource_response(request, updated, Context.RESOURCE_PATCH_RESPONSE)


def _patched(user: DomainUser, patch: PatchOp[Any], location: str) -> User:
    """The user as a SCIM resource with the patch applied."""
    resource = to_scim(user, location)
    enterprise = resource[EnterpriseUser]
    if enterprise and enterprise.manager and "managerRef" not in user.extras:
        enterprise.manager.ref = None  # the $ref reads make up: not the provider's to keep
    patch.patch(resource, scim_policy=PATCH_POLICY)
    return resource


async def delete_user(request: Request) -> Response:
    actor = actor_of(request)
    command = DeleteUser(request.path_params["user_id"], expected_version=if_match_version(request))
    await bus.handle(command, actor)
    return Response(status_code=204)
