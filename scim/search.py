"""`POST /.search` at the root (RFC 7644 §3.4.3): one search over every resource type, the
users then the groups, paged as one listing."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from scim import groups, users
from scim.requests import actor_of, config_of, first_index, json_body, page_size
from scim.responses import LIST_SCHEMA, ScimResponse


async def search_everything(request: Request) -> Response:
    actor = actor_of(request)
    body = await json_body(request)
    body.pop("schemas", None)
    count = page_size(body.pop("count", None), config_of(request).max_results)
    start = first_index(body.pop("startIndex", None))
    found_users = await users.searched(
        request, actor, {**body, "count": count, "startIndex": start}
    )
    shown = list(found_users["Resources"])
    group_start = max(1, start - int(found_users["totalResults"]))
    paging = {"count": count - len(shown), "startIndex": group_start}
    found_groups = await groups.searched(request, {**body, **paging})
    shown.extend(found_groups["Resources"])
    return ScimResponse(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": found_users["totalResults"] + found_groups["totalResults"],
            "itemsPerPage": len(shown),
            "startIndex": start,
            "Resources": shown,
        }
    )
