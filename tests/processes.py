"""Running Roster as its users do: the `roster` console script in its own process, with its
own database (on the suite's PostgreSQL server when the suite runs there), and `roster serve`
started on a free port, waited for until ready, and stopped as a supervisor stops it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

HOST = "127.0.0.1"
ROSTER = str(Path(sys.executable).parent / "roster")
SERVE = (ROSTER, "serve")
TOKEN = re.compile(r"^rst_scim_[0-9A-Za-z]{12}[0-9A-Za-z_-]{43}$")
STARTED = "Application startup complete"  # what each worker logs once it serves


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


async def drop_postgres_database(url: str) -> None:
    """Drop a database `user_environment` named (or any other on the suite's server)."""
    server, _, name = url.rpartition("/")
    connection = await asyncpg.connect(f"{server}/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def roster(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console script
        [ROSTER, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def ok(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = roster(env, *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A server process on 127.0.0.1:`port`. What it wrote on stdout and stderr is in `stdout`
    and `stderr` once it has stopped (and, while it runs, stderr in the log file if one was
    given)."""

    process: subprocess.Popen[bytes]
    port: int
    workers: int = 1
    stdout: str = ""
    stderr: str = ""

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


@contextmanager
def serving(
    env: dict[str, str],
    *,
    workers: int = 1,
    ready: str = "/readyz",
    log: Path | None = None,
    command: Sequence[str] = SERVE,
    ready_seconds: float = 60,
) -> Iterator[Server]:
    """`command` (`roster serve` unless told) on a free port, ready: `ready` answered 200 and,
    with several workers, every worker started. Stopped afterwards with SIGTERM (SIGKILL if
    it has not exited 30 s later) unless it has exited already. Its stderr goes to `log` when
    given (kept), else to a temporary file."""
    port = free_port()
    extra = ["--workers", str(workers)] if workers > 1 else []
    with tempfile.TemporaryDirectory(prefix="roster-serve-") as folder:
        stdout, stderr = Path(folder) / "stdout", log or Path(folder) / "stderr"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(  # noqa: S603 - our own commands
                [*command, "--port", str(port), *extra], env=env, stdout=out, stderr=err
            )
        server = Server(process, port, workers)
        try:
            _wait_until_ready(server, ready, stderr, ready_seconds)
            yield server
        finally:
            _stop(process)
            server.stdout = _text(stdout)
            server.stderr = _text(stderr)


def _wait_until_ready(server: Server, path: str, stderr: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not (_answers(f"{server.url}{path}") and _all_started(server, stderr)):
        if server.process.poll() is not None or time.monotonic() > deadline:
            state = "exited" if server.process.poll() is not None else "is not ready"
            said = _text(stderr)[-3000:]
            raise AssertionError(f"the server on port {server.port} {state}:\n{said}")
        time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our server
            return bool(response.status == 200)
    except OSError:  # refused, or an HTTP error status
        return False


def _all_started(server: Server, stderr: Path) -> bool:
    """Every worker serves (uvicorn logs this line once per worker); the first to listen
    answered the readiness check, the others may still be importing the application."""
    return server.workers == 1 or _text(stderr).count(STARTED) >= server.workers


def _text(path: Path) -> str:
    return path.read_bytes().decode(errors="replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def bench_environment() -> tuple[str, dict[str, str]]:
    """The database kind a `bench` command runs on (this suite's) and its environment: on
    PostgreSQL, `ROSTER_BENCH_POSTGRES` names this suite's server."""
    server = os.environ.get("ROSTER_TEST_DATABASE_URL", "").rstrip("/")
    env = dict(os.environ)
    if server:
        env["ROSTER_BENCH_POSTGRES"] = server
    return ("postgres" if server else "sqlite"), env
