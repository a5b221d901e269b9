"""An admin's change in the settings page and the identity provider's change, at the same
moment, on the same version: one wins, the other is told; nothing is silently overwritten."""

from __future__ import annotations

import asyncio

import httpx

from domain import bus
from domain.commands import IssueScimToken
from domain.models import User
from tests.api.test_mutations import SET_ROLE
from tests.conftest import provision

SCIM_PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


async def test_a_scim_patch_and_set_user_role_on_one_version_let_one_win(
    root, scim, operator, app_transport
):
    okta = await bus.handle(IssueScimToken("Okta"), operator)
    jane = await provision(scim, "jane@acme.test")
    headers = {"Authorization": f"Bearer {okta.secret}", "If-Match": 'W/"1"'}
    body = {
        "schemas": [SCIM_PATCH],
        "Operations": [{"op": "replace", "path": "title", "value": "CFO"}],
    }

    async with httpx.AsyncClient(transport=app_transport, base_url="http://roster.test") as c:
        patched, by_hand = await asyncio.gather(
            c.patch(f"/scim/v2/Users/{jane.id}", json=body, headers=headers),
            root(SET_ROLE, userId=str(jane.id), role="admin", expectedVersion=1),
        )

    outcome = by_hand["setUserRole"]["__typename"]
    assert (patched.status_code, outcome) in {(200, "VersionConflictError"), (412, "UserPayload")}
    stored = await User.get(id=jane.id).prefetch_related("role")
    assert stored.version == 2
    if patched.status_code == 200:
        assert (stored.title, stored.role.key) == ("CFO", "basic-user")
    else:
        assert (stored.title, stored.role.key) == (None, "admin")
