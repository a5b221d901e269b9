"""Races against `roster serve --workers 2`, as identity providers and admins make them: many
creates of one userName, PATCHes on one version (once, and read-patch-retry writers), a SCIM
PATCH against GraphQL's setUserRole, a SCIM token revoked while both workers trust it, and
concurrent writers. Each test checks what the database holds afterwards, not only the
statuses: an acknowledged write that is missing counts as a lost write."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from tests.processes import Server
from tests.stress.figures import Recorder
from tests.stress.harness import Stress, request_bound
from tests.stress.scim_client import (
    ENTERPRISE,
    GENERATE_TOKEN,
    REVOKE_TOKEN,
    SET_ROLE,
    Answer,
    Roster,
    Tally,
    assert_every_request_answered_without_error,
    attribute,
    connected,
    letter_cases,
    patch,
    version_of,
)
from tests.stress.seeding import Credentials

pytestmark = [pytest.mark.stress, pytest.mark.slow]

# What one read-patch-retry writer owns: an attribute no other writer touches.
OWNED_PATHS = (
    "name.givenName", "name.familyName", "name.middleName", "name.formatted",
    "name.honorificPrefix", "name.honorificSuffix", "displayName", "nickName", "title",
    "userType", "preferredLanguage", "locale", "timezone", "externalId", "userName",
    f"{ENTERPRISE}:employeeNumber", f"{ENTERPRISE}:costCenter", f"{ENTERPRISE}:organization",
    f"{ENTERPRISE}:division", f"{ENTERPRISE}:department",
)  # fmt: skip
CLIENTS = 50  # at once on one userName, or on one version
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Target:
    server: Server
    credentials: Credentials


@pytest.fixture(scope="module")
def two_workers(stress: Stress) -> Iterator[Target]:
    """One `roster serve --workers 2` on a fresh database, for every race of this module."""
    database = stress.fresh_database("concurrency")
    with stress.serve(database, workers=2) as server:
        yield Target(server, database.credentials)


def against(target: Target, scenario: Callable[[Roster], Awaitable[T]]) -> T:
    """Run `scenario` with clients connected to the target's server."""

    async def connected_scenario() -> T:
        async with connected(target.server.port, target.credentials) as roster:
            return await scenario(roster)

    return asyncio.run(connected_scenario())


def writing_seconds(stress: Stress) -> int:
    """How long the write loads last; they end by time, their request bounds never."""
    return stress.scale(10, 2)


# --- many creates of one userName ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateRace:
    name: str
    statuses: Counter[int]
    conflict_types: set[str]  # the scimType of each 409
    users_found: int  # afterwards, by a userName filter in another letter case


async def creates_of_one_user_name(roster: Roster, tally: Tally, rounds: int) -> list[CreateRace]:
    races = []
    for number in range(rounds):
        name = f"jane.race{number}@okta.local"
        cases = letter_cases(name)
        answers = await asyncio.gather(*(roster.create(tally, next(cases)) for _ in range(CLIENTS)))
        statuses = Counter(answer.status for answer in answers)
        kinds = {str(answer.body.get("scimType")) for answer in answers if answer.status == 409}
        found = await roster.users_named(tally, name.upper())
        races.append(CreateRace(name, statuses, kinds, found))
    return races


def test_concurrent_creates_of_one_user_name_make_one_user(
    two_workers: Target, stress: Stress, figures: Recorder
) -> None:
    """50 POSTs of one userName in mixed case at once: one 201, the rest 409 uniqueness, and
    one user afterwards."""
    rounds = stress.scale(5, 1)
    tally = Tally()
    races = against(two_workers, lambda roster: creates_of_one_user_name(roster, tally, rounds))
    figures(
        "concurrent creates of one userName",
        requests=tally.requests,
        statuses=tally.statuses,
        detail=f"{rounds} rounds of {CLIENTS}: 1 created, {CLIENTS - 1} uniqueness, 1 user each",
    )

    for number, race in enumerate(races):
        assert race.statuses == {201: 1, 409: CLIENTS - 1}, f"round {number}: statuses"
        assert race.conflict_types <= {"uniqueness"}, f"round {number}: 409 scimTypes"
        assert race.users_found == 1, f"round {number}: users named {race.name}"
    assert_every_request_answered_without_error(tally)


