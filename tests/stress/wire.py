"""Raw HTTP/1.1 on loopback, as the fault tests need it: one keep-alive connection per
client, opened again after a failure, every answer timed and kept (status 0: none came); the
requests they send, and the creates whose fate they follow."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from scim.errors import COMMIT_UNCONFIRMED
from tests.processes import HOST

SCIM_TYPE = "application/scim+json"
ANSWER_SECONDS = 10.0  # longer than this without an answer: the server hangs


def request(
    method: str, path: str, *, host: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def okta_body(name: str, *, family_name: str, external_id: str) -> bytes:
    """Okta's body for POST /Users."""
    body: dict[str, Any] = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "name": {"givenName": "New", "familyName": family_name},
        "emails": [{"primary": True, "value": name, "type": "work"}],
        "displayName": f"New {family_name}",
        "locale": "en-US",
        "externalId": external_id,
        "groups": [],
        "password": "1mz050nq",
        "active": True,
        "permissionsRole": "basic-user",
    }
    return json.dumps(body).encode()


@dataclass
class Answer:
    """One request's fate. `status` 0: no answer (refused, reset, closed, or timed out)."""

    status: int
    sent: float  # time.monotonic()
    answered: float
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    failure: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """The status, headers (lower-cased names) and body of the next response."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    if "chunked" not in headers.get("transfer-encoding", "").lower():
        length = int(headers.get("content-length", "0"))
        return status, headers, await reader.readexactly(length) if length else b""
    chunks = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        chunks.append((await reader.readexactly(size + 2))[:size])
    await reader.readuntil(b"\r\n")
    return status, headers, b"".join(chunks)


_NO_ANSWER = (OSError, EOFError, asyncio.LimitOverrunError, TimeoutError, ValueError)


class Client:
    """One keep-alive connection to the server, opened again after a failure; an answer that
    takes longer than ANSWER_SECONDS counts as none."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self, raw: bytes) -> Answer:
        sent = time.monotonic()
        try:
            async with asyncio.timeout(ANSWER_SECONDS):
                if self._streams is not None and self._streams[0].at_eof():
                    self.close()  # the server closed it since (after a 500, say): a new one
                if self._streams is None:
                    self._streams = await asyncio.open_connection(HOST, self.port)
                reader, writer = self._streams
                writer.write(raw)
                status, headers, body = await read_response(reader)
        except _NO_ANSWER as error:
            self.close()
            return Answer(0, sent, time.monotonic(), failure=type(error).__name__)
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Answer(status, sent, time.monotonic(), headers, body)

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


class Requests:
    """The raw requests of the scenarios against one server."""

    def __init__(self, port: int, scim_token: str, api_token: str | None = None) -> None:
        self.host = f"{HOST}:{port}"
        self.scim = {"Accept": SCIM_TYPE, "Authorization": f"Bearer {scim_token}"}
        self.api = {"Content-Type": "application/json", "Authorization": f"Bearer {api_token}"}

    def create(self, create: Create) -> bytes:
        body = okta_body(create.name, family_name=create.family_name, external_id=create.external)
        headers = {**self.scim, "Content-Type": SCIM_TYPE}
        return request("POST", "/scim/v2/Users", host=self.host, headers=headers, body=body)

    def get(self, user_id: str) -> bytes:
        path = f"/scim/v2/Users/{user_id}"
        return request("GET", path, host=self.host, headers=self.scim)

    def by_user_name(self, name: str) -> bytes:
        query = urllib.parse.quote(f'userName eq "{name}"')
        path = f"/scim/v2/Users?filter={query}"
        return request("GET", path, host=self.host, headers=self.scim)

    def page(self, start: int, count: int) -> bytes:
        path = f"/scim/v2/Users?startIndex={start}&count={count}"
        return request("GET", path, host=self.host, headers=self.scim)

    def graphql(self) -> bytes:
        body = json.dumps({"query": "{ users(first: 1) { totalCount } }"}).encode()
        return request("POST", "/graphql", host=self.host, headers=self.api, body=body)

    def path(self, path: str) -> bytes:
        return request("GET", path, host=self.host)


@dataclass
class Create:
    """A SCIM create as sent, and its answer (None: never answered)."""

    name: str
    family_name: str
    external: str
    answer: Answer | None = None

    @classmethod
    def numbered(cls, run: str, n: int) -> Create:
        return cls(f"fault-{run}-{n:06d}@stress.test", f"Fault{n}", f"ext-{run}-{n}")

    @property
    def acknowledged(self) -> bool:
        return self.answer is not None and self.answer.ok

    @property
    def refused(self) -> bool:
        """Answered with an error: the client is told it did not happen."""
        return self.answer is not None and self.answer.status >= 400 and not self.unconfirmed

    @property
    def unconfirmed(self) -> bool:
        """Answered 503 because the database went away while committing it: the client is
        told it may have happened (as good as no answer)."""
        body = self.answer.json() if self.answer is not None else None
        return isinstance(body, dict) and body.get("detail") == COMMIT_UNCONFIRMED

    def user_id(self) -> str | None:
        body = self.answer.json() if self.answer is not None else None
        return body.get("id") if isinstance(body, dict) else None

    def matches_resource(self, resource: Any) -> bool:
        """A SCIM resource is this user as sent."""
        if not isinstance(resource, dict):
            return False
        emails = [item.get("value") for item in resource.get("emails", [])]
        return (
            resource.get("userName") == self.name
            and (resource.get("name") or {}).get("familyName") == self.family_name
            and resource.get("externalId") == self.external
            and emails == [self.name]
        )
