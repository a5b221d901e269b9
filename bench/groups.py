"""The group-membership bench: a group as large as an organization, filled as Okta pushes it,
and read beside an empty group of the same organization.

One fresh database of its own, seeded in bulk with `--group-members` users
(`seeding.bulk_seed`), never analyzed and with autovacuum off (`seeding.autovacuum_off`), as
the scale bench's are; `roster serve` on it. Through SCIM, then:

- two groups are created, as Okta creates them (`members: []`): one stays empty, the other
  gets every user;
- fill: Okta's pushes of a large group, one PATCH after another on one connection, each
  adding the next `--group-patch` users (`{"op": "add", "path": "members", "value":
  [{"value": id, "display": userName}, ...]}`), each timed: the first and the last batch, the
  median and the max tell whether adding members costs more as the group grows;
- reads: `GET /Groups/{id}?excludedAttributes=members` and the `displayName eq` filter with
  `excludedAttributes=members`, driven by the load generator, on the empty group and the big
  one in turn, in `ROUNDS` interleaved rounds so that the machine's drift falls on both alike;
  the big group must be read about as fast as the empty one (its members are never read);
- one PATCH removing `--group-patch` members in Entra ID's form (`{"op": "Remove", "path":
  "members", "value": [{"value": id}, ...]}`), and one adding them back (`"op": "Add"`);
- last, the whole group read once with its members, which must be every user."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import loadgen, seeding
from bench.measure import Load, measure, record
from bench.scim import SCIM_TYPE
from bench.seeding import user_name
from bench.servers import (
    HOST,
    Server,
    database_url,
    drop_database,
    roster_env,
    roster_serve,
    serving,
)
from bench.targets import ratio

MEMBERS = 50_000
PATCH = 1_000  # members added by one PATCH, as Okta pushes a large group
SMOKE_MEMBERS, SMOKE_PATCH = 300, 100
ROUNDS = 5  # interleaved rounds of each read, on each group
# Each read on each group lasts this long over its rounds: the two throughputs are compared
# within 10%, and shorter rounds on two cores let one stall swing the ratio by more than that.
READ_SECONDS = 15.0
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
EMPTY, BIG = "Bench empty", "Bench everyone"
READS = ("get", "filter")
MAX_ERRORS = 10  # the first ones are kept; the rest only counted

Member = tuple[str, str]  # (id, userName)


class GroupRequests:
    """The bench's raw SCIM requests to one server, with the organization's token."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.host = f"{HOST}:{port}"
        self.headers = {"Accept": SCIM_TYPE, "Authorization": f"Bearer {token}"}
        self.json_headers = {**self.headers, "Content-Type": f"{SCIM_TYPE}; charset=utf-8"}

    def _scim(self, method: str, path: str, body: dict[str, Any] | None = None) -> bytes:
        sent = json.dumps(body).encode() if body is not None else b""
        headers = self.json_headers if sent else self.headers
        return loadgen.request(
            method, f"/scim/v2{path}", host=self.host, headers=headers, body=sent
        )

    def create(self, name: str) -> bytes:
        """Okta's POST of a new group, with no members yet."""
        return self._scim(
            "POST", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": name, "members": []}
        )

    def patch(self, group_id: str, operation: dict[str, Any]) -> bytes:
        body = {"schemas": [PATCH_SCHEMA], "Operations": [operation]}
        return self._scim("PATCH", f"/Groups/{group_id}", body)

    def get(self, group_id: str, *, members: bool = False) -> bytes:
        """The group; without its members unless `members`."""
        query = "" if members else "?excludedAttributes=members"
        return self._scim("GET", f"/Groups/{group_id}{query}")

    def filter(self, name: str) -> bytes:
        """The group found by its name, without its members."""
        expression = urllib.parse.quote(f'displayName eq "{name}"')
        return self._scim("GET", f"/Groups?filter={expression}&excludedAttributes=members")


def okta_add(members: list[Member]) -> dict[str, Any]:
    value = [{"value": user_id, "display": name} for user_id, name in members]
    return {"op": "add", "path": "members", "value": value}


def entra(op: str, members: list[Member]) -> dict[str, Any]:
    """Entra ID's operation on members (`Add` or `Remove`), naming each by its id only."""
    return {"op": op, "path": "members", "value": [{"value": user_id} for user_id, _ in members]}


