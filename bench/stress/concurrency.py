"""Races against `roster serve --workers 2`, as identity providers and admins make them: many
creates of one userName, PATCHes on one version (once, and read-patch-retry writers), a SCIM
PATCH against GraphQL's setUserRole, a SCIM token revoked while both workers trust it, and
concurrent writers. Each scenario checks what the database holds afterwards, not only the
statuses: an acknowledged write that is missing counts as a lost write."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.seeding import Credentials
from bench.servers import HOST
from bench.stress.harness import Stress, request_bound
from bench.stress.outcome import Outcome

SCIM_JSON = "application/scim+json"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
TIMEOUT = httpx.Timeout(30.0)
LOCKED = "database is locked"
# What one read-patch-retry writer owns: an attribute no other writer touches.
OWNED_PATHS = (
    "name.givenName", "name.familyName", "name.middleName", "name.formatted",
    "name.honorificPrefix", "name.honorificSuffix", "displayName", "nickName", "title",
    "userType", "preferredLanguage", "locale", "timezone", "externalId", "userName",
    f"{ENTERPRISE}:employeeNumber", f"{ENTERPRISE}:costCenter", f"{ENTERPRISE}:organization",
    f"{ENTERPRISE}:division", f"{ENTERPRISE}:department",
)  # fmt: skip
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


# --- talking to the server ----------------------------------------------------------------


@dataclass
class Tally:
    """What one scenario sent and got back; `trouble` names what no scenario accepts."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)  # 0: no answer at all
    locked: int = 0  # answers that say "database is locked"
    problems: list[str] = field(default_factory=list)
    samples: dict[int, str] = field(default_factory=dict)  # what the first failures said

    def note(self, status: int, text: str) -> None:
        self.requests += 1
        self.statuses[status] += 1
        if LOCKED in text:
            self.locked += 1
        if (status == 0 or status >= 500) and status not in self.samples:
            self.samples[status] = text[:160]

    def trouble(self) -> list[str]:
        found = [*self.problems]
        if self.statuses[0]:
            found.append(f"{self.statuses[0]} requests got no answer")
        if self.locked:
            found.append(f"{self.locked} answers say {LOCKED!r}")
        return found + [f"{status}: {text}" for status, text in self.samples.items()]

    def outcome(self, name: str, summary: str, lost_writes: int = 0) -> Outcome:
        trouble = self.trouble()
        errors = sum(n for status, n in self.statuses.items() if status >= 500)
        passed = not trouble and not errors and not lost_writes
        detail = summary if passed else "; ".join(trouble[:6]) or summary
        return Outcome(name, passed, self.requests, self.statuses, lost_writes, detail)


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


# --- 1. many creates of one userName ------------------------------------------------------


async def creates_of_one_user_name(roster: Roster, rounds: int, clients: int) -> Outcome:
    """`clients` POSTs of one userName in mixed case at once: one 201, the rest 409
    uniqueness, and one user afterwards."""
    tally = Tally()
    for number in range(rounds):
        name = f"jane.race{number}@okta.local"
        cases = letter_cases(name)
        answers = await asyncio.gather(*(roster.create(tally, next(cases)) for _ in range(clients)))
        statuses = Counter(answer.status for answer in answers)
        if statuses != {201: 1, 409: clients - 1}:
            tally.problems.append(f"round {number}: statuses {dict(statuses)}")
        kinds = {answer.body.get("scimType") for answer in answers if answer.status == 409}
        if kinds - {"uniqueness"}:
            tally.problems.append(f"round {number}: 409 scimType {sorted(map(str, kinds))}")
        found = await roster.users_named(tally, name.upper())
        if found != 1:
            tally.problems.append(f"round {number}: {found} users named {name}")
    summary = f"{rounds} rounds of {clients}: 1 created, {clients - 1} uniqueness, 1 user each"
    return tally.outcome("concurrent creates of one userName", summary)


# --- 2. PATCHes on one version -------------------------------------------------------------


