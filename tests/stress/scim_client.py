"""Talking SCIM and GraphQL to a running `roster serve` as identity providers and admins do,
many requests at once: a pool of keep-alive connections, or a new connection per request (so
that every worker sees requests), and a tally of what came back."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.processes import HOST
from tests.stress.seeding import Credentials

SCIM_JSON = "application/scim+json"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
TIMEOUT = httpx.Timeout(30.0)
LOCKED = "database is locked"
SET_ROLE = """mutation($userId: ID!, $role: String!, $expectedVersion: Int) {
  setUserRole(userId: $userId, role: $role, expectedVersion: $expectedVersion) {
    __typename
    ... on Error { message }
    ... on UserPayload { user { version role { key } } }
  }
}"""
GENERATE_TOKEN = """mutation($name: String!) {
  generateScimToken(name: $name) {
    __typename
    ... on Error { message }
    ... on GenerateScimTokenPayload { token scimToken { id } }
  }
}"""
REVOKE_TOKEN = """mutation($id: ID!) {
  revokeScimToken(id: $id) {
    __typename
    ... on Error { message }
    ... on RevokeScimTokenPayload { scimToken { revokedAt } }
  }
}"""


@dataclass
class Tally:
    """What one scenario sent and got back."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)  # 0: no answer at all
    locked: int = 0  # answers that say "database is locked"
    samples: dict[int, str] = field(default_factory=dict)  # what the first failures said

    def note(self, status: int, text: str) -> None:
        self.requests += 1
        self.statuses[status] += 1
        if LOCKED in text:
            self.locked += 1
        if (status == 0 or status >= 500) and status not in self.samples:
            self.samples[status] = text[:160]

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


def assert_every_request_answered_without_error(tally: Tally) -> None:
    """What no scenario accepts: a request without an answer, a 5xx, a locked database."""
    assert tally.statuses[0] == 0, f"{tally.statuses[0]} requests got no answer: {tally.samples}"
    assert tally.server_errors == 0, f"{tally.server_errors} answers were 5xx: {tally.samples}"
    assert tally.locked == 0, f"{tally.locked} answers say {LOCKED!r}"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: dict[str, Any]
    text: str
    etag: str | None


def _answer(response: httpx.Response) -> Answer:
    try:
        body = response.json()
    except ValueError:
        body = None
    return Answer(
        response.status_code,
        body if isinstance(body, dict) else {},
        response.text,
        response.headers.get("etag"),
    )


class Roster:
    """One running server: a pool of keep-alive connections, and a client that opens a new
    connection for every request (so that both workers see requests)."""

    def __init__(self, pooled: httpx.AsyncClient, fresh: httpx.AsyncClient, creds: Credentials):
        self.pooled, self.fresh, self.credentials = pooled, fresh, creds

    async def scim(
        self,
        tally: Tally,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        if_match: str | None = None,
        params: dict[str, str] | None = None,
        token: str | None = None,
        fresh: bool = False,
    ) -> Answer:
        headers = {
            "Authorization": f"Bearer {token or self.credentials.scim_token}",
            "Content-Type": SCIM_JSON,
        }
        if if_match is not None:
            headers["If-Match"] = if_match
        client = self.fresh if fresh else self.pooled
        return await self._send(
            tally, client, method, f"/scim/v2{path}", headers=headers, json=body, params=params
        )

    async def graphql(self, tally: Tally, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The mutation's result (the one field of `data`), or {"__typename": "errors", ...}."""
        headers = {"Authorization": f"Bearer {self.credentials.api_token}"}
        body = {"query": query, "variables": variables}
        answer = await self._send(
            tally, self.pooled, "POST", "/graphql", headers=headers, json=body
        )
        data = answer.body.get("data") or {}
        if answer.status != 200 or answer.body.get("errors") or len(data) != 1:
            return {"__typename": "errors", "message": answer.text[:200]}
        (result,) = data.values()
        return dict(result)

    async def _send(
        self, tally: Tally, client: httpx.AsyncClient, method: str, url: str, **options: Any
    ) -> Answer:
        try:
            answer = _answer(await client.request(method, url, **options))
        except httpx.HTTPError as error:
            answer = Answer(0, {}, repr(error), None)
        tally.note(answer.status, answer.text)
        return answer

    async def create(self, tally: Tally, user_name: str) -> Answer:
        return await self.scim(tally, "POST", "/Users", body=okta_user(user_name))

    async def users_named(self, tally: Tally, user_name: str) -> int:
        """How many users the SCIM filter `userName eq` finds (any letter case)."""
        params = {"filter": f'userName eq "{user_name}"', "count": "0"}
        answer = await self.scim(tally, "GET", "/Users", params=params)
        return int(answer.body.get("totalResults", -1))


@asynccontextmanager
async def connected(port: int, credentials: Credentials) -> AsyncIterator[Roster]:
    base = f"http://{HOST}:{port}"
    pool = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    single = httpx.Limits(max_connections=64, max_keepalive_connections=0)
    async with (
        httpx.AsyncClient(base_url=base, limits=pool, timeout=TIMEOUT) as pooled,
        httpx.AsyncClient(base_url=base, limits=single, timeout=TIMEOUT) as fresh,
    ):
        yield Roster(pooled, fresh, credentials)


def okta_user(user_name: str) -> dict[str, Any]:
    """Okta's body for POST /Users, without a role (the organization's default)."""
    return {
        "schemas": [CORE],
        "userName": user_name,
        "name": {"givenName": "Race", "familyName": "User"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "active": True,
    }


def patch(path: str, value: Any) -> dict[str, Any]:
    """A PATCH that replaces one attribute."""
    operation = {"op": "replace", "path": path, "value": value}
    return {"schemas": [PATCH_SCHEMA], "Operations": [operation]}


def version_of(etag: str | None) -> int:
    """W/"3" -> 3 (-1 for anything else)."""
    text = (etag or "").removeprefix("W/").strip('"')
    return int(text) if text.isdigit() else -1


def attribute(body: dict[str, Any], path: str) -> Any:
    """The value at a simple SCIM attribute path of a user's JSON."""
    if path.startswith(f"{ENTERPRISE}:"):
        return (body.get(ENTERPRISE) or {}).get(path.removeprefix(f"{ENTERPRISE}:"))
    parent, _, child = path.rpartition(".")
    return (body.get(parent) or {}).get(child) if parent else body.get(path)


def letter_cases(name: str) -> Iterator[str]:
    """The same userName in five letter cases, round and round."""
    forms = [name, name.upper(), name.capitalize(), name.swapcase().capitalize(), name.title()]
    while True:
        yield from forms
