"""What the database holds against what the fault tests sent: every acknowledged create
there as sent, nothing refused stored all the same, nothing half written."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from domain.models import User, UserValue
from tests.stress import seeding
from tests.stress.wire import Client, Create, Requests


def prefix(run: str) -> str:
    """The userNames of one run's creates begin with this (`Create.numbered`)."""
    return f"fault-{run}-"


@dataclass(frozen=True)
class Stored:
    """A user's row and its indexed emails (user_values), as the database holds them."""

    user_id: str
    family_name: str | None
    external: str | None
    emails: tuple[str, ...]
    indexed: tuple[str, ...]

    def matches(self, create: Create) -> bool:
        return (
            self.family_name == create.family_name
            and self.external == create.external
            and self.emails == (create.name,)
            and self.indexed == (create.name,)
        )


async def stored_users(url: str, organization_id: int, run: str) -> dict[str, Stored]:
    """Every user the run created (its `prefix`), by userName, read straight from the tables
    (the server may be running: SQLite's WAL and PostgreSQL both allow it)."""
    async with seeding.opened(url):
        users = await User.filter(
            organization_id=organization_id, user_name__startswith=prefix(run)
        ).values("id", "user_name", "family_name", "external_id", "emails")
        rows = await UserValue.filter(
            user__organization_id=organization_id,
            user__user_name__startswith=prefix(run),
            attribute="emails",
        ).values("user_id", "value")
    indexed: dict[str, list[str]] = {}
    for row in rows:
        indexed.setdefault(str(row["user_id"]), []).append(row["value"])
    return {
        user["user_name"]: Stored(
            user_id=str(user["id"]),
            family_name=user["family_name"],
            external=user["external_id"],
            emails=tuple(item["value"] for item in user["emails"]),
            indexed=tuple(sorted(indexed.get(str(user["id"]), []))),
        )
        for user in users
    }


@dataclass
class Audit:
    """The database against what was sent."""

    acknowledged: int = 0
    lost: int = 0  # acknowledged, not stored
    partial: int = 0  # stored, not as sent (a row without its user_values, say)
    refused_but_stored: int = 0  # answered with an error, stored all the same
    unanswered: int = 0  # no answer, or a commit unconfirmed: either whole or absent
    unanswered_stored: int = 0
    strangers: int = 0  # stored, never sent

    @property
    def sound(self) -> bool:
        return not (self.lost or self.partial or self.refused_but_stored or self.strangers)

    def text(self) -> str:
        return (
            f"acked {self.acknowledged}, lost {self.lost}, partial {self.partial}, "
            f"refused-but-stored {self.refused_but_stored}, unanswered {self.unanswered} "
            f"(stored whole {self.unanswered_stored})"
        )


def audit_of(creates: Iterable[Create], stored: dict[str, Stored]) -> Audit:
    audit = Audit()
    seen = set()
    for create in creates:
        seen.add(create.name)
        found = stored.get(create.name)
        if found is not None and not found.matches(create):
            audit.partial += 1
        if create.acknowledged:
            audit.acknowledged += 1
            audit.lost += found is None or found.user_id != create.user_id()
        elif create.refused:
            audit.refused_but_stored += found is not None
        else:
            audit.unanswered += 1
            audit.unanswered_stored += found is not None
    audit.strangers = len(set(stored) - seen)
    return audit


def assert_database_holds_what_was_acknowledged(audit: Audit) -> None:
    assert audit.lost == 0, f"acknowledged creates missing: {audit.text()}"
    assert audit.partial == 0, f"creates stored, not as sent: {audit.text()}"
    assert audit.refused_but_stored == 0, f"refused creates stored: {audit.text()}"
    assert audit.strangers == 0, f"{audit.strangers} users stored that were never sent"


@dataclass(frozen=True, slots=True)
class ReadBack:
    """Through the API after a restart: acknowledged creates found as sent, users found but not
    as sent, and the requests it took."""

    found: int
    mismatched: int
    requests: int


async def read_back(port: int, scim_token: str, creates: list[Create]) -> ReadBack:
    """After the restart: each acknowledged create by SCIM GET of its id, each unacknowledged
    one by a userName filter."""
    requests = Requests(port, scim_token)
    queue = list(creates)
    found = mismatched = 0

    async def reader() -> None:
        nonlocal found, mismatched
        client = Client(port)
        try:
            while queue:
                create = queue.pop()
                user_id = create.user_id()
                if create.acknowledged and user_id:
                    answer = await client.send(requests.get(user_id))
                    resource = answer.json() if answer.status == 200 else None
                    found += create.matches_resource(resource)
                    mismatched += resource is not None and not create.matches_resource(resource)
                    continue
                answer = await client.send(requests.by_user_name(create.name))
                listed = answer.json() if answer.status == 200 else None
                resources = listed.get("Resources", []) if isinstance(listed, dict) else []
                mismatched += any(not create.matches_resource(r) for r in resources)
        finally:
            client.close()

    await asyncio.gather(*(reader() for _ in range(4)))
    return ReadBack(found, mismatched, len(creates))
