"""The GraphQL scenarios, with an admin's personal API token (a bearer request needs no CSRF
header): `users(first: 100)` with each user's role, over the first pages of the listing, and
`setUserRole`. The load generator only sees HTTP statuses and GraphQL answers 200 even with
errors, so `check` first runs one request of each and fails on any error in its answer."""

from __future__ import annotations

import json
from typing import Any

from bench import loadgen
from bench.seeding import provider_role
from bench.servers import HOST

USERS = """query Users($after: String) {
  users(first: 100, after: $after) {
    edges { node { id userName role { key name } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
SET_ROLE = """mutation SetRole($userId: ID!, $role: String!) {
  setUserRole(userId: $userId, role: $role) {
    __typename
    ... on UserPayload { user { id version role { key } } }
    ... on Error { message }
  }
}"""
PAGES = 10  # users(first: 100) cycles over the listing's first pages


class GraphQLRequests:
    def __init__(self, port: int, token: str, ids: list[str]) -> None:
        self.port = port
        self.host = f"{HOST}:{port}"
        self.token = token
        self.ids = ids
        self.afters: list[str | None] = [None]  # where each page starts, set by `check`

    def _post(self, query: str, variables: dict[str, Any]) -> bytes:
        body = json.dumps({"query": query, "variables": variables}).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        return loadgen.request("POST", "/graphql", host=self.host, headers=headers, body=body)

    def users(self, after: str | None) -> bytes:
        return self._post(USERS, {"after": after})

    def users100(self, n: int) -> bytes:
        return self.users(self.afters[n % len(self.afters)])

    def set_role(self, n: int) -> bytes:
        """Seeded user `n % len(ids)` gets the other role on the first pass over the users,
        its seeded role back on the next."""
        index = n % len(self.ids)
        seeded = provider_role(index) or "basic-user"
        other = "basic-user" if seeded == "admin" else "admin"
        role = (other, seeded)[(n // len(self.ids)) % 2]
        return self._post(SET_ROLE, {"userId": self.ids[index], "role": role})

    def scenarios(self) -> dict[str, loadgen.RequestFactory]:
        return {"users100": self.users100, "set_role": self.set_role}

    async def check(self) -> None:
        """Walk the first pages (their cursors feed `users100`) and set one role back to what
        it was seeded with; SystemExit on any error in an answer."""
        async with loadgen.Connection(HOST, self.port) as connection:
            afters: list[str | None] = [None]
            while len(afters) < PAGES:
                data = await self._answer(connection, self.users(afters[-1]))
                info = data["users"]["pageInfo"]
                if not info["hasNextPage"]:
                    break
                afters.append(info["endCursor"])
            self.afters = afters
            last = 2 * len(self.ids) - 1  # the second pass: the role the user was seeded with
            data = await self._answer(connection, self.set_role(last))
            if data["setUserRole"]["__typename"] != "UserPayload":
                raise SystemExit(f"setUserRole answered {data['setUserRole']}")

    @staticmethod
    async def _answer(connection: loadgen.Connection, request: bytes) -> dict[str, Any]:
        status, body = await connection.send(request)
        answer = json.loads(body) if body else {}
        if status != 200 or answer.get("errors") or not answer.get("data"):
            raise SystemExit(f"GraphQL answered {status}: {body[:500]!r}")
        data: dict[str, Any] = answer["data"]
        return data
