"""Deprovisioning reaches everything: once a user is deactivated or deleted, through whichever
door (Okta's and Entra ID's SCIM forms, the settings page's GraphQL), their settings-page
sessions and their personal API tokens stop working on the very next request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from domain import bus
from domain.actors import Actor
from domain.commands import IssueApiToken, IssueScimToken
from domain.models import Token
from tests.api.conftest import BASE, GraphQLClient, make_admin, root, signed_in, super_admin_id
from tests.scim.conftest import PATCH_SCHEMA, okta_user

__all__ = ["root", "super_admin_id"]

VIEWER = "{ viewer { user { userName } } }"
SCIM_BASE = f"{BASE}/scim/v2"


@dataclass
class Jane:
    """An admin with a settings-page session and a personal API token."""

    id: str
    session: GraphQLClient
    script: GraphQLClient


@pytest.fixture
async def jane(app_transport, operator, organization) -> AsyncIterator[Jane]:
    user_id = await make_admin(operator, "jane@acme.test", "super-admin")
    actor = Actor.admin(
        user_id=user_id,
        label="jane@acme.test",
        organization_id=organization.id,
        permission_level="super-admin",
    )
    issued = await bus.handle(IssueApiToken("jane's script"), actor)
    headers = {"Authorization": f"Bearer {issued.secret}"}
    async with httpx.AsyncClient(transport=app_transport, base_url=BASE, headers=headers) as http:
        async for session in signed_in(app_transport, "jane@acme.test"):
            yield Jane(user_id, session, GraphQLClient(http))


@pytest.fixture
async def scim(app_transport, operator) -> AsyncIterator[httpx.AsyncClient]:
    issued = await bus.handle(IssueScimToken(name="Okta"), operator)
    headers = {"Authorization": f"Bearer {issued.secret}"}
    async with httpx.AsyncClient(
        transport=app_transport, base_url=SCIM_BASE, headers=headers
    ) as client:
        yield client


Door = Callable[[httpx.AsyncClient, GraphQLClient, str], Awaitable[int]]


async def okta_patch(scim: httpx.AsyncClient, root: GraphQLClient, user_id: str) -> int:
    body = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    return (await scim.patch(f"/Users/{user_id}", json=body)).status_code


async def okta_put(scim: httpx.AsyncClient, root: GraphQLClient, user_id: str) -> int:
    body = okta_user("jane@acme.test", active=False)
    return (await scim.put(f"/Users/{user_id}", json=body)).status_code


async def entra_patch(scim: httpx.AsyncClient, root: GraphQLClient, user_id: str) -> int:
    body = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }
    return (await scim.patch(f"/Users/{user_id}", json=body)).status_code


async def scim_delete(scim: httpx.AsyncClient, root: GraphQLClient, user_id: str) -> int:
    return (await scim.delete(f"/Users/{user_id}")).status_code


async def settings_page(scim: httpx.AsyncClient, root: GraphQLClient, user_id: str) -> int:
    data = await root("mutation($id: ID!) { deactivateUser(id: $id) { __typename } }", id=user_id)
    assert data["deactivateUser"]["__typename"] == "UserPayload", data
    return 200


@pytest.mark.parametrize(
    "door",
    [okta_patch, okta_put, entra_patch, scim_delete, settings_page],
    ids=lambda d: d.__name__,
)
async def test_deprovisioning_ends_sessions_and_api_tokens_at_once(
    door: Door, jane: Jane, scim, root
):
    assert (await jane.session(VIEWER))["viewer"]["user"]["userName"] == "jane@acme.test"
    assert (await jane.script(VIEWER))["viewer"]["user"]["userName"] == "jane@acme.test"
    hers = await Token.filter(user_id=jane.id).values_list("id", flat=True)
    assert len(hers) == 2  # her session and her API token

    assert await door(scim, root, jane.id) in (200, 204)

    session_errors = await jane.session.errors(VIEWER)
    assert session_errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    refused = await jane.script.post(VIEWER)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert await Token.filter(id__in=list(hers), revoked_at__isnull=True).count() == 0


async def test_a_reactivated_admin_signs_in_again_but_old_sessions_and_tokens_stay_ended(
    jane: Jane, scim, root, app_transport
):
    await okta_patch(scim, root, jane.id)
    body = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"active": True}}],
    }
    assert (await scim.patch(f"/Users/{jane.id}", json=body)).status_code == 200

    async for fresh in signed_in(app_transport, "jane@acme.test"):
        assert (await fresh(VIEWER))["viewer"]["user"]["userName"] == "jane@acme.test"
    errors = await jane.session.errors(VIEWER)
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await jane.script.post(VIEWER)).status_code == 401
