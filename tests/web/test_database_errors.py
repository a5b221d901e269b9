"""A database Roster cannot use: every `roster` command says why in one line on stderr (the
role, host:port, database or path named), exits 1, and shows no traceback. Only `roster
migrate` creates a missing database."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from domain import database
from tests.processes import free_port, ok, roster

SERVER = os.environ.get("ROSTER_TEST_DATABASE_URL", "").rstrip("/")
needs_postgres = pytest.mark.skipif(not SERVER, reason="needs the suite's PostgreSQL server")
# A command that reads the database, and the one that may create it.
COMMANDS = [("token", "list", "--org", "acme"), ("migrate",)]


def one_line_error(env: dict[str, str], *args: str) -> str:
    result = roster(env, *args)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("roster: error: cannot use the database: ")
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def with_url(env: dict[str, str], url: str) -> dict[str, str]:
    return {**env, "ROSTER_DATABASE_URL": url}


def server_address() -> str:
    parts = urlsplit(SERVER)
    return f"{parts.hostname}:{parts.port or 5432}"


async def database_exists(name: str) -> bool:
    connection = await asyncpg.connect(f"{SERVER}/postgres")
    try:
        return bool(await connection.fetchval("SELECT 1 FROM pg_database WHERE datname=$1", name))
    finally:
        await connection.close()


# --- PostgreSQL ---------------------------------------------------------------------------


@needs_postgres
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_role_the_server_does_not_know_is_named(env, command):
    url = f"postgres://nosuchrole@{server_address()}/roster_nosuchrole"
    error = one_line_error(with_url(env, url), *command)
    assert f"authentication failed for role 'nosuchrole' at {server_address()}" in error


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_port_nobody_listens_on_is_named(env, command):
    port = free_port()
    error = one_line_error(with_url(env, f"postgres://postgres@127.0.0.1:{port}/x"), *command)
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port} (Connection refused)" in error


@pytest.fixture
def http_port() -> Iterator[int]:
    """A port where something other than PostgreSQL answers (as a proxy or a web server would)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = listener.accept()
                with connection:
                    connection.recv(64)
                    connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    threading.Thread(target=answer, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


def test_a_port_where_something_else_than_postgresql_answers_is_named(env, http_port):
    url = f"postgres://postgres@127.0.0.1:{http_port}/x"
    error = one_line_error(with_url(env, url), "token", "list", "--org", "acme")
    assert f"what answers at 127.0.0.1:{http_port} does not speak PostgreSQL's protocol" in error


def test_a_host_that_does_not_resolve_is_named(env):
    url = "postgres://postgres@roster-no-such-host.invalid:5432/x"
    error = one_line_error(with_url(env, url), "token", "list", "--org", "acme")
    assert "cannot reach PostgreSQL at roster-no-such-host.invalid:5432" in error


@needs_postgres
async def test_a_missing_database_is_named_and_only_migrate_creates_it(env):
    name = urlsplit(env["ROSTER_DATABASE_URL"]).path.lstrip("/")

    error = one_line_error(env, "token", "list", "--org", "acme")

    assert f"database '{name}' on {server_address()} does not exist" in error
    assert "`roster migrate` creates it" in error
    assert not await database_exists(name)
    migrations = sorted(Path(database.__file__).parent.glob("migrations/0*.py"))
    assert f"applied {len(migrations)} migration(s)" in ok(env, "migrate")
    assert await database_exists(name)


@needs_postgres
def test_a_url_requiring_tls_of_a_server_without_it_is_named(env):
    url = f"{SERVER}/postgres?ssl=require"
    error = one_line_error(with_url(env, url), "token", "list", "--org", "acme")
    assert f"requires TLS (ssl=...) but the PostgreSQL server at {server_address()}" in error


# A PostgreSQL server that accepts TLS connections only (pg_hba.conf: `hostssl` lines), with a
# self-signed certificate: none in CI, so these run where a developer names one.
TLS_ONLY_SERVER = os.environ.get("ROSTER_TEST_TLS_ONLY_POSTGRES", "").rstrip("/")
needs_tls_only_server = pytest.mark.skipif(
    not TLS_ONLY_SERVER, reason="set ROSTER_TEST_TLS_ONLY_POSTGRES to a hostssl-only server"
)


@needs_tls_only_server
def test_a_server_requiring_tls_of_a_connection_without_it_is_named(env):
    env = {**with_url(env, f"{TLS_ONLY_SERVER}/postgres"), "PGSSLMODE": "disable"}
    error = one_line_error(env, "token", "list", "--org", "acme")
    assert "requires TLS, which this connection does not use" in error


@needs_tls_only_server
def test_a_server_certificate_that_is_not_trusted_is_named(env):
    error = one_line_error(with_url(env, f"{TLS_ONLY_SERVER}/postgres?ssl=true"), "migrate")
    assert "TLS with the PostgreSQL server at" in error
    assert "self-signed certificate" in error


# --- SQLite -------------------------------------------------------------------------------


def sqlite_env(env: dict[str, str], path: Path) -> dict[str, str]:
    return with_url(env, f"sqlite://{path}")


def test_a_missing_sqlite_directory_is_named_and_not_created_by_other_commands(env, tmp_path):
    path = tmp_path / "absent" / "roster.sqlite3"
    error = one_line_error(sqlite_env(env, path), "token", "list", "--org", "acme")
    assert f"directory {path.parent} not found" in error
    assert not path.parent.exists()


def test_a_missing_sqlite_file_is_named_and_not_created_by_other_commands(env, tmp_path):
    path = tmp_path / "roster.sqlite3"
    error = one_line_error(sqlite_env(env, path), "token", "list", "--org", "acme")
    assert f"database {path} does not exist; `roster migrate` creates it" in error
    assert not path.exists()


def test_migrate_names_a_directory_it_cannot_make(env, tmp_path):
    (tmp_path / "a-file").write_text("")
    path = tmp_path / "a-file" / "sub" / "roster.sqlite3"
    error = one_line_error(sqlite_env(env, path), "migrate")
    assert f"directory {path.parent} not found" in error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_directory_under_proc_is_named(env, command):
    error = one_line_error(sqlite_env(env, Path("/proc/nope/x.db")), *command)
    assert "directory /proc/nope not found" in error


@pytest.fixture
def unwritable_directory(tmp_path) -> Path:
    """A directory this user cannot create files in (root can in any directory but sysfs)."""
    if os.geteuid() == 0:
        if not sys.platform.startswith("linux"):
            pytest.skip("root writes everywhere")
        return Path("/sys")
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o500)
    return folder