# --- PATCHes on one version ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PatchRace:
    created: int  # the create's status
    statuses: Counter[int]
    won: list[str]  # the titles the 200s were sent with
    shown: list[tuple[Any, int]]  # the title and version each 200 answered with
    stored: tuple[int, list[Any]]  # the version and [title] stored afterwards

    @property
    def lost_writes(self) -> int:
        """Acknowledged titles that are not the stored one (one 200: none)."""
        if self.created != 201 or self.stored == (2, self.won):
            return 0
        return max(1, len(self.won) - 1)


async def patches_of_one_version(roster: Roster, tally: Tally, rounds: int) -> list[PatchRace]:
    races = []
    for number in range(rounds):
        created = await roster.create(tally, f"patch.race{number}@okta.local")
        if created.status != 201:
            races.append(PatchRace(created.status, Counter(), [], [], (-1, [])))
            continue
        path = f"/Users/{created.body['id']}"
        answers = await asyncio.gather(
            *(
                roster.scim(tally, "PATCH", path, body=patch("title", f"t{i}"), if_match='W/"1"')
                for i in range(CLIENTS)
            )
        )
        won = [f"t{i}" for i, answer in enumerate(answers) if answer.status == 200]
        shown = [(a.body.get("title"), version_of(a.etag)) for a in answers if a.status == 200]
        stored = await roster.scim(tally, "GET", path)
        statuses = Counter(answer.status for answer in answers)
        versioned = (version_of(stored.etag), [stored.body.get("title")])
        races.append(PatchRace(created.status, statuses, won, shown, versioned))
    return races


def test_if_match_patches_of_one_version_let_exactly_one_win(
    two_workers: Target, stress: Stress, figures: Recorder
) -> None:
    """50 PATCHes with If-Match W/"1" at once: one 200 that shows its own value, the others
    412, and the user one version on with the winner's value."""
    rounds = stress.scale(5, 1)
    tally = Tally()
    races = against(two_workers, lambda roster: patches_of_one_version(roster, tally, rounds))
    figures(
        "If-Match PATCHes of one version",
        requests=tally.requests,
        statuses=tally.statuses,
        lost_writes=sum(race.lost_writes for race in races),
        detail=f"{rounds} rounds of {CLIENTS}: 1 won (v2, its value), {CLIENTS - 1} got 412",
    )

    for number, race in enumerate(races):
        assert race.created == 201, f"round {number}: the create answered {race.created}"
        assert race.statuses == {200: 1, 412: CLIENTS - 1}, f"round {number}: statuses"
        assert race.shown == [(title, 2) for title in race.won], f"round {number}: the 200s"
        assert race.stored == (2, race.won), f"round {number}: stored, against acknowledged"
    assert_every_request_answered_without_error(tally)


# --- read, PATCH with If-Match, retry on 412 -----------------------------------------------


@dataclass
class Writer:
    """A read-patch-retry client that owns one attribute of the user."""

    path: str
    number: int
    acknowledged: str | None = None  # the last value the server answered 200 to
    versions: list[int] = field(default_factory=list)  # the versions its 200s created
    conflicts: int = 0
    failure: str | None = None  # what stopped it before its time was up

    def value(self) -> str:
        value = f"w{self.number}-{len(self.versions)}"
        return f"{value}@retry.test" if self.path == "userName" else value


async def write_until(
    roster: Roster, tally: Tally, path: str, writer: Writer, deadline: float, attempts: int
) -> None:
    for _ in range(attempts):
        if time.monotonic() >= deadline:
            return
        read = await roster.scim(tally, "GET", path)
        if read.status != 200 or read.etag is None:
            writer.failure = f"{writer.path}: GET answered {read.status}, ETag {read.etag}"
            return
        value = writer.value()
        answer = await roster.scim(
            tally, "PATCH", path, body=patch(writer.path, value), if_match=read.etag
        )
        if answer.status == 412:
            writer.conflicts += 1
        elif answer.status != 200:
            writer.failure = f"{writer.path}: PATCH answered {answer.status}"
        elif attribute(answer.body, writer.path) != value:
            writer.failure = f"{writer.path}: a 200 without its value {value!r}"
        elif version_of(answer.etag) != version_of(read.etag) + 1:
            writer.failure = f"{writer.path}: {read.etag} PATCHed to {answer.etag}"
        else:
            writer.acknowledged = value
            writer.versions.append(version_of(answer.etag))
        if writer.failure:
            return


@dataclass(frozen=True, slots=True)
class Retried:
    created: int
    team: list[Writer]
    stored: Answer | None