async def patches_of_one_version(roster: Roster, rounds: int, clients: int) -> Outcome:
    """`clients` PATCHes with If-Match W/"1" at once: one 200 that shows its own value, the
    others 412, and the user one version on with the winner's value."""
    tally = Tally()
    lost = 0
    for number in range(rounds):
        created = await roster.create(tally, f"patch.race{number}@okta.local")
        if created.status != 201:
            tally.problems.append(f"round {number}: create answered {created.status}")
            continue
        path = f"/Users/{created.body['id']}"
        answers = await asyncio.gather(
            *(
                roster.scim(tally, "PATCH", path, body=patch("title", f"t{i}"), if_match='W/"1"')
                for i in range(clients)
            )
        )
        statuses = Counter(answer.status for answer in answers)
        if statuses != {200: 1, 412: clients - 1}:
            tally.problems.append(f"round {number}: statuses {dict(statuses)}")
        won = [f"t{i}" for i, answer in enumerate(answers) if answer.status == 200]
        shown = [(a.body.get("title"), version_of(a.etag)) for a in answers if a.status == 200]
        if shown != [(title, 2) for title in won]:
            tally.problems.append(f"round {number}: the 200s show {shown}, they wrote {won}")
        stored = await roster.scim(tally, "GET", path)
        if (version_of(stored.etag), [stored.body.get("title")]) != (2, won):
            lost += max(1, len(won) - 1)
            tally.problems.append(
                f"round {number}: stored v{version_of(stored.etag)} title "
                f"{stored.body.get('title')!r}, acknowledged {won}"
            )
    summary = f"{rounds} rounds of {clients}: 1 won (v2, its value), {clients - 1} got 412"
    return tally.outcome("If-Match PATCHes of one version", summary, lost)


@dataclass
class Writer:
    """A read-patch-retry client that owns one attribute of the user."""

    path: str
    number: int
    acknowledged: str | None = None  # the last value the server answered 200 to
    versions: list[int] = field(default_factory=list)  # the versions its 200s created
    conflicts: int = 0

    def value(self) -> str:
        value = f"w{self.number}-{len(self.versions)}"
        return f"{value}@retry.test" if self.path == "userName" else value


async def _write_until(
    roster: Roster, tally: Tally, path: str, writer: Writer, deadline: float, attempts: int
) -> None:
    for _ in range(attempts):
        if time.monotonic() >= deadline:
            return
        read = await roster.scim(tally, "GET", path)
        if read.status != 200 or read.etag is None:
            tally.problems.append(f"{writer.path}: GET answered {read.status}, ETag {read.etag}")
            return
        value = writer.value()
        answer = await roster.scim(
            tally, "PATCH", path, body=patch(writer.path, value), if_match=read.etag
        )
        if answer.status == 412:
            writer.conflicts += 1
        elif answer.status != 200:
            tally.problems.append(f"{writer.path}: PATCH answered {answer.status}")
            return
        elif attribute(answer.body, writer.path) != value:
            tally.problems.append(f"{writer.path}: a 200 without its value {value!r}")
            return
        elif version_of(answer.etag) != version_of(read.etag) + 1:
            tally.problems.append(f"{writer.path}: {read.etag} PATCHed to {answer.etag}")
            return
        else:
            writer.acknowledged = value
            writer.versions.append(version_of(answer.etag))


