"""The SCIM Group as Roster serves it (scim2-models' Group), and its translation from and to
the domain's groups."""

from __future__ import annotations

from typing import Any

import scim2_models as sm

from domain.commands import NewMember
from domain.group_queries import GroupView, Member
from scim.errors import ScimProblem
from scim.resources import etag, timestamp

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
Group = sm.Group


def render_group(view: GroupView, base_url: str) -> dict[str, Any]:
    """The group in SCIM's JSON shape; its members only if they were read."""
    group = view.group
    body: dict[str, Any] = {
        "schemas": [GROUP],
        "id": str(group.id),
        "externalId": group.external_id,
        "displayName": group.display_name,
        "meta": {
            "resourceType": "Group",
            "created": timestamp(group.created_at),
            "lastModified": timestamp(group.updated_at),
            "location": f"{base_url}/Groups/{group.id}",
            "version": etag(group.version),
        },
    }
    if view.members:
        body["members"] = [_member(member, base_url) for member in view.members]
    return {k: v for k, v in body.items() if v is not None}


def _member(member: Member, base_url: str) -> dict[str, Any]:
    return {
        "value": str(member.user_id),
        "$ref": f"{base_url}/Users/{member.user_id}",
        "display": member.display,
        "type": "User",
    }


def from_scim_group(resource: sm.Group) -> tuple[str, str | None, tuple[NewMember, ...]]:
    """The display name, external id and members of a resource sent to create or replace a
    group."""
    members = []
    for member in resource.members or []:
        if not member.value:
            raise ScimProblem(400, "each member needs a value: the id of a user", "invalidValue")
        members.append(NewMember(str(member.value), member.display or None))
    return resource.display_name or "", resource.external_id, tuple(members)