async def retrying_writers(
    roster: Roster, tally: Tally, writers: int, seconds: float, attempts: int
) -> Retried:
    created = await roster.create(tally, "retry.writers@okta.local")
    if created.status != 201:
        return Retried(created.status, [], None)
    path = f"/Users/{created.body['id']}"
    team = [Writer(OWNED_PATHS[i], i) for i in range(min(writers, len(OWNED_PATHS)))]
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(write_until(roster, tally, path, w, deadline, attempts) for w in team))
    return Retried(created.status, team, await roster.scim(tally, "GET", path))


def test_writers_retrying_on_412_lose_no_update(
    two_workers: Target, stress: Stress, figures: Recorder
) -> None:
    """20 clients, each reading the user and PATCHing its own attribute with If-Match, again on
    412, for a while: every acknowledged value is there at the end, and the version counts the
    200s exactly."""
    writers, seconds = 20, writing_seconds(stress)
    attempts = request_bound(seconds)
    tally = Tally()
    run = against(
        two_workers, lambda roster: retrying_writers(roster, tally, writers, seconds, attempts)
    )
    successes = [version for writer in run.team for version in writer.versions]
    missing = [
        writer.path
        for writer in run.team
        if writer.acknowledged is not None
        and (run.stored is None or attribute(run.stored.body, writer.path) != writer.acknowledged)
    ]
    duplicates = len(successes) - len(set(successes))  # two 200s that made one version
    conflicts = sum(writer.conflicts for writer in run.team)
    summary = (
        f"{writers} writers for {seconds:.0f} s: {len(successes)} written, {conflicts} retried "
        f"after 412, version 1 + {len(successes)}"
    )
    if any(len(writer.versions) + writer.conflicts >= attempts for writer in run.team):
        summary += " (request bound reached before the time was up)"
    figures(
        "PATCH with retry on 412, no lost write",
        requests=tally.requests,
        statuses=tally.statuses,
        lost_writes=duplicates + len(missing),
        detail=summary,
    )

    assert run.created == 201, f"the create answered {run.created}"
    assert run.stored is not None
    assert [writer.failure for writer in run.team if writer.failure] == []
    assert duplicates == 0, "two 200s made one version"
    assert missing == [], "acknowledged values missing from the stored user"
    assert version_of(run.stored.etag) == 1 + len(successes), "the version, after the 200s"
    assert_every_request_answered_without_error(tally)


# --- the identity provider against an admin ------------------------------------------------


@dataclass(frozen=True, slots=True)
class DoorRace:
    """One user's SCIM PATCH (If-Match W/"1") against setUserRole(expectedVersion: 1). Even
    users: SCIM changes the title; odd users: both change the role."""

    number: int
    created: int
    scim: int = 0  # the PATCH's status
    graphql: str = ""  # the mutation result's __typename
    stored: tuple[Any, Any, Any] = (None, None, None)  # title, permissionsRole, version

    @property
    def outcome(self) -> tuple[int, str]:
        return self.scim, self.graphql

    @property
    def winner_wrote(self) -> tuple[Any, Any, Any]:
        if self.scim == 200:
            wanted = ("CFO", None) if self.number % 2 == 0 else (None, "limited-user")
        else:
            wanted = (None, "admin")
        return (*wanted, 'W/"2"')

    @property
    def lost_writes(self) -> int:
        if self.outcome not in ONE_WINNER:
            return int(self.outcome == (200, "UserPayload"))  # both won: one was overwritten
        return int(self.stored != self.winner_wrote)


ONE_WINNER = {(200, "VersionConflictError"), (412, "UserPayload")}


async def _after(seconds: float, request: Awaitable[Answer]) -> Answer:
    await asyncio.sleep(seconds)
    return await request


async def race_doors(roster: Roster, tally: Tally, number: int) -> DoorRace:
    created = await roster.create(tally, f"door.race{number}@okta.local")
    if created.status != 201:
        return DoorRace(number, created.status)
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
    race = DoorRace(number, created.status, scim.status, str(admin["__typename"]))
    if race.outcome not in ONE_WINNER:
        return race
    stored = (await roster.scim(tally, "GET", f"/Users/{user_id}")).body
    seen = (
        stored.get("title"),
        stored.get("permissionsRole"),
        stored.get("meta", {}).get("version"),
    )
    return DoorRace(number, created.status, scim.status, race.graphql, seen)


async def scim_against_graphql(roster: Roster, tally: Tally, users: int) -> list[DoorRace]:
    return [await race_doors(roster, tally, number) for number in range(users)]