async def retrying_writers(roster: Roster, writers: int, seconds: float, attempts: int) -> Outcome:
    """`writers` clients, each reading the user and PATCHing its own attribute with If-Match,
    again on 412, for `seconds`: every acknowledged value is there at the end, and the
    version counts the 200s exactly."""
    tally = Tally()
    created = await roster.create(tally, "retry.writers@okta.local")
    if created.status != 201:
        return tally.outcome("PATCH with retry on 412, no lost write", "")
    path = f"/Users/{created.body['id']}"
    team = [Writer(OWNED_PATHS[i], i) for i in range(min(writers, len(OWNED_PATHS)))]
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(_write_until(roster, tally, path, w, deadline, attempts) for w in team))
    stored = await roster.scim(tally, "GET", path)
    successes = [version for writer in team for version in writer.versions]
    lost = len(successes) - len(set(successes))  # two 200s that made one version
    for writer in team:
        if (
            writer.acknowledged is not None
            and attribute(stored.body, writer.path) != writer.acknowledged
        ):
            lost += 1
            tally.problems.append(f"{writer.path}: acknowledged {writer.acknowledged!r} is lost")
    if version_of(stored.etag) != 1 + len(successes):
        tally.problems.append(f"version {stored.etag} after {len(successes)} successful PATCHes")
    conflicts = sum(writer.conflicts for writer in team)
    summary = (
        f"{writers} writers for {seconds:.0f} s: {len(successes)} written, {conflicts} retried "
        f"after 412, version 1 + {len(successes)}"
    )
    if any(len(writer.versions) + writer.conflicts >= attempts for writer in team):
        summary += " (request bound reached before the time was up)"
    return tally.outcome("PATCH with retry on 412, no lost write", summary, lost)


# --- 3. the identity provider against an admin ---------------------------------------------


async def _after(seconds: float, request: Awaitable[Answer]) -> Answer:
    await asyncio.sleep(seconds)
    return await request


async def _race_one(roster: Roster, tally: Tally, number: int) -> int:
    """One user's SCIM PATCH (If-Match W/"1") against setUserRole(expectedVersion: 1); the
    lost writes found (0 or 1). Odd users: both change the role."""
    created = await roster.create(tally, f"door.race{number}@okta.local")
    if created.status != 201:
        tally.problems.append(f"user {number}: create answered {created.status}")
        return 0
    user_id = created.body["id"]
    change = patch("title", "CFO") if number % 2 == 0 else patch("permissionsRole", "limited-user")
    head_start = (number % 5) * 0.002  # GraphQL's request costs more: give it a head start
    scim, admin = await asyncio.gather(
        _after(
            head_start,
            roster.scim(tally, "PATCH", f"/Users/{user_id}", body=change, if_match='W/"1"'),
        ),
        roster.graphql(tally, SET_ROLE, {"userId": user_id, "role": "admin", "expectedVersion": 1}),
    )
    outcome = (scim.status, admin["__typename"])
    if outcome not in {(200, "VersionConflictError"), (412, "UserPayload")}:
        tally.problems.append(f"user {number}: SCIM {scim.status}, GraphQL {admin}")
        return int(outcome == (200, "UserPayload"))  # both told they won: one was overwritten
    stored = (await roster.scim(tally, "GET", f"/Users/{user_id}")).body
    seen = (
        stored.get("title"),
        stored.get("permissionsRole"),
        stored.get("meta", {}).get("version"),
    )
    if scim.status == 200:
        wanted = ("CFO", None) if number % 2 == 0 else (None, "limited-user")
    else:
        wanted = (None, "admin")
    if seen != (*wanted, 'W/"2"'):
        tally.problems.append(f"user {number}: stored {seen}, the winner wrote {wanted}")
        return 1
    return 0


async def scim_against_graphql(roster: Roster, users: int) -> Outcome:
    """A SCIM PATCH and GraphQL's setUserRole on one version, for `users` users: each time one
    wins, the other is told (412 / VersionConflictError), the stored user is the winner's."""
    tally = Tally()
    lost = 0
    for number in range(users):
        lost += await _race_one(roster, tally, number)
    graphql_won = tally.statuses[412]  # only the SCIM PATCH answers 412
    summary = f"{users} races: one winner each (GraphQL {graphql_won}, SCIM {users - graphql_won})"
    return tally.outcome("SCIM PATCH vs GraphQL setUserRole", summary, lost)


# --- 4. a token revoked while both workers trust it ---------------------------------------


async def _wave(roster: Roster, tally: Tally, token: str, size: int) -> Counter[int]:
    """`size` SCIM requests at once, each on a new connection; their statuses."""
    answers = await asyncio.gather(
        *(
            roster.scim(tally, "GET", "/Users", params={"count": "1"}, token=token, fresh=True)
            for _ in range(size)
        )
    )
    return Counter(answer.status for answer in answers)


