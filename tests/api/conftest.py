"""GraphQL over HTTP, as the settings page and scripts use it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from domain import bus
from domain.actors import Actor
from domain.commands import AssignRole, CreateAdmin, IssueApiToken
from domain.roles import forget_roles
from tests.conftest import QueryCounter

PASSWORD = "correct horse battery"
BASE = "http://roster.test"
CSRF = {"X-Roster-CSRF": "1"}


class GraphQLClient:
    """An httpx client that speaks GraphQL; cookies persist like a browser's."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(self, query: str, variables: dict[str, Any] | None = None, **headers: str):
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        """The `data` of a request that must succeed without errors."""
        response = await self.post(query, variables, **CSRF)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return dict(body["data"])

    async def errors(self, query: str, **variables: Any) -> list[dict[str, Any]]:
        response = await self.post(query, variables, **CSRF)
        body = response.json()
        assert body.get("errors"), body
        return list(body["errors"])

    async def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        data = await self(
            """mutation($email: String!, $password: String!) {
                 login(email: $email, password: $password) {
                   __typename
                   ... on LoginPayload { viewer { user { id userName } permissions } }
                   ... on AuthenticationError { message retryAfterSeconds }
                 }
               }""",
            email=email,
            password=password,
        )
        return dict(data["login"])


@pytest.fixture
async def anonymous(app_transport) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(transport=app_transport, base_url=BASE) as http:
        yield GraphQLClient(http)


async def make_admin(operator, email: str, level: str) -> str:
    user = await bus.handle(CreateAdmin(email, PASSWORD), operator)
    if level != "super-admin":
        await bus.handle(AssignRole(str(user.id), level), operator)
    return str(user.id)


@pytest.fixture
async def super_admin_id(operator) -> str:
    return await make_admin(operator, "root@acme.test", "super-admin")


async def signed_in(app_transport, email: str) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(transport=app_transport, base_url=BASE) as http:
        client = GraphQLClient(http)
        result = await client.login(email)
        assert result["__typename"] == "LoginPayload", result
        yield client


@pytest.fixture
async def root(app_transport, super_admin_id) -> AsyncIterator[GraphQLClient]:
    """A super-admin of acme, signed in."""
    async for client in signed_in(app_transport, "root@acme.test"):
        yield client


@pytest.fixture
async def admin(app_transport, operator) -> AsyncIterator[GraphQLClient]:
    """An (application) admin of acme, signed in."""
    await make_admin(operator, "admin@acme.test", "admin")
    async for client in signed_in(app_transport, "admin@acme.test"):
        yield client


@pytest.fixture
async def basic(app_transport, operator) -> AsyncIterator[GraphQLClient]:
    """A basic user of acme with a password, signed in."""
    await make_admin(operator, "basic@acme.test", "basic-user")
    async for client in signed_in(app_transport, "basic@acme.test"):
        yield client


@pytest.fixture
async def script(app_transport, super_admin_id, organization) -> AsyncIterator[GraphQLClient]:
    """A script with the super-admin's personal API token."""
    actor = Actor.admin(
        user_id=super_admin_id,
        label="root@acme.test",
        organization_id=organization.id,
        permission_level="super-admin",
    )
    issued = await bus.handle(IssueApiToken("script"), actor)
    headers = {"Authorization": f"Bearer {issued.secret}"}
    async with httpx.AsyncClient(transport=app_transport, base_url=BASE, headers=headers) as http:
        yield GraphQLClient(http)


async def queries_for(db, client, query: str, first: int) -> int:
    """The SQL statements one GraphQL request with `first` costs, with no role kept from an
    earlier request."""
    forget_roles()
    with QueryCounter(db.db()) as counter:
        await client(query, first=first)
    return counter.count