def test_migrate_names_a_directory_it_cannot_write(env, unwritable_directory):
    path = unwritable_directory / "roster.sqlite3"
    error = one_line_error(sqlite_env(env, path), "migrate")
    assert f"cannot create the SQLite database {path}: its directory is not writable" in error


# --- the SQLite file is private -----------------------------------------------------------


def test_migrate_creates_the_database_and_its_directory_for_their_owner_only(env, tmp_path):
    path = tmp_path / "new-folder" / "roster.sqlite3"
    ok(sqlite_env(env, path), "migrate")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_the_data_directory_roster_creates_is_its_owners_only(env, tmp_path):
    env = {**env, "ROSTER_DATA_DIR": str(tmp_path / "fresh-data")}
    env.pop("ROSTER_DATABASE_URL")  # the default: a file in the data directory
    ok(env, "migrate")
    assert stat.S_IMODE((tmp_path / "fresh-data").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "fresh-data" / "roster.sqlite3").stat().st_mode) == 0o600


async def test_the_write_ahead_log_and_shared_memory_files_are_private_too(tmp_path):
    from domain import database

    path = tmp_path / "roster.sqlite3"
    context = await database.open_database(f"sqlite://{path}", create=True)
    try:
        await database.migrate(context)
        for suffix in ("-wal", "-shm"):
            side_file = path.with_name(path.name + suffix)
            assert stat.S_IMODE(side_file.stat().st_mode) == 0o600, suffix
    finally:
        await database.close_database(context)
