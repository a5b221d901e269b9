"""The SCIM requests of the scenarios, as Okta sends them, for Roster (`/scim/v2`, with its
token), the scim2-server peer (`/v2`) or django-scim2 (`/scim/v2`, with its token); the
ceiling's requests doing the same database work; the scim2-server peer's seed over HTTP."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
import uuid
from typing import Any

from bench import loadgen
from bench.seeding import attributes, provider_role, user_name
from bench.servers import HOST

SCIM_TYPE = "application/scim+json"


def okta_body(
    name: str,
    role: str | None = "basic-user",
    *,
    family_name: str = "User",
    external_id: str | None = None,
    password: bool = True,
) -> bytes:
    """Okta's body for POST /Users (and for PUT: the whole profile again); Okta sends the
    password when its password push is on (`password=False`: the same body without it)."""
    body: dict[str, Any] = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "name": {"givenName": "New", "familyName": family_name},
        "emails": [{"primary": True, "value": name, "type": "work"}],
        "displayName": f"New {family_name}",
        "locale": "en-US",
        "externalId": external_id or "00u" + uuid.uuid4().hex[:12],
        "groups": [],
        "active": True,
    }
    if password:
        body["password"] = "1mz050nq"
    if role is not None:
        body["permissionsRole"] = role
    return json.dumps(body).encode()


def _patch(operation: dict[str, Any]) -> bytes:
    return json.dumps(
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [operation]}
    ).encode()


class ScimRequests:
    """Request `n` of each SCIM scenario. Seeded user `i` is `ids[i]`, named `user_name(i)`; a
    scenario's request `n` acts on user `n % len(ids)`, so concurrent requests never share a
    user. `role=False` leaves out Okta's custom `permissionsRole`, `password=False` the
    password."""

    def __init__(
        self,
        port: int,
        token: str | None,
        ids: list[str],
        *,
        prefix: str = "/scim/v2",
        role: bool = True,
        password: bool = True,
    ) -> None:
        self.host = f"{HOST}:{port}"
        self.ids = ids
        self.prefix = prefix
        self.role = role
        self.password = password
        self.headers = {"Accept": SCIM_TYPE}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.json_headers = {**self.headers, "Content-Type": f"{SCIM_TYPE}; charset=utf-8"}
        self.run_id = uuid.uuid4().hex[:6]

    def _user(self, n: int) -> tuple[int, str]:
        index = n % len(self.ids)
        return index, f"{self.prefix}/Users/{self.ids[index]}"

    def get(self, n: int) -> bytes:
        return loadgen.request("GET", self._user(n)[1], host=self.host, headers=self.headers)

    def filter(self, n: int) -> bytes:
        expression = urllib.parse.quote(f'userName eq "{user_name(n % len(self.ids))}"')
        path = f"{self.prefix}/Users?filter={expression}&startIndex=1&count=100"
        return loadgen.request("GET", path, host=self.host, headers=self.headers)

    def create(self, n: int) -> bytes:
        role = "basic-user" if self.role else None
        body = okta_body(f"new-{self.run_id}-{n}@bench.test", role, password=self.password)
        path = f"{self.prefix}/Users"
        return loadgen.request("POST", path, host=self.host, headers=self.json_headers, body=body)

    def deactivate(self, n: int) -> bytes:
        """Okta's no-path PATCH: the first pass over the users deactivates, the next
        reactivates."""
        active = (n // len(self.ids)) % 2 == 1
        body = _patch({"op": "replace", "value": {"active": active}})
        path = self._user(n)[1]
        return loadgen.request("PATCH", path, host=self.host, headers=self.json_headers, body=body)

    def replace(self, n: int) -> bytes:
        """Okta's profile update: PUT of the whole user with a changed family name."""
        index, path = self._user(n)
        seeded = attributes(index)
        body = okta_body(
            seeded.user_name,
            provider_role(index) if self.role else None,
            family_name=f"User{index}-{n}",
            external_id=seeded.external_id,
            password=self.password,
        )
        return loadgen.request("PUT", path, host=self.host, headers=self.json_headers, body=body)

    def list100(self, n: int) -> bytes:
        start = 1 + (n * 100) % (len(self.ids) - 100)
        path = f"{self.prefix}/Users?startIndex={start}&count=100"
        return loadgen.request("GET", path, host=self.host, headers=self.headers)

    def scenarios(self) -> dict[str, loadgen.RequestFactory]:
        """The scenarios measured against the ceiling and the peer."""
        return {
            "get": self.get,
            "filter": self.filter,
            "create": self.create,
            "deactivate": self.deactivate,
            "list100": self.list100,
        }


def seed_peer(port: int, count: int) -> list[str]:
    """`count` users created in the peer over HTTP; their ids."""
    ids = []
    for index in range(count):
        request = urllib.request.Request(
            f"http://{HOST}:{port}/v2/Users",
            data=okta_body(user_name(index), None),
            headers={"Content-Type": SCIM_TYPE},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            ids.append(json.load(response)["id"])
    return ids


class CeilingRequests:
    """The ceiling's requests: the same database work as the SCIM scenarios, bare."""

    def __init__(self, port: int, ids: list[str], token: str) -> None:
        self.host = f"{HOST}:{port}"
        self.ids = ids
        self.token = token
        self.run_id = uuid.uuid4().hex[:6]

    def get(self, n: int) -> bytes:
        return loadgen.request("GET", f"/users/{self.ids[n % len(self.ids)]}", host=self.host)

    def authed_get(self, n: int) -> bytes:
        """The same get behind Roster's SCIM token check."""
        path = f"/authed/users/{self.ids[n % len(self.ids)]}"
        headers = {"Authorization": f"Bearer {self.token}"}
        return loadgen.request("GET", path, host=self.host, headers=headers)

    def filter(self, n: int) -> bytes:
        name = urllib.parse.quote(user_name(n % len(self.ids)))
        return loadgen.request("GET", f"/users?userName={name}", host=self.host)

    def create(self, n: int) -> bytes:
        body = okta_body(f"ceiling-{self.run_id}-{n}@bench.test")
        headers = {"Content-Type": "application/json"}
        return loadgen.request("POST", "/users", host=self.host, headers=headers, body=body)

    def deactivate(self, n: int) -> bytes:
        body = json.dumps({"active": (n // len(self.ids)) % 2 == 1}).encode()
        path = f"/users/{self.ids[n % len(self.ids)]}"
        headers = {"Content-Type": "application/json"}
        return loadgen.request("PATCH", path, host=self.host, headers=headers, body=body)

    def list100(self, n: int) -> bytes:
        offset = (n * 100) % (len(self.ids) - 100)
        return loadgen.request("GET", f"/users?offset={offset}", host=self.host)

    def scenarios(self) -> dict[str, loadgen.RequestFactory]:
        return {
            "get": self.get,
            "filter": self.filter,
            "create": self.create,
            "deactivate": self.deactivate,
            "list100": self.list100,
        }