async def _keep_using(roster: Roster, tally: Tally, token: str, stop: asyncio.Event) -> None:
    """Okta's traffic while the admin revokes: waves until `stop`, 200 or 401 each."""
    while not stop.is_set():
        statuses = await _wave(roster, tally, token, 10)
        if set(statuses) - {200, 401}:
            tally.problems.append(f"during the revocation: {dict(statuses)}")


@dataclass
class Revocation:
    """What one revocation looked like from Okta's side, timed from the revoke's answer."""

    refused_from: float | None = None  # when the first wave that was all 401 was sent
    accepted_after: int = 0  # requests answered 200 after the revoke's answer (a cache's)
    checked: Counter[int] = field(default_factory=Counter)  # the waves from 1 s on


async def _issued_and_warm(roster: Roster, tally: Tally, number: int) -> tuple[str, str] | None:
    """A new SCIM token (secret, id), used over new connections until both workers trust it."""
    issued = await roster.graphql(tally, GENERATE_TOKEN, {"name": f"revoked {number}"})
    if issued["__typename"] != "GenerateScimTokenPayload":
        tally.problems.append(f"generateScimToken: {issued}")
        return None
    token = str(issued["token"])
    for _ in range(4):
        warm = await _wave(roster, tally, token, 20)
        if warm != {200: 20}:
            tally.problems.append(f"warming the token: {dict(warm)}")
    return token, str(issued["scimToken"]["id"])


async def _revoked_under_traffic(roster: Roster, tally: Tally, token: str, token_id: str) -> bool:
    stop = asyncio.Event()
    traffic = asyncio.create_task(_keep_using(roster, tally, token, stop))
    await asyncio.sleep(0.05)
    revoked = await roster.graphql(tally, REVOKE_TOKEN, {"id": token_id})
    stop.set()
    await traffic
    if revoked["__typename"] != "RevokeScimTokenPayload":
        tally.problems.append(f"revokeScimToken: {revoked}")
        return False
    return True


