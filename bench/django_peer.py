"""The second peer: django-scim2 0.23 on Django 5.2 and PostgreSQL, what a Django shop would run
instead of Roster (the project is bench/peers/django_scim2). It runs from its own venv,
`.venv-peers` in the project's root, made with `python -m venv` from the pinned
bench/peers/requirements.txt on first use (and again when that file changes), so none of its
packages is Roster's. Each use has a fresh database on the run's PostgreSQL server, dropped
afterwards.

What differs from Roster's requests, and why:
- Authentication: django-scim2 has none of its own; a middleware takes the run's fixed bearer
  token for a superuser read once per process (no query per request: this favours the peer).
- Okta's create body goes without `password`: Roster stores none, and django-scim2 would hash
  it with Django's default PBKDF2 (1,000,000 iterations, about 0.2 s of CPU here), so the
  create would measure the hasher. `permissionsRole` stays: django-scim2 ignores it.
- Everything else (paths under /scim/v2, the filter, Okta's no-path deactivate PATCH, list
  100 by startIndex/count) is sent as to Roster."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.scim import ScimRequests
from bench.seeding import attributes
from bench.servers import Server, database_url, drop_database, serving

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-peers"
REQUIREMENTS = ROOT / "bench" / "peers" / "requirements.txt"
PROJECT = "bench.peers.django_scim2"
LABEL = "django-scim2"


PYTHON = VENV / "bin" / "python"
INSTALLED = VENV / "requirements.txt"  # the requirements the venv was made from


def peers_ready() -> bool:
    """The venv is made, from the requirements as they are now."""
    wanted = REQUIREMENTS.read_text()
    return PYTHON.exists() and INSTALLED.exists() and INSTALLED.read_text() == wanted


def peers_python() -> Path:
    """The venv's interpreter, the venv made or brought up to date first (pip reaches PyPI)."""
    if peers_ready():
        return PYTHON
    print(f"making {VENV.name}/ for the {LABEL} peer from {REQUIREMENTS.name}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)  # noqa: S603
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--requirement", str(REQUIREMENTS)], check=True)  # noqa: S603
    INSTALLED.write_text(REQUIREMENTS.read_text())
    return PYTHON


@dataclass(frozen=True, slots=True)
class DjangoPeer:
    server: Server
    ids: list[str]  # the SCIM id of seeded user i
    token: str

    def requests(self) -> ScimRequests:
        return ScimRequests(self.server.port, self.token, self.ids, password=False)


def _profiles(count: int) -> bytes:
    """Seeded users 0..count-1 as the seed command reads them, the profiles Roster gets."""
    lines = []
    for index in range(count):
        seeded = attributes(index)
        profile = {
            "userName": seeded.user_name,
            "givenName": seeded.given_name,
            "familyName": seeded.family_name,
            "email": seeded.emails[0].value,
            "externalId": seeded.external_id,
        }
        lines.append(json.dumps(profile))
    return "\n".join(lines).encode()


def _seed(python: Path, env: dict[str, str], count: int, analyze: bool) -> list[str]:
    command = [str(python), "-m", PROJECT, "seed", *(["--analyze"] if analyze else [])]
    done = subprocess.run(  # noqa: S603 - our own project
        command, env=env, input=_profiles(count), capture_output=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"the {LABEL} seed failed:\n{done.stderr.decode()[-3000:]}")
    ids: list[str] = json.loads(done.stdout)
    return ids


@contextmanager
def django_scim2(count: int, *, analyze: bool) -> Iterator[DjangoPeer]:
    """django-scim2 serving `count` seeded users (seeded user i as Roster's, in bulk; with
    `analyze`, PostgreSQL's statistics gathered after), under one gunicorn gthread worker with
    4 threads on 127.0.0.1, on a fresh PostgreSQL database (ROSTER_BENCH_POSTGRES's server)
    dropped afterwards."""
    python = peers_python()
    url = database_url("postgres", ROOT, "bench_django")
    token = secrets.token_urlsafe(32)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROSTER_", "DJANGO_"))}
    env.update({"PYTHONPATH": str(ROOT), "BENCH_DJANGO_DATABASE_URL": url})
    env["BENCH_DJANGO_TOKEN"] = token
    try:
        ids = _seed(python, env, count, analyze)
        command = [str(python), "-m", PROJECT, "serve"]
        with serving(command, env, "/ok", forked=True) as server:
            yield DjangoPeer(server, ids, token)
    finally:
        asyncio.run(drop_database(url))
