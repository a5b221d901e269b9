"""Okta's initial import into a new organization: for each user, the userName filter ("does
this user exist?") and then its POST, by `WORKERS` connections at once, as an identity
provider's provisioning pushes them. Measured on a fresh database that is never analyzed,
with autovacuum off (`seeding.autovacuum_off`), so that the database cannot make the last
users cheaper than they are by itself. Reports the whole import's time and the time of each
slice of users (a thousand by default): the last slice must not take much longer than the
first, or the import costs more than linear time."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import loadgen, seeding
from bench.scim import SCIM_TYPE, okta_body
from bench.servers import HOST, database_url, drop_database, roster_env, roster_serve, serving

WORKERS = 4
MAX_ERRORS = 10  # the first ones are kept; the rest only counted


@dataclass
class Import:
    users: int
    slice: int  # users per slice
    seconds: float = 0.0
    done: list[float] = field(default_factory=list)  # when each user was created, from the start
    errors: list[str] = field(default_factory=list)
    error_count: int = 0

    def slices(self) -> list[float]:
        """The seconds between the end of one slice of users and the end of the next."""
        ends = sorted(self.done)
        bounds = [0.0, *(ends[i - 1] for i in range(self.slice, len(ends) + 1, self.slice))]
        return [later - earlier for earlier, later in itertools.pairwise(bounds)]

    @property
    def last_vs_first(self) -> float:
        slices = self.slices()
        return slices[-1] / slices[0] if len(slices) > 1 and slices[0] else 0.0

    def error(self, text: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(text)

    def figures(self) -> dict[str, Any]:
        return {
            "users": self.users,
            "created": len(self.done),
            "workers": WORKERS,
            "seconds": round(self.seconds, 3),
            "users_per_second": round(len(self.done) / self.seconds, 1) if self.seconds else 0.0,
            "slice": self.slice,
            "slice_seconds": [round(seconds, 3) for seconds in self.slices()],
            "last_vs_first": round(self.last_vs_first, 3),
            "errors": self.errors,
            "error_count": self.error_count,
        }

    def lines(self) -> list[str]:
        slices = ", ".join(f"{seconds:.2f}" for seconds in self.slices())
        errors = f"{self.error_count}: {self.errors[0]}" if self.errors else "none"
        return [
            f"{'okta import':<28} {self.seconds:9.2f} s for {len(self.done)} users "
            f"({WORKERS} at once, filter then POST)  errors {errors}",
            f"{'':<28} s per {self.slice} users: {slices}",
        ]


async def push(port: int, token: str, users: int, slice_users: int) -> Import:
    """Filter then create `users` new users, each worker taking the next one."""
    found = Import(users, slice_users)
    host = f"{HOST}:{port}"
    headers = {"Accept": SCIM_TYPE, "Authorization": f"Bearer {token}"}
    json_headers = {**headers, "Content-Type": f"{SCIM_TYPE}; charset=utf-8"}
    numbers = iter(range(users))  # shared: each user is taken by one worker
    began = time.perf_counter()

    async def worker() -> None:
        async with loadgen.Connection(HOST, port) as connection:
            for index in numbers:
                name = f"import{index:06d}@bench.test"
                expression = urllib.parse.quote(f'userName eq "{name}"')
                path = f"/scim/v2/Users?filter={expression}&startIndex=1&count=100"
                lookup = loadgen.request("GET", path, host=host, headers=headers)
                status, body = await connection.send(lookup)
                if status != 200 or json.loads(body).get("totalResults") != 0:
                    found.error(f"filter for user {index} answered {status}: {body[:200]!r}")
                    continue
                create = loadgen.request(
                    "POST", "/scim/v2/Users", host=host, headers=json_headers, body=okta_body(name)
                )
                status, body = await connection.send(create)
                if status != 201:
                    found.error(f"POST of user {index} answered {status}: {body[:200]!r}")
                    continue
                found.done.append(time.perf_counter() - began)

    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    found.seconds = time.perf_counter() - began
    return found


def okta_import(kind: str, folder: Path, users: int, slice_users: int) -> dict[str, Any]:
    """Okta's import of `users` users into a new organization of a fresh database (dropped
    afterwards), served by `roster serve`."""
    url = database_url(kind, folder, "import")
    try:
        credentials = asyncio.run(seeding.prepare(url, admin=False))
        asyncio.run(seeding.autovacuum_off(url))
        env = roster_env(url, folder / "import-data")
        with serving(roster_serve(), env, "/readyz") as server:
            found = asyncio.run(push(server.port, credentials.scim_token, users, slice_users))
        for line in found.lines():
            print(line, flush=True)
        return found.figures()
    finally:
        asyncio.run(drop_database(url))
