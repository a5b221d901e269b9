"""An HTTP client for the SCIM door of a running app, with a real SCIM token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from domain import bus
from domain.actors import Actor
from domain.commands import CreateOrganization, IssueScimToken

BASE = "http://roster.test/scim/v2"
SCIM_JSON = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
async def token(operator) -> str:
    issued = await bus.handle(IssueScimToken(name="Okta"), operator)
    return str(issued.secret)


@pytest.fixture
async def client(app_transport, token) -> AsyncIterator[httpx.AsyncClient]:
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": SCIM_JSON,
        "Content-Type": f"{SCIM_JSON}; charset=utf-8",
        "User-Agent": "Okta SCIM Client 1.0.0",
    }
    async with httpx.AsyncClient(transport=app_transport, base_url=BASE, headers=headers) as c:
        yield c


@pytest.fixture
async def other_client(app_transport) -> AsyncIterator[httpx.AsyncClient]:
    """A client of another organization (globex), with its own token."""
    globex = await bus.handle(CreateOrganization("globex", "Globex"), Actor.operator())
    issued = await bus.handle(IssueScimToken(name="Okta"), Actor.operator(globex.id))
    headers = {"Authorization": f"Bearer {issued.secret}"}
    async with httpx.AsyncClient(transport=app_transport, base_url=BASE, headers=headers) as c:
        yield c


def okta_user(user_name: str, **extra: object) -> dict[str, object]:
    """The body Okta sends to create a user (its documented sample)."""
    body: dict[str, object] = {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": "Test User",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }
    body.update(extra)
    return body


def assert_scim_error(response: httpx.Response, status: int, scim_type: str | None = None) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(SCIM_JSON)
    body = response.json()
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert body["detail"]
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return str(body["detail"])
