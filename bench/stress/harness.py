"""What the scenarios share: the run's settings (database kind, quick or full), fresh databases
with an organization and its tokens, and `roster serve` on a free 127.0.0.1 port."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import seeding
from bench.seeding import Credentials
from bench.servers import Server, database_url, drop_database, roster_env, roster_serve, serving
from bench.stress.outcome import Outcome
from domain import bus
from domain.actors import Actor
from domain.commands import IssueScimToken

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
    """A fresh, migrated database with the bench organization, its SCIM token and an admin's
    API token; `env` is the environment `roster serve` runs in against it."""

    url: str
    env: dict[str, str]
    credentials: Credentials


@dataclass
class Stress:
    database: str  # "sqlite" or "postgres"
    quick: bool  # the CI version: fewer requests, shorter phases
    folder: Path  # scratch space of the run, removed afterwards
    _urls: list[str] = field(default_factory=list)
    _logs: list[Path] = field(default_factory=list)
    _log_of: dict[int, Path] = field(default_factory=dict)  # by the server's port
    _secrets: set[str] = field(default_factory=set)

    def scale(self, full: int, quick: int) -> int:
        """A count for this run: `full` in the stress suite, `quick` in CI."""
        return quick if self.quick else full

    def fresh_database(self, name: str) -> Database:
        url = database_url(self.database, self.folder, name)
        self._urls.append(url)
        credentials = asyncio.run(seeding.prepare(url, admin=True))
        self.secret(credentials.scim_token)
        if credentials.api_token:
            self.secret(credentials.api_token)
        return Database(url, roster_env(url, self.folder / f"{name}-data"), credentials)

    def second_scim_token(self, database: Database, name: str = "second") -> str:
        """Another SCIM token of the database's organization."""
        return self.secret(asyncio.run(_issue_scim_token(database, name)))

    @contextmanager
    def serve(self, database: Database, *, workers: int = 1) -> Iterator[Server]:
        """`roster serve` on `database`, ready (its /readyz answered), stopped by SIGTERM; what
        it logs is kept for the secrets sweep."""
        log_path = self.folder / f"server-{len(self._logs) + 1}.log"
        self._logs.append(log_path)
        with serving(
            roster_serve(), database.env, "/readyz", workers=workers, log_path=log_path
        ) as server:
            self._log_of[server.port] = log_path
            yield server

    def log(self, server: Server) -> Path:
        """Where `server` (one `serve` gave) writes its stderr: uvicorn's lines and the
        request log's JSON lines."""
        return self._log_of[server.port]

    def secret(self, token: str) -> str:
        """Note a token a scenario used, for the secrets sweep; returns it."""
        self._secrets.add(token)
        return token

    def secrets_sweep(self) -> Outcome:
        """No token the run used appears in anything the servers logged (nor its random part
        without the lookup prefix that lists show)."""
        texts = [path.read_text(errors="replace") for path in self._logs if path.exists()]
        lines = sum(text.count("\n") for text in texts)
        needles = {part for token in self._secrets for part in (token, token[-RANDOM_PART:])}
        leaks = sorted({needle[:12] + "..." for needle in needles for t in texts if needle in t})
        detail = (
            f"{lines} log lines of {len(texts)} servers searched for {len(self._secrets)} "
            f"tokens" + (f"; found {leaks}" if leaks else "")
        )
        return Outcome("secrets: none in the server logs", not leaks and lines > 0, detail=detail)

    def drop_databases(self) -> None:
        for url in self._urls:
            asyncio.run(drop_database(url))
        self._urls.clear()


async def _issue_scim_token(database: Database, name: str) -> str:
    async with seeding.opened(database.url):
        operator = Actor.operator(database.credentials.organization_id)
        issued = await bus.handle(IssueScimToken(name=name), operator)
        return issued.secret
