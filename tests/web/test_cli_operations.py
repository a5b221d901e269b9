"""The operator's `roster` commands, run as a user runs them (a separate process, its own
database): listing organizations, resetting an admin's password, a personal API token for a
script, the version, and help on everything."""

from __future__ import annotations

import argparse
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

import pytest

from domain import bus, database, queries
from domain.actors import Actor
from domain.authentication import authenticate_api
from domain.commands import CreateAdmin, ProvisionUser
from domain.errors import InvalidCredentials
from domain.models import TokenKind
from domain.sessions import sign_in
from tests.conftest import attributes
from tests.processes import ok, roster
from web.cli import _parser

API_TOKEN = re.compile(r"^rst_api_[0-9A-Za-z]{12}[0-9A-Za-z_-]{43}$")
PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse"


def refused(env, *args: str, stdin: str | None = None) -> str:
    result = roster(env, *args, stdin=stdin)
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("roster: error: ")
    assert result.stderr.count("\n") == 1, "one line"
    assert result.stdout == ""
    return result.stderr


@asynccontextmanager
async def opened(env: dict[str, str]) -> AsyncIterator[None]:
    """The database the commands ran on, opened in this process to look at what they did."""
    context = await database.open_database(env["ROSTER_DATABASE_URL"])
    try:
        yield
    finally:
        await database.close_database(context)


@pytest.fixture
def acme(env) -> dict[str, str]:
    ok(env, "migrate")
    ok(env, "org", "create", "acme", "--name", "Acme Corp")
    admin = ["admin", "create", "--org", "acme", "--email", "root@acme.test", "--password-stdin"]
    ok(env, *admin, stdin=PASSWORD + "\n")
    return env


def test_version_is_the_installed_packages():
    result = roster({}, "--version")

    assert result.returncode == 0
    assert result.stdout == f"roster {version('roster')}\n"


def all_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action.choices.values():
                found += all_parsers(choice)
    return found


def test_every_command_and_argument_says_what_it_is_for():
    for parser in all_parsers(_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                described = {choice.dest for choice in action._choices_actions}
                assert described == set(action.choices), parser.prog
            else:
                assert action.help, f"{parser.prog} {action.option_strings or action.dest}"


def test_org_list_shows_each_organization_with_its_number_of_users(acme):
    ok(acme, "org", "create", "globex", "--name", "Globex Corporation")

    header, *rows = ok(acme, "org", "list").splitlines()

    assert header.split() == ["SLUG", "NAME", "USERS", "CREATED"]
    assert [row.split("  ")[0] for row in rows] == ["acme", "globex"]
    assert re.match(r"^acme +Acme Corp +1 +\d{4}-\d\d-\d\dT", rows[0])
    assert re.match(r"^globex +Globex Corporation +0 +\d{4}-\d\d-\d\dT", rows[1])


async def test_reset_password_lets_the_admin_sign_in_with_the_new_one_only(acme):
    stdout = ok(
        acme,
        "admin",
        "reset-password",
        "--org",
        "acme",
        "--email",
        "root@acme.test",
        "--password-stdin",
        stdin=NEW_PASSWORD + "\n",
    )

    assert "root@acme.test" in stdout
    async with opened(acme):
        assert await sign_in("root@acme.test", NEW_PASSWORD, "10.0.0.1")
        with pytest.raises(InvalidCredentials):
            await sign_in("root@acme.test", PASSWORD, "10.0.0.1")


def test_reset_password_without_terminal_or_stdin_flag_says_what_to_do(acme):
    reset = ["admin", "reset-password", "--org", "acme", "--email", "root@acme.test"]

    assert "--password-stdin" in refused(acme, *reset)


@pytest.mark.parametrize(
    ("org", "email", "message"),
    [
        ("nope", "root@acme.test", "organization 'nope' not found"),
        ("acme", "nobody@acme.test", "admin 'nobody@acme.test' not found"),
    ],
)
def test_reset_password_of_no_such_admin_is_one_line_and_asks_for_nothing(
    acme, org, email, message
):
    reset = ["admin", "reset-password", "--org", org, "--email", email]

    assert message in refused(acme, *reset)  # no terminal: a prompt would have said so


async def test_reset_password_of_a_user_who_is_not_an_admin_is_refused(acme):
    async with opened(acme):
        organization = await queries.organization_by_slug("acme")
        scim = Actor.scim_token("00000000-0000-0000-0000-000000000001", "Okta", organization.id)
        await bus.handle(ProvisionUser(attributes("jane@acme.test")), scim)

    reset = ["admin", "reset-password", "--org", "acme", "--email", "jane@acme.test"]
    assert "not an admin" in refused(acme, *reset, "--password-stdin", stdin=NEW_PASSWORD)


async def test_api_token_create_prints_a_token_that_acts_as_the_admin_and_nothing_else(acme):
    create = ["api-token", "create", "--org", "acme", "--email", "root@acme.test"]

    stdout = ok(acme, *create, "--name", "bootstrap")

    assert stdout.count("\n") == 1
    token = stdout.strip()
    assert API_TOKEN.match(token)
    async with opened(acme):
        actor = await authenticate_api(token)
        admin = await queries.admin(Actor.operator(actor.organization_id), "root@acme.test")
        [listed] = await queries.list_tokens(actor, TokenKind.API)
    assert actor.user_id == str(admin.id)
    assert listed.name == "bootstrap"


@pytest.mark.parametrize(
    ("org", "email", "message"),
    [
        ("nope", "root@acme.test", "organization 'nope' not found"),
        ("acme", "nobody@acme.test", "admin 'nobody@acme.test' not found"),
    ],
)
def test_api_token_create_for_no_such_admin_is_one_line(acme, org, email, message):
    assert message in refused(acme, "api-token", "create", "--org", org, "--email", email)


async def test_api_token_create_for_an_admin_who_may_not_make_tokens_is_refused(acme):
    async with opened(acme):
        organization = await queries.organization_by_slug("acme")
        await bus.handle(
            CreateAdmin("reader@acme.test", PASSWORD, role="admin"), Actor.operator(organization.id)
        )

    create = ["api-token", "create", "--org", "acme", "--email", "reader@acme.test"]
    assert "not allowed to issue and revoke personal API tokens" in refused(acme, *create)