def test_scim_patch_against_graphql_set_user_role_has_one_winner(
    two_workers: Target, stress: Stress, figures: Recorder
) -> None:
    """A SCIM PATCH and GraphQL's setUserRole on one version, user after user: each time one
    wins, the other is told (412 / VersionConflictError), the stored user is the winner's."""
    users = stress.scale(40, 6)
    tally = Tally()
    races = against(two_workers, lambda roster: scim_against_graphql(roster, tally, users))
    graphql_won = tally.statuses[412]  # only the SCIM PATCH answers 412
    figures(
        "SCIM PATCH vs GraphQL setUserRole",
        requests=tally.requests,
        statuses=tally.statuses,
        lost_writes=sum(race.lost_writes for race in races),
        detail=f"{users} races: one winner each (GraphQL {graphql_won}, "
        f"SCIM {users - graphql_won})",
    )

    for race in races:
        assert race.created == 201, f"user {race.number}: the create answered {race.created}"
        assert race.outcome in ONE_WINNER, f"user {race.number}: SCIM, GraphQL"
        assert race.stored == race.winner_wrote, f"user {race.number}: stored, against won"
    assert_every_request_answered_without_error(tally)


# --- concurrent writers --------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class Written:
    hot: int  # the shared user's create status
    load: Load
    statuses: Counter[int]  # of the load's requests
    shared_version: int  # of the shared user afterwards
    stored: Any  # users found afterwards that the load created (totalResults)


async def concurrent_writers(
    roster: Roster, tally: Tally, concurrency: int, seconds: float, most: int
) -> Written:
    hot = await roster.create(tally, "hot.user@okta.local")
    load = Load(time.monotonic() + seconds, most)
    if hot.status != 201:
        return Written(hot.status, load, Counter(tally.statuses), -1, None)
    path = f"/Users/{hot.body['id']}"
    await asyncio.gather(*(_write_load(roster, tally, load, path, n) for n in range(concurrency)))
    statuses = Counter(tally.statuses)
    stored = await roster.scim(tally, "GET", path)
    params = {"filter": 'userName sw "load"', "count": "0"}
    found = (await roster.scim(tally, "GET", "/Users", params=params)).body.get("totalResults")
    return Written(hot.status, load, statuses, version_of(stored.etag), found)


def test_concurrent_writers_get_no_5xx_no_lock_and_lose_nothing(
    two_workers: Target, stress: Stress, figures: Recorder
) -> None:
    """32 clients creating and PATCHing (one shared user among them) for a while: no 5xx, no
    "database is locked", every created user there, every PATCH counted."""
    concurrency, seconds = 32, writing_seconds(stress)
    tally = Tally()
    run = against(
        two_workers,
        lambda roster: concurrent_writers(
            roster, tally, concurrency, seconds, request_bound(seconds)
        ),
    )
    load = run.load
    lost = max(0, 1 + load.hot_patches - run.shared_version)
    if run.stored != load.created:
        lost += max(0, load.created - int(run.stored or 0))
    rate = tally.requests / seconds
    summary = (
        f"{concurrency} clients for {seconds:.0f} s: {load.created} created, "
        f"{load.hot_patches} PATCHes of one user, ~{rate:.0f} req/s"
    )
    if load.budget < 0:
        summary += " (request bound reached before the time was up)"
    figures(
        "concurrent writers, no 5xx, no lock",
        requests=tally.requests,
        statuses=tally.statuses,
        lost_writes=lost,
        detail=summary,
    )

    assert run.hot == 201, f"the shared user's create answered {run.hot}"
    unexpected = {s: n for s, n in run.statuses.items() if s not in (200, 201)}
    assert unexpected == {}, "statuses other than 200 and 201"
    assert run.shared_version == 1 + load.hot_patches, "the shared user's version"
    assert run.stored == load.created, "users stored, against created"
    assert_every_request_answered_without_error(tally)


# --- a token revoked while both workers trust it -------------------------------------------


async def wave(roster: Roster, tally: Tally, token: str, size: int) -> Counter[int]:
    """`size` SCIM requests at once, each on a new connection; their statuses."""
    answers = await asyncio.gather(
        *(
            roster.scim(tally, "GET", "/Users", params={"count": "1"}, token=token, fresh=True)
            for _ in range(size)
        )
    )
    return Counter(answer.status for answer in answers)


