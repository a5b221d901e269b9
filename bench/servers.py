"""The servers a benchmark drives: started on 127.0.0.1 on a free port, waited for, stopped;
their memory read from /proc (summed over the worker processes when there are several); and
the run's databases (a SQLite file, or a PostgreSQL database dropped afterwards)."""

from __future__ import annotations

import os
import signal
import socket
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
from typing import IO

HOST = "127.0.0.1"
ROSTER = str(Path(sys.executable).parent / "roster")


@dataclass(frozen=True, slots=True)
class Memory:
    rss_mb: float  # resident now, summed over the workers
    worker_rss_mb: float  # resident now, the largest worker
    peak_mb: float  # the largest worker's high-water mark (VmHWM)
    workers: int


def _status_mb(pid: int, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cpu_seconds(pid: int) -> float:
    """User and system time (/proc/<pid>/stat's 14th and 15th fields, in clock ticks)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (this kernel has no /proc/PID/task/*/children)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()  # after "pid (command)": state, ppid, ...
        if len(fields) > 1 and int(fields[1]) == pid:
            children.append(int(entry.name))
    return children


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    workers: int = 1
    forked: bool = False  # the process is an arbiter whose children serve (gunicorn)

    def worker_pids(self) -> list[int]:
        """The processes that serve: the server itself, the arbiter's forked children, or with
        --workers the children that uvicorn spawned (not its supervisor, nor multiprocessing's
        resource tracker)."""
        if self.forked:
            return _children(self.process.pid) or [self.process.pid]
        if self.workers == 1:
            return [self.process.pid]
        spawned = [pid for pid in _children(self.process.pid) if b"spawn_main" in _cmdline(pid)]
        return spawned or [self.process.pid]

    def memory(self) -> Memory:
        pids = self.worker_pids()
        rss = [_status_mb(pid, "VmRSS") for pid in pids]
        return Memory(
            rss_mb=sum(rss),
            worker_rss_mb=max(rss),
            peak_mb=max(_status_mb(pid, "VmHWM") for pid in pids),
            workers=len(pids),
        )

    def cpu_seconds(self) -> float:
        """The CPU time its serving processes have taken so far, all their threads'."""
        return sum(_cpu_seconds(pid) for pid in self.worker_pids())

    def peak_rss_mb(self) -> float:
        return self.memory().peak_mb


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_ready(server: Server, path: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{server.port}{path}", timeout=2):
                return
        except OSError:
            if server.process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                said = log.read()[-3000:].decode(errors="replace")
                raise SystemExit(f"server on port {server.port} did not start:\n{said}") from None
            time.sleep(0.2)


@contextmanager
def serving(
    command: list[str],
    env: dict[str, str],
    ready_path: str,
    *,
    workers: int = 1,
    forked: bool = False,
) -> Iterator[Server]:
    """The server running; what it writes to stderr goes to a temporary file (shown if it
    does not start). `forked`: the command's process forks the worker that serves (its memory
    is the worker's)."""
    port = free_port()
    extra = ["--workers", str(workers)] if workers > 1 else []
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(  # noqa: S603 - our own commands
            [*command, "--port", str(port), *extra],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        server = Server(process, port, workers, forked)
        try:
            wait_ready(server, ready_path, log)
            if workers > 1:
                _wait_for_workers(server)
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for_workers(server: Server) -> None:
    """Every worker has started (the first to listen answered the readiness check)."""
    deadline = time.monotonic() + 30
    while len(server.worker_pids()) < server.workers and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # and imported the application


def uvicorn(app: str) -> list[str]:
    """The command that serves `app` as Roster is served: uvloop and httptools."""
    return [sys.executable, "-m", "uvicorn", app, "--host", HOST, "--loop", "uvloop",
            "--http", "httptools", "--log-level", "warning"]  # fmt: skip


def hello() -> list[str]:
    """The command that serves bench/hello.py, the trivial server of the load generator's
    ceiling."""
    return [sys.executable, "-m", "bench.hello"]


def roster_serve() -> list[str]:
    return [ROSTER, "serve"]


def roster_env(url: str, data_dir: Path) -> dict[str, str]:
    """The environment `roster serve` runs in: this one, without ROSTER_* but for the run's.
    Rate limiting is off: a benchmark measures how much Roster serves, not what it refuses;
    a server stopped between scenarios exits at once (no drain: no one is sending)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTER_")}
    env.update({"ROSTER_DATABASE_URL": url, "ROSTER_DATA_DIR": str(data_dir)})
    env.update({"ROSTER_SCIM_RATE_LIMIT": "off", "ROSTER_GRAPHQL_RATE_LIMIT": "off"})
    env["ROSTER_DRAIN_SECONDS"] = "0"
    return env


def database_url(kind: str, folder: Path, name: str) -> str:
    """A fresh database for the run: a SQLite file in `folder`, or a new PostgreSQL database
    (on ROSTER_BENCH_POSTGRES) that `drop_database` removes."""
    if kind == "sqlite":
        return f"sqlite://{folder / f'{name}.sqlite3'}"
    server = os.environ.get("ROSTER_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    return f"{server}/roster_{name}_{uuid.uuid4().hex[:10]}"


async def drop_database(url: str) -> None:
    """Drop a run's PostgreSQL database (through Tortoise's own client); SQLite: nothing."""
    if not url.startswith(("postgres", "asyncpg")):
        return
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
