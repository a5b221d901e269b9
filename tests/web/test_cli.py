"""The `roster` command line, run as a user runs it (a separate process, its own database)."""

from __future__ import annotations

import re
import signal

import pytest

from tests.known_migrations import APPLIED
from tests.processes import TOKEN, ok, roster, serving


def refused(env, *args: str) -> str:
    result = roster(env, *args)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("roster: error: ")
    assert result.stdout == ""
    return result.stderr


@pytest.fixture
def acme(env) -> dict[str, str]:
    ok(env, "migrate")
    ok(env, "org", "create", "acme", "--name", "Acme Corp")
    return env


def test_migrate_then_nothing_left_to_do(env):
    assert APPLIED in ok(env, "migrate")
    assert "applied 0 migration(s)" in ok(env, "migrate")


def test_commands_refuse_an_unmigrated_database_with_advice(env):
    assert "roster migrate" in refused(env, "token", "list", "--org", "acme")


def test_a_duplicate_slug_is_an_error_without_traceback(acme):
    assert "already exists" in refused(acme, "org", "create", "acme", "--name", "Again")


def test_an_unknown_organization_is_an_error_without_traceback(acme):
    assert "organization 'nope' not found" in refused(acme, "token", "create", "--org", "nope")


def test_a_bad_database_url_is_an_error_without_traceback(env):
    env["ROSTER_DATABASE_URL"] = "mysql://localhost/roster"
    assert "ROSTER_DATABASE_URL" in refused(env, "migrate")


def test_token_create_prints_the_token_and_nothing_else(acme):
    stdout = ok(acme, "token", "create", "--org", "acme", "--name", "Okta")
    assert TOKEN.match(stdout.strip())
    assert stdout.count("\n") == 1


def test_token_list_shows_tokens_but_never_their_secret_and_revoke_takes_the_prefix(acme):
    token = ok(acme, "token", "create", "--org", "acme", "--name", "Okta").strip()
    prefix = token[: len("rst_scim_") + 12]

    listing = ok(acme, "token", "list", "--org", "acme")
    assert "Okta" in listing
    assert prefix in listing
    assert token not in listing
    assert token[len(prefix) :] not in listing

    assert prefix in ok(acme, "token", "revoke", "--org", "acme", prefix)
    row = next(line for line in ok(acme, "token", "list", "--org", "acme").splitlines()[1:])
    assert row.split()[-1] != "-", "the REVOKED column shows when"


def test_admin_create_reads_the_password_from_stdin(acme):
    stdout = ok(
        acme,
        "admin",
        "create",
        "--org",
        "acme",
        "--email",
        "root@acme.test",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert "root@acme.test" in stdout
    assert "at least 8" in refused_with_stdin(acme, "short")


def refused_with_stdin(env, password: str) -> str:
    result = roster(
        env,
        "admin",
        "create",
        "--org",
        "acme",
        "--email",
        "b@acme.test",
        "--password-stdin",
        stdin=password + "\n",
    )
    assert result.returncode == 1
    return result.stderr


def test_admin_create_without_terminal_or_stdin_flag_says_what_to_do(acme):
    assert "--password-stdin" in refused(
        acme, "admin", "create", "--org", "acme", "--email", "a@b.c"
    )


def test_demo_creates_what_is_missing_and_prints_how_to_connect(env):
    ok(env, "migrate")
    first = ok(env, "demo")
    second = ok(env, "demo")

    assert "http://127.0.0.1:8000/" in first
    assert "admin@demo.example" in first
    assert "http://127.0.0.1:8000/scim/v2" in first
    token = re.search(r"rst_scim_\S+", first)
    assert token
    assert TOKEN.match(token.group())
    assert first == second, "a second run reuses the demo's admin and token"
    assert ok(env, "token", "list", "--org", "demo").count("rst_scim_") == 1


@pytest.mark.slow
def test_serve_answers_readyz_and_stops_on_sigterm(acme):
    with serving(acme) as server:
        pass  # ready: /readyz answered 200
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status shows it
    assert server.process.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.stderr


@pytest.mark.slow
def test_metrics_of_several_workers_are_summed_whichever_worker_answers(acme):
    import httpx

    scraper = {"Authorization": "Bearer scrape-token-0123456789"}
    env = {**acme, "ROSTER_METRICS_TOKEN": "scrape-token-0123456789"}
    with serving(env, workers=2) as server:
        for _ in range(40):  # a new connection each: the kernel spreads them over workers
            assert httpx.get(f"{server.url}/healthz").status_code == 200
        scrapes = [httpx.get(f"{server.url}/metrics", headers=scraper) for _ in range(6)]
    line = 'roster_http_requests_total{method="GET",route="/healthz",status="200"} 40.0'
    for scrape in scrapes:
        assert scrape.status_code == 200
        assert line in scrape.text.splitlines()