@dataclass
class Membership:
    """What the bench measured and the errors it met."""

    members: int
    patch_size: int
    seed_seconds: float = 0.0
    patch_seconds: list[float] = field(default_factory=list)  # each fill PATCH, in order
    remove_seconds: float = 0.0
    add_back_seconds: float = 0.0
    read_all_seconds: float = 0.0  # the group read once with all its members
    members_read: int = 0
    reads: dict[str, Any] = field(default_factory=dict)  # "get_empty" ... -> figures
    errors: list[str] = field(default_factory=list)
    error_count: int = 0

    def error(self, text: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(text)

    def fill(self) -> dict[str, Any]:
        """The fill's PATCH times in ms: first, last, median, max, and each in order."""
        times = [seconds * 1000 for seconds in self.patch_seconds] or [0.0]
        return {
            "patches": len(self.patch_seconds),
            "seconds": round(sum(self.patch_seconds), 3),
            "first_ms": round(times[0], 2),
            "last_ms": round(times[-1], 2),
            "median_ms": round(statistics.median(times), 2),
            "max_ms": round(max(times), 2),
            "last_vs_first": round(times[-1] / times[0], 3) if times[0] else 0.0,
            "patch_ms": [round(seconds * 1000, 2) for seconds in self.patch_seconds],
        }

    def big_vs_empty(self) -> dict[str, float]:
        """Each read's throughput on the big group / on the empty one."""
        rate = {name: figures["requests_per_second"] for name, figures in self.reads.items()}
        return {
            read: round(ratio(rate[f"{read}_big"], rate[f"{read}_empty"]), 3)
            for read in READS
            if f"{read}_big" in rate
        }

    def figures(self) -> dict[str, Any]:
        return {
            "members": self.members,
            "patch_size": self.patch_size,
            "seed_seconds": round(self.seed_seconds, 2),
            "fill": self.fill(),
            "reads": self.reads,
            "rounds": ROUNDS,
            "big_vs_empty": self.big_vs_empty(),
            "remove_ms": round(self.remove_seconds * 1000, 2),
            "add_back_ms": round(self.add_back_seconds * 1000, 2),
            "read_all_ms": round(self.read_all_seconds * 1000, 2),
            "members_read": self.members_read,
            "errors": self.errors,
            "error_count": self.error_count,
        }

    def fill_lines(self) -> list[str]:
        fill = self.fill()
        return [
            f"{'groups fill':<28} {fill['seconds']:9.2f} s for {self.members} members, "
            f"{fill['patches']} PATCHes adding {self.patch_size} each",
            f"{'groups fill PATCH':<28} first {fill['first_ms']:.1f} ms, last "
            f"{fill['last_ms']:.1f} ms, median {fill['median_ms']:.1f} ms, max "
            f"{fill['max_ms']:.1f} ms (last / first {fill['last_vs_first']:.2f})",
        ]

    def ratio_lines(self) -> list[str]:
        return [
            f"{f'groups {read}: big / empty':<28} {ratio:9.2f}"
            for read, ratio in self.big_vs_empty().items()
        ]

    def change_lines(self) -> list[str]:
        """The remove, the add back, the whole read, and the errors."""
        size = self.patch_size
        errors = f"{self.error_count}: {self.errors[0]}" if self.errors else "none"
        return [
            f"{'groups remove (Entra)':<28} {self.remove_seconds * 1000:9.1f} ms for "
            f"{size} members",
            f"{'groups add back (Entra)':<28} {self.add_back_seconds * 1000:9.1f} ms for "
            f"{size} members",
            f"{'groups read with members':<28} {self.read_all_seconds * 1000:9.1f} ms for "
            f"{self.members_read} members",
            f"{'groups errors':<28} {errors}",
        ]


def _print(lines: list[str]) -> None:
    for line in lines:
        print(line, flush=True)


async def _timed(connection: loadgen.Connection, raw: bytes) -> tuple[float, int, bytes]:
    """The seconds the server took to answer `raw`, its status and its body."""
    began = time.perf_counter()
    status, body = await connection.send(raw)
    return time.perf_counter() - began, status, body


async def _patched(
    connection: loadgen.Connection, raw: bytes, what: str, found: Membership
) -> float:
    """The seconds a membership PATCH took; an error of the run unless it answered 204."""
    seconds, status, body = await _timed(connection, raw)
    if status != 204:
        found.error(f"{what} answered {status}: {body[:200]!r}")
    return seconds


async def create_groups(requests: GroupRequests) -> dict[str, str]:
    """The empty group and the big one, created empty: their ids by name (SystemExit if a
    create fails: nothing else can be measured)."""
    ids: dict[str, str] = {}
    async with loadgen.Connection(HOST, requests.port) as connection:
        for name in (EMPTY, BIG):
            status, body = await connection.send(requests.create(name))
            if status != 201:
                raise SystemExit(f"groups: creating {name!r} answered {status}: {body[:300]!r}")
            ids[name] = str(json.loads(body)["id"])
    return ids


async def fill(
    requests: GroupRequests, group_id: str, users: list[Member], found: Membership
) -> None:
    """Add every user to the group, `found.patch_size` a PATCH, timing each."""
    size = found.patch_size
    async with loadgen.Connection(HOST, requests.port) as connection:
        for first in range(0, len(users), size):
            raw = requests.patch(group_id, okta_add(users[first : first + size]))
            seconds = await _patched(connection, raw, f"adding members {first}+", found)
            found.patch_seconds.append(seconds)


async def check_reads(requests: GroupRequests, groups: dict[str, str]) -> None:
    """Each measured read, once: it finds its group, without members (SystemExit otherwise:
    the ratios would compare something else)."""
    async with loadgen.Connection(HOST, requests.port) as connection:
        for name, group_id in groups.items():
            status, body = await connection.send(requests.get(group_id))
            got = json.loads(body) if status == 200 else {}
            if got.get("id") != group_id or "members" in got:
                raise SystemExit(f"groups: GET of {name!r} answered {status}: {body[:300]!r}")
            status, body = await connection.send(requests.filter(name))
            listed = (json.loads(body) if status == 200 else {}).get("Resources") or [{}]
            if len(listed) != 1 or listed[0].get("id") != group_id or "members" in listed[0]:
                raise SystemExit(f"groups: filter of {name!r} answered {status}: {body[:300]!r}")


def _repeated(raw: bytes) -> loadgen.RequestFactory:
    """The same request every time."""
    return lambda n: raw


def measure_reads(
    server: Server, requests: GroupRequests, groups: dict[str, str], load: Load
) -> dict[str, Any]:
    """Each read on the empty group and on the big one, in interleaved rounds (the order
    alternating), merged into one figure each; a line printed for each."""
    raw = {
        (read, size): requests.get(groups[name]) if read == "get" else requests.filter(name)
        for read in READS
        for size, name in (("empty", EMPTY), ("big", BIG))
    }
    found: dict[str, Any] = {}
    for read in READS:
        merged = {size: loadgen.Result() for size in ("empty", "big")}
        rates: dict[str, list[float]] = {size: [] for size in merged}
        for turn in range(ROUNDS):
            for size in ("empty", "big") if turn % 2 == 0 else ("big", "empty"):
                result = measure(server.port, _repeated(raw[read, size]), load.scaled(1 / ROUNDS))
                rates[size].append(round(result.rate, 1))
                merged[size].merge(result)
        for size, result in merged.items():
            name = f"{read}_{size}"
            record(f"groups {read} {size}", result, server, found, name)
            found[name]["rounds_per_second"] = rates[size]
    return found


async def remove_and_add_back(
    requests: GroupRequests, group_id: str, users: list[Member], found: Membership
) -> None:
    """Remove a PATCH's worth of members from the middle of the group in Entra ID's form,
    then add them back, timing each; then read the whole group once with its members, which
    must be every user."""
    middle = len(users) // found.patch_size // 2 * found.patch_size
    batch = users[middle : middle + found.patch_size]
    async with loadgen.Connection(HOST, requests.port) as connection:
        removing = requests.patch(group_id, entra("Remove", batch))
        found.remove_seconds = await _patched(connection, removing, "Remove", found)
        adding = requests.patch(group_id, entra("Add", batch))
        found.add_back_seconds = await _patched(connection, adding, "Add back", found)
        seconds, status, body = await _timed(connection, requests.get(group_id, members=True))
    found.read_all_seconds = seconds
    found.members_read = len(json.loads(body).get("members", [])) if status == 200 else 0
    if found.members_read != len(users):
        found.error(f"the group read with {found.members_read} members of {len(users)}")


def _seed(url: str, members: int, batch: int, found: Membership) -> tuple[str, list[Member]]:
    """A fresh organization of `members` users in bulk: its SCIM token and its users."""
    credentials = asyncio.run(seeding.prepare(url, admin=False))
    asyncio.run(seeding.autovacuum_off(url))
    began = time.perf_counter()
    ids = asyncio.run(seeding.bulk_seed(url, credentials, members, batch, analyzed=False))
    found.seed_seconds = time.perf_counter() - began
    print(f"{f'groups seed {members}':<28} {found.seed_seconds:9.2f} s", flush=True)
    return credentials.scim_token, [(user_id, user_name(i)) for i, user_id in enumerate(ids)]


def group_membership(
    kind: str, folder: Path, members: int, patch: int, batch: int, load: Load
) -> dict[str, Any]:
    """The whole bench on a database of its own (dropped afterwards); its figures. The server
    stops without draining (nothing is in flight by then), which saves the smoke run 3 s."""
    url = database_url(kind, folder, "groups")
    found = Membership(members, patch)
    try:
        token, users = _seed(url, members, batch, found)
        env = {**roster_env(url, folder / "groups-data"), "ROSTER_DRAIN_SECONDS": "0"}
        with serving(roster_serve(), env, "/readyz") as server:
            requests = GroupRequests(server.port, token)
            groups = asyncio.run(create_groups(requests))
            asyncio.run(fill(requests, groups[BIG], users, found))
            _print(found.fill_lines())
            asyncio.run(check_reads(requests, groups))
            found.reads = measure_reads(server, requests, groups, load)
            _print(found.ratio_lines())
            asyncio.run(remove_and_add_back(requests, groups[BIG], users, found))
            _print(found.change_lines())
    finally:
        asyncio.run(drop_database(url))
    return found.figures()
