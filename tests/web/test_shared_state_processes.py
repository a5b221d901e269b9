"""Two `roster serve` processes on one database and one Redis behave as one: a SCIM token gets
its limit once (not once per process), a walk continues on whichever process serves the next
page, and a revoked token is refused by both within a second."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.processes import ROSTER, drop_postgres_database, ok, serving, user_environment
from tests.scim.conftest import okta_user

pytestmark = [pytest.mark.slow, pytest.mark.served]

# The minute's budget decides within the drive (a one-second window would make the count
# depend on how many windows began before the drive ended, which a loaded machine shifts).
PER_MINUTE = 60
LIMIT = f"100/second;{PER_MINUTE}/minute"
DRIVE_SECONDS = 3.0
CLIENTS_PER_SERVER = 6


@pytest.fixture
def deployment(tmp_path: Path, redis_url: str, redis_prefix: str) -> Iterator[dict[str, str]]:
    """A migrated database with the organization `acme`, and the environment of the processes
    serving it: one Redis, one key prefix."""
    environment, postgres_url = user_environment(tmp_path, "shared")
    environment.update(
        {
            "ROSTER_REDIS_URL": redis_url,
            "ROSTER_REDIS_PREFIX": redis_prefix,
            "ROSTER_SECRET_KEY": "s" * 48,
        }
    )
    ok(environment, "migrate")
    ok(environment, "org", "create", "acme", "--name", "Acme Corp")
    yield environment
    if postgres_url:
        asyncio.run(drop_postgres_database(postgres_url))


@contextmanager
def two_servers(environment: dict[str, str], **settings: str) -> Iterator[list[str]]:
    """Two `roster serve` processes (two hosts behind a balancer); their base URLs."""
    env = {**environment, **settings}
    with serving(env) as first, serving(env) as second:
        yield [f"{first.url}/scim/v2", f"{second.url}/scim/v2"]


def scim_token(environment: dict[str, str]) -> str:
    return ok(environment, "token", "create", "--org", "acme", "--name", "Okta").strip()


async def drive(bases: list[str], token: str, seconds: float) -> dict[int, int]:
    """Statuses of as many requests as the clients manage in `seconds`, spread evenly over
    the servers."""
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient() as http:  # a stranger's first request (it spends nothing)
        for base in bases:  # warms each process up
            await http.get(f"{base}/Users", headers={"Authorization": "Bearer rst_scim_x"})
    deadline = time.monotonic() + seconds

    async def client(base: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as http:
            while time.monotonic() < deadline:
                status = (await http.get("/Users?count=1")).status_code
                statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(*(client(base) for base in bases for _ in range(CLIENTS_PER_SERVER)))
    return statuses


def test_a_scim_token_gets_its_limit_once_across_two_processes(deployment):
    token = scim_token(deployment)
    with two_servers(deployment, ROSTER_SCIM_RATE_LIMIT=LIMIT) as bases:
        statuses = asyncio.run(drive(bases, token, DRIVE_SECONDS))

    passed = sum(count for status, count in statuses.items() if 200 <= status < 300)
    print(
        f"\ntwo processes sharing Redis, {LIMIT} for {DRIVE_SECONDS} s: {passed} requests "
        f"passed (the limit allows {PER_MINUTE}; each process alone would let "
        f"{2 * PER_MINUTE} through); statuses {dict(sorted(statuses.items()))}"
    )
    assert set(statuses) <= {200, 429}
    assert statuses.get(429, 0) > 0
    assert abs(passed - PER_MINUTE) <= PER_MINUTE * 0.10


def test_a_walk_continues_on_the_other_process(deployment):
    """Behind a balancer without stickiness: a page served by the other process continues the
    walk by keyset, so a user deleted behind the walk does not make it skip one (as OFFSET
    would)."""
    token = scim_token(deployment)
    headers = {"Authorization": f"Bearer {token}"}
    with two_servers(deployment, ROSTER_SCIM_RATE_LIMIT="off") as (first, second):
        ids = [
            httpx.post(
                f"{first}/Users", json=okta_user(f"u{n}@okta.local"), headers=headers
            ).json()["id"]
            for n in range(9)
        ]
        pages = [httpx.get(f"{first}/Users?startIndex=1&count=3", headers=headers).json()]
        assert httpx.delete(f"{first}/Users/{ids[0]}", headers=headers).status_code == 204
        pages.append(httpx.get(f"{second}/Users?startIndex=4&count=3", headers=headers).json())
        pages.append(httpx.get(f"{first}/Users?startIndex=7&count=3", headers=headers).json())

    assert [user["id"] for page in pages for user in page["Resources"]] == ids


def test_a_revoked_token_is_refused_by_every_process_within_a_second(deployment):
    token = scim_token(deployment)
    prefix = token[: len("rst_scim_") + 12]
    with two_servers(deployment, ROSTER_SCIM_RATE_LIMIT="off") as bases:
        launched_at: list[float] = []
        revoked_at: list[float] = []
        seen: list[tuple[str, float, int]] = []  # server, when the request started, status

        async def watch(base: str) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=base, headers=headers) as http:
                while not revoked_at or time.monotonic() < revoked_at[0] + 1.5:
                    started = time.monotonic()
                    seen.append((base, started, (await http.get("/Users?count=1")).status_code))
                    await asyncio.sleep(0.01)

        async def revoke() -> None:
            await asyncio.sleep(0.5)  # both processes trust the token by now
            launched_at.append(time.monotonic())
            process = await asyncio.create_subprocess_exec(
                ROSTER, "token", "revoke", "--org", "acme", prefix, env=deployment
            )
            assert await process.wait() == 0
            revoked_at.append(time.monotonic())

        async def run() -> None:
            await asyncio.gather(*(watch(base) for base in bases), revoke())

        asyncio.run(run())

    cutoff = revoked_at[0] + 1.0
    for base in bases:
        before = [status for server, at, status in seen if server == base and at < launched_at[0]]
        after = [status for server, at, status in seen if server == base and at >= cutoff]
        first_refusal = min(at for server, at, status in seen if server == base and status == 401)
        print(f"\n{base}: first 401 {first_refusal - revoked_at[0]:+.3f} s after the revoke")
        assert set(before) == {200}
        assert set(after) == {401}