async def _revoke_once(roster: Roster, tally: Tally, number: int, checks: int) -> Revocation:
    """Issue a token, warm it on both workers, revoke it under traffic, then send waves on new
    connections: every 0.1 s until 1 s after, then `checks` requests that must all be 401."""
    seen = Revocation()
    issued = await _issued_and_warm(roster, tally, number)
    if issued is None or not await _revoked_under_traffic(roster, tally, *issued):
        return seen
    token, at = issued[0], time.monotonic()
    while (sent := time.monotonic() - at) < 1.0:
        statuses = await _wave(roster, tally, token, 20)
        seen.accepted_after += statuses[200]
        if seen.refused_from is None and statuses == {401: 20}:
            seen.refused_from = sent
        await asyncio.sleep(min(0.1, max(0.0, at + 1.0 - time.monotonic())))
    for _ in range(max(2, checks // 20)):
        seen.checked += await _wave(roster, tally, token, 20)
    if seen.refused_from is None:
        seen.refused_from = 1.0 if set(seen.checked) == {401} else None
    if set(seen.checked) != {401}:
        tally.problems.append(f"revocation {number}: from 1 s after: {dict(seen.checked)}")
    return seen


async def revocation_across_workers(roster: Roster, rounds: int, checks: int) -> Outcome:
    """A SCIM token both workers trust (warmed over new connections), revoked through GraphQL
    under Okta's traffic: every request from 1 s after is 401."""
    tally = Tally()
    seen = [await _revoke_once(roster, tally, number, checks) for number in range(rounds)]
    first = "/".join("-" if r.refused_from is None else f"{r.refused_from:.2f}" for r in seen)
    trusted = "/".join(str(r.accepted_after) for r in seen)
    refused = sum(r.checked[401] for r in seen)
    checked = sum(sum(r.checked.values()) for r in seen)
    summary = (
        f"{rounds} revocations: first all-401 wave at {first} s, {trusted} requests still "
        f"trusted before; from 1 s {refused} of {checked} refused"
    )
    return tally.outcome("SCIM token revoked across 2 workers", summary)


# --- 5. concurrent writers ----------------------------------------------------------------


@dataclass
class Load:
    deadline: float
    budget: int  # requests left
    created: int = 0
    hot_patches: int = 0  # 200s on the user every writer patches

    def spend(self) -> bool:
        self.budget -= 1
        return self.budget >= 0 and time.monotonic() < self.deadline


async def _write_load(roster: Roster, tally: Tally, load: Load, hot: str, number: int) -> None:
    """Create a user, PATCH it, PATCH the shared user; again, while the load lasts."""
    for round_ in range(load.budget):
        if not load.spend():
            return
        created = await roster.create(tally, f"load{number}-{round_}@okta.local")
        if created.status == 201:
            load.created += 1
            if load.spend():
                path = f"/Users/{created.body['id']}"
                await roster.scim(tally, "PATCH", path, body=patch("title", f"t{round_}"))
        if load.spend():
            value = f"w{number}-{round_}"
            answer = await roster.scim(tally, "PATCH", hot, body=patch("title", value))
            load.hot_patches += answer.status == 200


async def concurrent_writers(
    roster: Roster, concurrency: int, seconds: float, most: int
) -> Outcome:
    """`concurrency` clients creating and PATCHing (one shared user among them) for `seconds`:
    no 5xx, no "database is locked", every created user there, every PATCH counted."""
    tally = Tally()
    hot = await roster.create(tally, "hot.user@okta.local")
    if hot.status != 201:
        return tally.outcome("concurrent writers", f"create answered {hot.status}")
    path = f"/Users/{hot.body['id']}"
    load = Load(time.monotonic() + seconds, most)
    await asyncio.gather(*(_write_load(roster, tally, load, path, n) for n in range(concurrency)))
    unexpected = {s: n for s, n in tally.statuses.items() if s not in (200, 201)}
    if unexpected:
        tally.problems.append(f"unexpected statuses {unexpected}")
    stored = await roster.scim(tally, "GET", path)
    lost = max(0, 1 + load.hot_patches - version_of(stored.etag))
    if version_of(stored.etag) != 1 + load.hot_patches:
        tally.problems.append(f"shared user at {stored.etag} after {load.hot_patches} PATCHes")
    params = {"filter": 'userName sw "load"', "count": "0"}
    found = (await roster.scim(tally, "GET", "/Users", params=params)).body.get("totalResults")
    if found != load.created:
        lost += max(0, load.created - int(found or 0))
        tally.problems.append(f"{found} users stored after {load.created} created")
    rate = tally.requests / seconds
    summary = (
        f"{concurrency} clients for {seconds:.0f} s: {load.created} created, "
        f"{load.hot_patches} PATCHes of one user, ~{rate:.0f} req/s"
    )
    if load.budget < 0:
        summary += " (request bound reached before the time was up)"
    return tally.outcome("concurrent writers, no 5xx, no lock", summary, lost)


# --- the module ---------------------------------------------------------------------------


async def _scenarios(stress: Stress, port: int, credentials: Credentials) -> list[Outcome]:
    writing = stress.scale(10, 2)  # seconds; the write loads end by time, their bounds never
    steps: list[Callable[[Roster], Awaitable[Outcome]]] = [
        lambda r: creates_of_one_user_name(r, stress.scale(5, 1), 50),
        lambda r: patches_of_one_version(r, stress.scale(5, 1), 50),
        lambda r: retrying_writers(r, 20, writing, request_bound(writing)),
        lambda r: scim_against_graphql(r, stress.scale(40, 6)),
        lambda r: concurrent_writers(r, 32, writing, request_bound(writing)),
        lambda r: revocation_across_workers(r, stress.scale(3, 1), stress.scale(200, 40)),
    ]
    outcomes = []
    async with connected(port, credentials) as roster:
        for step in steps:
            outcomes.append(await step(roster))
    return outcomes


def run(stress: Stress) -> list[Outcome]:
    """Every scenario against one `roster serve --workers 2` on a fresh database."""
    database = stress.fresh_database("concurrency")
    with stress.serve(database, workers=2) as server:
        return asyncio.run(_scenarios(stress, server.port, database.credentials))
