"""Running Roster as its users do: the `roster` console script in its own process, with its
own database (on the suite's PostgreSQL server when the suite runs there)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROSTER = str(Path(sys.executable).parent / "roster")
TOKEN = re.compile(r"^rst_scim_[0-9A-Za-z]{12}[0-9A-Za-z_-]{43}$")


def user_environment(folder: Path, name: str) -> tuple[dict[str, str], str | None]:
    """The environment a user runs `roster` in, with a database of its own: a SQLite file in
    `folder`, or a fresh PostgreSQL database (its URL returned, to drop afterwards) when the
    suite runs on PostgreSQL."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ROSTER_")}
    environment["ROSTER_DATA_DIR"] = str(folder / "data")
    server = os.environ.get("ROSTER_TEST_DATABASE_URL", "").rstrip("/")
    postgres_url = f"{server}/roster_{name}_{uuid.uuid4().hex[:12]}" if server else None
    environment["ROSTER_DATABASE_URL"] = (
        postgres_url or f"sqlite://{folder / 'data' / f'{name}.sqlite3'}"
    )
    return environment, postgres_url


def roster(env, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console script
        [ROSTER, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def ok(env, *args: str, stdin: str | None = None) -> str:
    result = roster(env, *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(server: subprocess.Popen[str], url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                assert response.status == 200
                return
        except OSError:
            assert server.poll() is None, "roster serve exited"
            assert time.monotonic() < deadline, "roster serve did not become ready"
            time.sleep(0.2)


def bench_environment() -> tuple[str, dict[str, str]]:
    """The database kind a `bench` command runs on (this suite's) and its environment: on
    PostgreSQL, `ROSTER_BENCH_POSTGRES` names this suite's server."""
    server = os.environ.get("ROSTER_TEST_DATABASE_URL", "").rstrip("/")
    env = dict(os.environ)
    if server:
        env["ROSTER_BENCH_POSTGRES"] = server
    return ("postgres" if server else "sqlite"), env
