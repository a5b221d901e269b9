"""Running Roster as its users do: the `roster` console script in its own process, with its
own database (on the suite's PostgreSQL server when the suite runs there)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROSTER = str(Path(sys.executable).parent / "roster")
TOKEN = re.compile(r"^rst_scim_[0-9A-Za-z]{12}[0-9A-Za-z_-]{43}$")


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


def wait_until_ready(server: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                assert response.status == 200
                return
        except OSError:
            assert server.poll() is None, "roster serve exited"
            assert time.monotonic() < deadline, "roster serve did not become ready"
            time.sleep(0.2)
