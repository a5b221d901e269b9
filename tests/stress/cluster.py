"""A PostgreSQL 15 cluster of the test's own, to stop and start under load: the system
PostgreSQL is never touched."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.processes import HOST, free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_CTL_SECONDS = 60  # pg_ctl -w waits at most this long for a stop or a start


class PrivateCluster:
    """A PostgreSQL 15 cluster of our own, on a free 127.0.0.1 port with its socket in its own
    folder: stopped and started at will, removed afterwards. (initdb and postgres refuse to run
    as root: they run as the postgres user, in a folder it owns.)"""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="roster-pg-"))  # short: a socket path limit
        shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        self.port = free_port()

    def url(self, database: str) -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{database}"

    def _pg(self, program: str, *args: str, check: bool = True) -> None:
        command = ["runuser", "-u", "postgres", "--", str(PG_BIN / program), *args]
        done = subprocess.run(command, capture_output=True, timeout=PG_CTL_SECONDS, check=False)  # noqa: S603
        if check and done.returncode:
            said = (done.stderr or done.stdout).decode(errors="replace")[-500:]
            raise RuntimeError(f"{program} {' '.join(args)}: {said}")

    def create(self) -> None:
        self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses={HOST}"
        log = str(self.root / "log")
        self._pg("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        """Stop it if it runs (the postmaster by its PID if pg_ctl cannot), delete its folder."""
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
            if pid_file.exists():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)