@dataclass
class Revocation:
    """What one revocation looked like from Okta's side, timed from the revoke's answer."""

    issued: str = ""  # generateScimToken's __typename
    token: str = ""
    warming: list[Counter[int]] = field(default_factory=list)  # the waves before the revoke
    during: list[Counter[int]] = field(default_factory=list)  # the waves while it is made
    revoked: str = ""  # revokeScimToken's __typename
    refused_from: float | None = None  # when the first wave that was all 401 was sent
    accepted_after: int = 0  # requests answered 200 after the revoke's answer (a cache's)
    checked: Counter[int] = field(default_factory=Counter)  # the waves from 1 s on


async def _keep_using(roster: Roster, tally: Tally, seen: Revocation, stop: asyncio.Event) -> None:
    """Okta's traffic while the admin revokes: waves until `stop`."""
    while not stop.is_set():
        seen.during.append(await wave(roster, tally, seen.token, 10))


async def revoke_once(roster: Roster, tally: Tally, number: int, checks: int) -> Revocation:
    """Issue a token, use it over new connections until both workers trust it, revoke it
    under traffic, then send waves on new connections: every 0.1 s until 1 s after, then
    `checks` requests."""
    seen = Revocation()
    issued = await roster.graphql(tally, GENERATE_TOKEN, {"name": f"revoked {number}"})
    seen.issued = str(issued["__typename"])
    if seen.issued != "GenerateScimTokenPayload":
        return seen
    seen.token = str(issued["token"])
    for _ in range(4):
        seen.warming.append(await wave(roster, tally, seen.token, 20))
    stop = asyncio.Event()
    traffic = asyncio.create_task(_keep_using(roster, tally, seen, stop))
    await asyncio.sleep(0.05)
    revoked = await roster.graphql(tally, REVOKE_TOKEN, {"id": str(issued["scimToken"]["id"])})
    stop.set()
    await traffic
    seen.revoked = str(revoked["__typename"])
    if seen.revoked != "RevokeScimTokenPayload":
        return seen
    at = time.monotonic()
    while (sent := time.monotonic() - at) < 1.0:
        statuses = await wave(roster, tally, seen.token, 20)
        seen.accepted_after += statuses[200]
        if seen.refused_from is None and statuses == {401: 20}:
            seen.refused_from = sent
        await asyncio.sleep(min(0.1, max(0.0, at + 1.0 - time.monotonic())))
    for _ in range(max(2, checks // 20)):
        seen.checked += await wave(roster, tally, seen.token, 20)
    if seen.refused_from is None:
        seen.refused_from = 1.0 if set(seen.checked) == {401} else None
    return seen


async def revocations(roster: Roster, tally: Tally, rounds: int, checks: int) -> list[Revocation]:
    return [await revoke_once(roster, tally, number, checks) for number in range(rounds)]


def test_a_scim_token_revoked_is_refused_by_both_workers_within_a_second(
    two_workers: Target, stress: Stress, figures: Recorder
) -> None:
    """A SCIM token both workers trust (warmed over new connections), revoked through GraphQL
    under Okta's traffic: every request from 1 s after is 401."""
    rounds, checks = stress.scale(3, 1), stress.scale(200, 40)
    tally = Tally()
    seen = against(two_workers, lambda roster: revocations(roster, tally, rounds, checks))
    for revocation in seen:
        if revocation.token:
            stress.secret(revocation.token)
    first = "/".join("-" if r.refused_from is None else f"{r.refused_from:.2f}" for r in seen)
    trusted = "/".join(str(r.accepted_after) for r in seen)
    refused = sum(r.checked[401] for r in seen)
    checked = sum(sum(r.checked.values()) for r in seen)
    figures(
        "SCIM token revoked across 2 workers",
        requests=tally.requests,
        statuses=tally.statuses,
        detail=f"{rounds} revocations: first all-401 wave at {first} s, {trusted} requests "
        f"still trusted before; from 1 s {refused} of {checked} refused",
    )

    for number, revocation in enumerate(seen):
        assert revocation.issued == "GenerateScimTokenPayload", f"revocation {number}"
        assert revocation.warming == [{200: 20}] * 4, f"revocation {number}: warming the token"
        assert all(set(statuses) <= {200, 401} for statuses in revocation.during), (
            f"revocation {number}: during the revocation {revocation.during}"
        )
        assert revocation.revoked == "RevokeScimTokenPayload", f"revocation {number}"
        assert set(revocation.checked) == {401}, f"revocation {number}: from 1 s after"
    assert_every_request_answered_without_error(tally)
