"""`make bench`: Roster's SCIM door against the ceiling (bare Starlette + Tortoise doing the
same database work), on a fresh database, at concurrency 32, printing one line per scenario
and the ratios against the targets, and writing the figures to a JSON file.

    python -m bench.run --database sqlite|postgres [--seconds 5] [--smoke] [--json FILE]

Everything listens on 127.0.0.1; every run is bounded in time and in requests."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import loadgen

HOST = "127.0.0.1"
ROSTER = str(Path(sys.executable).parent / "roster")
ORG = "bench"
SEED_USERS = 1000
OK = {200, 201, 204}

# scenario -> the least Roster / ceiling and Roster / peer throughput ratios (issue 6)
CEILING_TARGETS = {"get": 0.6, "filter": 0.6, "create": 0.5, "deactivate": 0.5, "list100": 0.5}
PEER_TARGETS = {"get": 1.2, "filter": 2.0, "create": 1.5, "deactivate": 1.5, "list100": 20.0}


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    def peak_rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_ready(server: Server, path: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{server.port}{path}", timeout=2):
                return
        except OSError:
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server on port {server.port} did not start") from None
            time.sleep(0.2)


@contextmanager
def serving(command: list[str], env: dict[str, str], ready_path: str) -> Iterator[Server]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own commands
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server(process, port)
    try:
        wait_ready(server, ready_path)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def database_url(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        return f"sqlite://{folder / 'bench.sqlite3'}"
    server = os.environ.get("ROSTER_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    return f"{server}/roster_bench_{uuid.uuid4().hex[:10]}"


def roster(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(  # noqa: S603
        [ROSTER, *args], env=env, input=stdin, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"roster {' '.join(args)} failed: {result.stderr}")
    return result.stdout


async def seed(url: str, count: int) -> list[str]:
    """`count` users provisioned through the domain, as Okta would; their ids."""
    from domain import bus, database, queries
    from domain.actors import Actor
    from domain.commands import Email, ProvisionUser, UserAttributes

    context = await database.open_database(url)
    try:
        organization = await queries.organization_by_slug(ORG)
        actor = Actor.scim_token("seed", "seed", organization.id)
        ids = []
        for index in range(count):
            name = f"user{index:06d}@bench.test"
            attributes = UserAttributes(
                user_name=name,
                given_name="Bench",
                family_name=f"User{index}",
                emails=(Email(name, "work", primary=True),),
                external_id=f"00u{index:06d}",
            )
            role = "admin" if index % 3 == 0 else None
            user = await bus.handle(ProvisionUser(attributes, role=role), actor)
            ids.append(str(user.id))
        return ids
    finally:
        await database.close_database(context)


def okta_body(user_name: str, role: str | None = "basic-user") -> bytes:
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": "New", "familyName": "User"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": "New User",
        "locale": "en-US",
        "externalId": "00u" + uuid.uuid4().hex[:12],
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }
    if role is not None:
        body["permissionsRole"] = role
    return json.dumps(body).encode()


def scim_scenarios(
    port: int, token: str | None, ids: list[str], *, prefix: str = "/scim/v2", role: bool = True
) -> dict[str, loadgen.RequestFactory]:
    """The SCIM scenarios, for Roster (`/scim/v2`, with its token) or the peer (`/v2`)."""
    host = f"{HOST}:{port}"
    auth = {"Accept": "application/scim+json"}
    if token:
        auth["Authorization"] = f"Bearer {token}"
    json_headers = {**auth, "Content-Type": "application/scim+json; charset=utf-8"}
    run_id = uuid.uuid4().hex[:6]

    def get(n: int) -> bytes:
        return loadgen.request(
            "GET", f"{prefix}/Users/{ids[n % len(ids)]}", host=host, headers=auth
        )

    def filter_(n: int) -> bytes:
        expression = urllib.parse.quote(f'userName eq "user{n % len(ids):06d}@bench.test"')
        path = f"{prefix}/Users?filter={expression}&startIndex=1&count=100"
        return loadgen.request("GET", path, host=host, headers=auth)

    def create(n: int) -> bytes:
        body = okta_body(f"new-{run_id}-{n}@bench.test", "basic-user" if role else None)
        path = f"{prefix}/Users"
        return loadgen.request("POST", path, host=host, headers=json_headers, body=body)

    def deactivate(n: int) -> bytes:
        active = (n // len(ids)) % 2 == 1  # first pass deactivates, the next reactivates
        body = json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"active": active}}],
            }
        ).encode()
        path = f"{prefix}/Users/{ids[n % len(ids)]}"
        return loadgen.request("PATCH", path, host=host, headers=json_headers, body=body)

    def list100(n: int) -> bytes:
        start = 1 + (n * 100) % (len(ids) - 100)
        path = f"{prefix}/Users?startIndex={start}&count=100"
        return loadgen.request("GET", path, host=host, headers=auth)

    return {
        "get": get,
        "filter": filter_,
        "create": create,
        "deactivate": deactivate,
        "list100": list100,
    }


def seed_peer(port: int, count: int) -> list[str]:
    """`count` users created in the peer over HTTP; their ids."""
    ids = []
    for index in range(count):
        name = f"user{index:06d}@bench.test"
        request = urllib.request.Request(
            f"http://{HOST}:{port}/v2/Users",
            data=okta_body(name, None),
            headers={"Content-Type": "application/scim+json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            ids.append(json.load(response)["id"])
    return ids


def ceiling_scenarios(port: int, ids: list[str]) -> dict[str, loadgen.RequestFactory]:
    host = f"{HOST}:{port}"
    headers = {"Content-Type": "application/json"}
    run_id = uuid.uuid4().hex[:6]

    def get(n: int) -> bytes:
        return loadgen.request("GET", f"/users/{ids[n % len(ids)]}", host=host)

    def filter_(n: int) -> bytes:
        name = urllib.parse.quote(f"user{n % len(ids):06d}@bench.test")
        return loadgen.request("GET", f"/users?userName={name}", host=host)

    def create(n: int) -> bytes:
        body = okta_body(f"ceiling-{run_id}-{n}@bench.test")
        return loadgen.request("POST", "/users", host=host, headers=headers, body=body)

    def deactivate(n: int) -> bytes:
        body = json.dumps({"active": (n // len(ids)) % 2 == 1}).encode()
        path = f"/users/{ids[n % len(ids)]}"
        return loadgen.request("PATCH", path, host=host, headers=headers, body=body)

    def list100(n: int) -> bytes:
        offset = (n * 100) % (len(ids) - 100)
        return loadgen.request("GET", f"/users?offset={offset}", host=host)

    return {
        "get": get,
        "filter": filter_,
        "create": create,
        "deactivate": deactivate,
        "list100": list100,
    }


def measure(port: int, make: loadgen.RequestFactory, args: argparse.Namespace) -> loadgen.Result:
    return asyncio.run(
        loadgen.run(
            HOST,
            port,
            make,
            concurrency=args.concurrency,
            seconds=args.seconds,
            warmup=args.warmup,
            max_requests=args.max_requests,
        )
    )


def line(name: str, result: loadgen.Result, rss: float) -> str:
    errors = result.errors(OK) or "none"
    return (
        f"{name:<22} {result.rate:>9.0f} req/s  p50 {result.percentile(0.5):6.1f} ms  "
        f"p95 {result.percentile(0.95):6.1f} ms  p99 {result.percentile(0.99):6.1f} ms  "
        f"errors {errors}  peak RSS {rss:.0f} MB"
    )


def figures(result: loadgen.Result, rss: float) -> dict[str, Any]:
    return {
        "requests_per_second": round(result.rate, 1),
        "requests": result.count,
        "p50_ms": round(result.percentile(0.5), 2),
        "p95_ms": round(result.percentile(0.95), 2),
        "p99_ms": round(result.percentile(0.99), 2),
        "errors": {str(k): v for k, v in result.errors(OK).items()},
        "peak_rss_mb": round(rss, 1),
    }


def uvicorn(app: str) -> list[str]:
    """The command that serves `app` as Roster is served: uvloop and httptools."""
    return [sys.executable, "-m", "uvicorn", app, "--host", HOST, "--loop", "uvloop",
            "--http", "httptools", "--log-level", "warning"]  # fmt: skip


def run_scenarios(
    side: str,
    server: Server,
    scenarios: dict[str, loadgen.RequestFactory],
    report: dict[str, Any],
    args: argparse.Namespace,
    label: str | None = None,
) -> None:
    """Measure each scenario against the server; print a line and keep the figures."""
    for name, make in scenarios.items():
        result = measure(server.port, make, args)
        print(line(f"{label or side} {name}", result, server.peak_rss_mb()))
        report[side][name] = figures(result, server.peak_rss_mb())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--users", type=int, default=SEED_USERS)
    parser.add_argument("--smoke", action="store_true", help="a few seconds: check the suite works")
    parser.add_argument("--json", default=None, help="where to write the figures")
    args = parser.parse_args(argv)
    if args.smoke:
        args.seconds, args.warmup, args.users, args.concurrency = 0.5, 0.2, 150, 4

    folder = Path(tempfile.mkdtemp(prefix="roster-bench-"))
    url = database_url(args.database, folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTER_")}
    env.update({"ROSTER_DATABASE_URL": url, "ROSTER_DATA_DIR": str(folder / "data")})
    print(
        f"# Roster benchmark on {args.database}: {args.users} users, concurrency "
        f"{args.concurrency}, {args.seconds} s per scenario after {args.warmup} s warm-up"
    )
    roster(env, "migrate")
    roster(env, "org", "create", ORG, "--name", "Bench")
    token = roster(env, "token", "create", "--org", ORG, "--name", "bench").strip()
    ids = asyncio.run(seed(url, args.users))
    report: dict[str, Any] = {
        "database": args.database,
        "users": args.users,
        "roster": {},
        "ceiling": {},
        "peer": {},
        "ratios": {},
    }
    try:
        with serving([ROSTER, "serve"], env, "/readyz") as server:
            trivial = measure(
                server.port,
                lambda n: loadgen.request("GET", "/healthz", host=f"{HOST}:{server.port}"),
                args,
            )
            print(line("roster /healthz", trivial, server.peak_rss_mb()))
            report["roster"]["healthz"] = figures(trivial, server.peak_rss_mb())
            scenarios = scim_scenarios(server.port, token, ids)
            run_scenarios("roster", server, scenarios, report, args, label="scim")
        env["BENCH_ORG"] = ORG
        with serving(uvicorn("bench.ceiling:app"), env, "/ok") as server:
            run_scenarios("ceiling", server, ceiling_scenarios(server.port, ids), report, args)
        with serving(uvicorn("bench.peer:app"), env, "/v2/ServiceProviderConfig") as server:
            peer_ids = seed_peer(server.port, args.users)
            scenarios = scim_scenarios(server.port, None, peer_ids, prefix="/v2", role=False)
            run_scenarios("peer", server, scenarios, report, args)
    finally:
        if args.database == "postgres":
            asyncio.run(_drop(url))
    print("\n# Roster / ceiling (same database, same run) and Roster / peer (in memory)")
    for name in CEILING_TARGETS:
        ours = report["roster"][name]["requests_per_second"]
        ratios = {}
        for side, targets in (("ceiling", CEILING_TARGETS), ("peer", PEER_TARGETS)):
            theirs = report[side][name]["requests_per_second"]
            ratio = ours / theirs if theirs else 0.0
            verdict = "pass" if ratio >= targets[name] else "FAIL"
            ratios[f"vs_{side}"] = {
                "ratio": round(ratio, 3),
                "target": targets[name],
                "verdict": verdict,
            }
        report["ratios"][name] = ratios
        ceiling, peer = ratios["vs_ceiling"], ratios["vs_peer"]
        print(
            f"{name:<12} vs ceiling {ceiling['ratio']:5.2f} (>= {ceiling['target']}) "
            f"{ceiling['verdict']:<4}   vs peer {peer['ratio']:6.2f} (>= {peer['target']}) "
            f"{peer['verdict']}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")
    errors = {
        name: f["errors"]
        for side in ("roster", "ceiling")
        for name, f in report[side].items()
        if f["errors"]
    }
    if errors:
        print(f"errors: {errors}")
        return 1
    return 0


async def _drop(url: str) -> None:
    """Drop the run's PostgreSQL database (through Tortoise's own client)."""
    from tortoise.backends.asyncpg.client import AsyncpgDBClient

    server, _, name = url.rpartition("/")
    parts = urllib.parse.urlsplit(server)
    client = AsyncpgDBClient(
        connection_name="bench-drop",
        host=parts.hostname or HOST,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or "",
        database="postgres",
    )
    await client.create_connection(with_db=True)
    try:
        await client.execute_script(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await client.close()


if __name__ == "__main__":
    sys.exit(main())
