"""What the stress tests share: the run's settings (the suite's database, quick or full), fresh
databases with an organization and its tokens, and `roster serve` on them, every server's log
searched for the run's tokens once it has stopped."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.processes import Server, drop_postgres_database, serving
from tests.stress import seeding
from tests.stress.seeding import Credentials

RANDOM_PART = 43  # a token's characters after its lookup prefix (domain.credentials)
# More requests a second than any machine sends to one `roster serve` (its fastest answer, a
# 429, costs ~0.2 ms of CPU). Loads end by time; a bound of this rate times their seconds only
# stops a loop that went wild, and reaching it is reported, never a verdict.
CEILING_PER_SECOND = 20_000


def request_bound(seconds: float) -> int:
    """The most requests a load lasting `seconds` may send: a safety net that no machine,
    however fast, reaches before the load's time is up."""
    return int(CEILING_PER_SECOND * max(1.0, seconds))


@dataclass(frozen=True, slots=True)
class Database:
    """A fresh, migrated database with the stress organization, its SCIM token and an admin's
    API token; `env` is the environment `roster serve` runs in against it."""

    url: str
    env: dict[str, str]
    credentials: Credentials


@dataclass
class Sweep:
    """What the secrets sweep searched: the logs of `servers` servers, `lines` lines in all,
    for `tokens` tokens; `leaks`, the beginnings of those it found."""

    servers: int = 0
    lines: int = 0
    tokens: int = 0
    leaks: list[str] = field(default_factory=list)


@dataclass
class Stress:
    postgres: str | None  # the suite's PostgreSQL server, or None: SQLite files
    quick: bool  # the version `make test` runs: fewer requests, shorter phases
    folder: Path  # scratch space of the run
    sweep: Sweep = field(default_factory=Sweep)
    _urls: list[str] = field(default_factory=list)
    _secrets: set[str] = field(default_factory=set)

    @property
    def database(self) -> str:
        return "postgres" if self.postgres else "sqlite"

    def scale(self, full: int, quick: int) -> int:
        """A count for this run: `full` in `make stress`, `quick` in `make test`."""
        return quick if self.quick else full

    def fresh_database(self, name: str) -> Database:
        if self.postgres:
            url = f"{self.postgres}/roster_stress_{name}_{uuid.uuid4().hex[:10]}"
        else:
            url = f"sqlite://{self.folder / f'{name}.sqlite3'}"
        self._urls.append(url)
        credentials = asyncio.run(seeding.prepare(url))
        self.secret(credentials.scim_token)
        self.secret(credentials.api_token)
        return Database(url, self.environment(url, self.folder / f"{name}-data"), credentials)

    def environment(self, url: str, data_dir: Path) -> dict[str, str]:
        """The environment `roster serve` runs in: this one, without ROSTER_* but for the
        database's. Rate limiting is off but where a test turns it on."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTER_")}
        env.update({"ROSTER_DATABASE_URL": url, "ROSTER_DATA_DIR": str(data_dir)})
        env.update({"ROSTER_SCIM_RATE_LIMIT": "off", "ROSTER_GRAPHQL_RATE_LIMIT": "off"})
        return env

    def second_scim_token(self, database: Database, name: str = "second") -> str:
        """Another SCIM token of the database's organization."""
        issued = seeding.issue_scim_token(database.url, database.credentials, name)
        return self.secret(asyncio.run(issued))

    @contextmanager
    def serve(self, database: Database, *, workers: int = 1) -> Iterator[Server]:
        """`roster serve` on `database`, ready, stopped by SIGTERM; then no token the run has
        used may appear in what it logged."""
        log = self.folder / f"server-{self.sweep.servers + 1}.log"
        self.sweep.servers += 1
        with serving(database.env, workers=workers, log=log) as server:
            yield server
        self.assert_no_token_in(server)

    def secret(self, token: str) -> str:
        """Note a token the run uses, for the secrets sweep; returns it."""
        self._secrets.add(token)
        return token

    def assert_no_token_in(self, server: Server) -> None:
        """No token the run used appears in what `server` logged (nor its random part without
        the lookup prefix that lists show)."""
        text = server.stderr
        lines = text.count("\n")
        needles = {part for token in self._secrets for part in (token, token[-RANDOM_PART:])}
        leaks = sorted({needle[:12] + "..." for needle in needles if needle in text})
        self.sweep.lines += lines
        self.sweep.tokens = len(self._secrets)
        self.sweep.leaks += leaks
        assert lines > 0, f"the server on port {server.port} logged nothing to search"
        assert leaks == [], f"tokens in the log of the server on port {server.port}: {leaks}"

    def drop_databases(self) -> None:
        for url in self._urls:
            if url.startswith("postgres"):
                asyncio.run(drop_postgres_database(url))
        self._urls.clear()
