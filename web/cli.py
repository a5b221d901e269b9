"""The `roster` command line. Expected mistakes (unknown organization, duplicate slug, bad
URL) print one line to stderr and exit 1; a usage mistake exits 2."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import json
import logging
import os
import secrets
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from domain import bus, database, queries, sealed
from domain.actors import Actor
from domain.commands import (
    ConfigureOidcConnection,
    CreateAdmin,
    CreateOrganization,
    IssueApiToken,
    IssueScimToken,
    ResetAdminPassword,
    RevokeScimToken,
)
from domain.credentials import display_prefix
from domain.database import DATABASE_UNAVAILABLE, DatabaseNotMigrated, DatabaseUnreachable
from domain.errors import DomainError, InvalidValue, NotFound
from domain.models import Channel, TokenKind
from web import drain
from web.logs import configure_logging
from web.settings import Settings, SettingsError, export_to_environment

LOGGER = logging.getLogger("roster.cli")
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "api" / "schema.graphql"
DEMO_SLUG = "demo"
DEMO_ADMIN_EMAIL = "admin@demo.example"
# After SIGTERM and the drain (ROSTER_DRAIN_SECONDS), requests in flight get this long to
# finish, then are cancelled: a client stalled in the middle of its request body would
# otherwise keep the process alive for ever (Docker sends SIGKILL 10 s after SIGTERM).
GRACEFUL_SHUTDOWN_SECONDS = 5
# An idle keep-alive connection is kept this long. uvicorn's 5 s let a client that reused a
# pooled connection just as the server closed it get no answer (seen by the stress suite);
# longer than the usual load balancer idle timeout (60 s), so the balancer closes first.
KEEP_ALIVE_SECONDS = 75


class CliError(Exception):
    """An expected failure: its message is printed, with no traceback."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roster",
        description="Roster provisioning backend. Settings come from ROSTER_* environment "
        "variables (ROSTER_DATABASE_URL above all); see the README.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"roster {version('roster')}",
        help="print Roster's version and exit",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve Roster over HTTP")
    serve.add_argument("--host", help="address to listen on (default ROSTER_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default ROSTER_PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")

    commands.add_parser("migrate", help="apply the database migrations")
    commands.add_parser("makemigrations", help="(developers) write a migration for model changes")

    org = commands.add_parser("org", help="organizations").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    org_create = org.add_parser("create", help="create an organization")
    org_create.add_argument(
        "slug", help="its short name in commands and URLs: lowercase letters, digits, hyphens"
    )
    org_create.add_argument("--name", required=True, help="its name as people read it")
    org.add_parser("list", help="list organizations: slug, name, users, created")

    admin = commands.add_parser("admin", help="admins of the settings page").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    admin_create = admin.add_parser("create", help="create an admin (super-admin role)")
    admin_create.add_argument("--org", required=True, metavar="SLUG", help="its organization")
    admin_create.add_argument("--email", required=True, help="its email, to sign in with")
    admin_create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (otherwise it is asked for twice)",
    )
    reset = admin.add_parser(
        "reset-password", help="give an admin a new password and end its browser sessions"
    )
    reset.add_argument("--org", required=True, metavar="SLUG", help="the admin's organization")
    reset.add_argument("--email", required=True, help="the admin's email")
    reset.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the new password from standard input (otherwise it is asked for twice)",
    )

    api_token = commands.add_parser(
        "api-token", help="personal API tokens (GraphQL, for scripts)"
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    api_token_create = api_token.add_parser(
        "create", help="issue a super-admin's personal API token (printed once, nothing else)"
    )
    api_token_create.add_argument(
        "--org", required=True, metavar="SLUG", help="the admin's organization"
    )
    api_token_create.add_argument(
        "--email", required=True, help="the admin the token acts as (a super-admin)"
    )
    api_token_create.add_argument(
        "--name", default="API token", help="what the token is for (default: API token)"
    )

    token = commands.add_parser("token", help="SCIM tokens").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    token_create = token.add_parser("create", help="issue a SCIM token (printed once)")
    token_create.add_argument("--org", required=True, metavar="SLUG", help="its organization")
    token_create.add_argument(
        "--name", default="SCIM token", help="what it is for, e.g. Okta (default: SCIM token)"
    )
    token_list = token.add_parser("list", help="list SCIM tokens (never their secrets)")
    token_list.add_argument("--org", required=True, metavar="SLUG", help="their organization")
    token_revoke = token.add_parser("revoke", help="revoke a SCIM token by id or prefix")
    token_revoke.add_argument("--org", required=True, metavar="SLUG", help="its organization")
    token_revoke.add_argument(
        "token", metavar="ID", help="its id, or its prefix as `token list` shows it"
    )

    sso_command = commands.add_parser("sso", help="single sign-on").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    sso_oidc = sso_command.add_parser(
        "oidc", help="set an organization's OpenID Connect connection (issuer, client)"
    )
    sso_oidc.add_argument("--org", required=True, metavar="SLUG", help="the organization")
    sso_oidc.add_argument(
        "--issuer", required=True, metavar="URL", help="the provider's issuer URL"
    )
    sso_oidc.add_argument(
        "--client-id", required=True, metavar="ID", help="Roster's client ID at the provider"
    )
    sso_oidc.add_argument(
        "--client-secret-stdin",
        action="store_true",
        required=True,
        help="read the client secret from standard input (one line)",
    )

    sso_saml = sso_command.add_parser(
        "saml", help="set an organization's SAML connection from its identity provider's metadata"
    )
    sso_saml.add_argument("--org", required=True, metavar="SLUG", help="the organization")
    metadata = sso_saml.add_mutually_exclusive_group(required=True)
    metadata.add_argument("--metadata-url", metavar="URL", help="where the provider publishes it")
    metadata.add_argument("--metadata-file", metavar="PATH", help="the metadata XML, saved")

    commands.add_parser("demo", help="create the demo organization, admin and SCIM token")

    export = commands.add_parser("export-schema", help="(developers) write the GraphQL schema")
    export.add_argument(
        "--output", default=str(SCHEMA_FILE), metavar="FILE", help="where (default: %(default)s)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings: Settings | None = None
    try:
        settings = Settings.from_env()
        # log lines (a server's, a library's) in the configured format; what a command prints
        # for its user (its output, its one-line error) stays plain text
        configure_logging(settings.log_format, settings.log_level)
        if args.command == "serve":
            return _serve(settings, args)
        if args.command == "export-schema":
            from api.schema import schema_sdl  # (only here: the GraphQL schema is slow to build)

            Path(args.output).write_text(schema_sdl())
            print(f"wrote {args.output}")
            return 0
        return asyncio.run(_run(settings, args))
    except (
        CliError,
        DomainError,
        SettingsError,
        DatabaseNotMigrated,
        DatabaseUnreachable,
    ) as error:
        if args.command != "serve":  # a short-lived command: its mistakes are user output
            print(f"roster: error: {error}", file=sys.stderr)
            return 1
        if settings is None:  # (unreadable settings: the default format)
            configure_logging()
        LOGGER.error("roster serve cannot start: %s", error)  # a server writes log lines only
        return 1
    except DATABASE_UNAVAILABLE as error:  # it answered when the command began
        print(f"roster: error: the database went away: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception:
        if args.command != "serve":
            raise
        if settings is None:
            configure_logging()
        LOGGER.exception("roster serve failed")  # its trace as a log line too
        return 1


# --- serving ------------------------------------------------------------------------------


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    host = args.host or settings.host
    port = args.port or settings.port
    if args.workers < 1:
        raise CliError("--workers must be at least 1")
    public_url = settings.public_url
    if public_url == f"http://{settings.host}:{settings.port}":  # the default: follow the flags
        public_url = f"http://{host}:{port}"
    with tempfile.TemporaryDirectory(prefix="roster-metrics-") as metrics_dir:
        if args.workers > 1 and settings.metrics_dir is None:
            settings = dataclasses.replace(settings, metrics_dir=metrics_dir)
        export_to_environment(
            dataclasses.replace(settings, host=host, port=port, public_url=public_url)
        )
        _run_uvicorn(host, port, args.workers, settings.drain_seconds)
    return 0


def _run_uvicorn(host: str, port: int, workers: int, drain_seconds: float) -> None:
    config = uvicorn.Config(
        "web.asgi:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        proxy_headers=False,
        access_log=False,  # web.request_log writes one line per request instead
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        # logging stays as web.logs configured it (each worker's create_app does it again)
        log_config=None,
    )
    if not drain.serve(config, drain_seconds):  # uvicorn.run's steps, draining on SIGTERM
        raise SystemExit(STARTUP_FAILURE)


# --- the rest: one database session each --------------------------------------------------


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    create = args.command in {"migrate", "demo"}
    connect = args.command != "makemigrations"  # compares the models with the migration files
    context = await database.open_database(settings.database_url, create=create, connect=connect)
    try:
        if args.command == "migrate":
            applied = await database.migrate(context, waiting=_waiting_for_other_migrate)
            print(
                f"applied {len(applied)} migration(s)"
                + (f": {', '.join(applied)}" if applied else "")
            )
            return 0
        if args.command == "makemigrations":
            for path in await database.make_migrations(context):
                print(path)
            return 0
        if args.command == "demo":
            await database.migrate(context)
        else:
            await database.ensure_migrated(context)
        action: Callable[[Settings, argparse.Namespace], Awaitable[int]] = _ACTIONS[
            (args.command, getattr(args, "action", None))
        ]
        return await action(settings, args)
    finally:
        await database.close_database(context)


def _waiting_for_other_migrate() -> None:
    print("roster: waiting for another `roster migrate` to finish", file=sys.stderr, flush=True)


async def _operator_for(slug: str) -> Actor:
    organization = await queries.organization_by_slug(slug)
    return Actor.operator(organization.id)


async def _org_create(settings: Settings, args: argparse.Namespace) -> int:
    organization = await bus.handle(
        CreateOrganization(slug=args.slug, name=args.name), Actor.operator()
    )
    print(f"created organization {organization.slug!r} ({organization.name})")
    return 0


async def _org_list(settings: Settings, args: argparse.Namespace) -> int:
    rows = [("SLUG", "NAME", "USERS", "CREATED")]
    for summary in await queries.list_organizations(Actor.operator()):
        organization = summary.organization
        rows.append(
            (
                organization.slug,
                organization.name,
                str(summary.user_count),
                _when(organization.created_at),
            )
        )
    _print_table(rows)
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for the password: use --password-stdin")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != password:
        raise CliError("the passwords differ")
    return password


async def _admin_create(settings: Settings, args: argparse.Namespace) -> int:
    actor = await _operator_for(args.org)
    password = _read_password(args.password_stdin)
    user = await bus.handle(CreateAdmin(email=args.email, password=password), actor)
    print(f"created admin {user.user_name!r} in {args.org!r}")
    return 0


async def _admin_reset_password(settings: Settings, args: argparse.Namespace) -> int:
    actor = await _operator_for(args.org)
    await queries.admin(actor, args.email)  # before asking for a password it would refuse
    password = _read_password(args.password_stdin)
    user = await bus.handle(ResetAdminPassword(email=args.email, password=password), actor)
    print(f"new password set for {user.user_name!r} in {args.org!r}; its sessions have ended")
    return 0


async def _api_token_create(settings: Settings, args: argparse.Namespace) -> int:
    admin = await queries.admin(await _operator_for(args.org), args.email)
    if not admin.active:
        raise CliError(f"admin {admin.user_name!r} is deactivated")
    actor = Actor.admin(  # the token acts as this admin, as if it had made it itself
        user_id=str(admin.id),
        label=admin.user_name,
        organization_id=admin.organization_id,
        permission_level=admin.role.permission_level,
        channel=Channel.CLI,
    )
    issued = await bus.handle(IssueApiToken(name=args.name), actor)
    print(issued.secret)
    return 0


async def _token_create(settings: Settings, args: argparse.Namespace) -> int:
    issued = await bus.handle(IssueScimToken(name=args.name), await _operator_for(args.org))
    print(issued.secret)
    return 0


def _when(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "-"


async def _token_list(settings: Settings, args: argparse.Namespace) -> int:
    tokens = await queries.list_tokens(await _operator_for(args.org), TokenKind.SCIM)
    rows = [("ID", "NAME", "PREFIX", "CREATED", "LAST USED", "REVOKED")]
    for token in tokens:
        rows.append(
            (
                str(token.id),
                token.name,
                display_prefix(token.lookup, TokenKind.SCIM),
                _when(token.created_at),
                _when(token.last_used_at),
                _when(token.revoked_at),
            )
        )
    _print_table(rows)
    return 0


def _print_table(rows: Sequence[Sequence[str]]) -> None:
    """One line per row, the columns aligned (the first row names them)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


async def _token_revoke(settings: Settings, args: argparse.Namespace) -> int:
    token = await bus.handle(RevokeScimToken(token=args.token), await _operator_for(args.org))
    print(f"revoked {display_prefix(token.lookup, TokenKind.SCIM)} ({token.name})")
    return 0


async def _sso_oidc(settings: Settings, args: argparse.Namespace) -> int:
    from sso import oidc  # (only here: the OAuth and JOSE libraries are slow to import)

    actor = await _operator_for(args.org)
    secret = sys.stdin.readline().strip()
    if not secret:
        raise CliError("give the client secret on standard input")
    provider = await oidc.discover(args.issuer)
    command = ConfigureOidcConnection(
        issuer=provider.issuer,
        provider=provider.as_json(),
        client_id=args.client_id,
        client_secret_sealed=sealed.seal(settings.secret_key, secret),
        client_secret_hint=sealed.hint(secret),
    )
    connection = await bus.handle(command, actor)
    print(
        f"{args.org!r} signs in through {connection.issuer} (client {connection.client_id}); "
        f"its redirect URI: {settings.public_url.rstrip('/')}/sso/oidc/callback"
    )
    return 0


async def _sso_saml(settings: Settings, args: argparse.Namespace) -> int:
    from sso import saml  # (only here: pysaml2 is slow to import)

    actor = await _operator_for(args.org)
    pasted = None
    if args.metadata_file:
        pasted = await asyncio.to_thread(Path(args.metadata_file).read_text)
    connection = await bus.handle(await saml.configuration(pasted, args.metadata_url), actor)
    public = settings.public_url.rstrip("/")
    print(
        f"{args.org!r} signs in through {connection.issuer}; give it the ACS URL "
        f"{public}/sso/saml/acs and the entity ID {public}/sso/saml/metadata?organization="
        f"{args.org} (or that URL's metadata)"
    )
    return 0


# --- the demo -----------------------------------------------------------------------------


async def _admin_exists(actor: Actor, email: str) -> bool:
    try:
        await queries.admin(actor, email)
    except NotFound:
        return False
    except InvalidValue:  # a user of that name who is not an admin
        return True
    return True


def _demo_file(settings: Settings) -> Path:
    return settings.data_dir / "demo-credentials.json"


async def _demo(settings: Settings, args: argparse.Namespace) -> int:
    """Create what is missing of the demo organization, its admin and a SCIM token. The demo's
    password and token are kept in the data folder so that later runs can print them again."""
    path = _demo_file(settings)
    kept: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    try:
        organization = await queries.organization_by_slug(DEMO_SLUG)
    except NotFound:
        organization = await bus.handle(
            CreateOrganization(slug=DEMO_SLUG, name="Demo Organization"), Actor.operator()
        )
    actor = Actor.operator(organization.id)
    admin_exists = await _admin_exists(actor, DEMO_ADMIN_EMAIL)
    if not admin_exists or "password" not in kept:
        password = secrets.token_urlsafe(12)
        if admin_exists:
            raise CliError(
                f"the demo admin exists but its password is not in {path}; "
                "delete the data folder to start the demo afresh"
            )
        await bus.handle(CreateAdmin(email=DEMO_ADMIN_EMAIL, password=password), actor)
        kept["password"] = password
    if not await _token_still_valid(actor, kept.get("token")):
        issued = await bus.handle(IssueScimToken(name="Demo SCIM token"), actor)
        kept["token"] = issued.secret
    _write_private(path, json.dumps(kept, indent=2))
    print(
        "\n".join(
            [
                f"Roster demo organization {DEMO_SLUG!r} is ready.",
                f"  Settings page:  {settings.public_url}/",
                f"  Admin login:    {DEMO_ADMIN_EMAIL} / {kept['password']}",
                f"  SCIM base URL:  {settings.scim_base_url}",
                f"  SCIM token:     {kept['token']}",
                f"  (kept in {path}; delete the data folder to start afresh)",
            ]
        )
    )
    return 0


async def _token_still_valid(actor: Actor, token: str | None) -> bool:
    if not token:
        return False
    tokens = await queries.list_tokens(actor, TokenKind.SCIM)
    return any(
        t.revoked_at is None and token.startswith(display_prefix(t.lookup, TokenKind.SCIM))
        for t in tokens
    )


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text + "\n")


_ACTIONS: dict[tuple[str, str | None], Callable[[Settings, argparse.Namespace], Awaitable[int]]] = {
    ("org", "create"): _org_create,
    ("org", "list"): _org_list,
    ("admin", "create"): _admin_create,
    ("admin", "reset-password"): _admin_reset_password,
    ("api-token", "create"): _api_token_create,
    ("token", "create"): _token_create,
    ("token", "list"): _token_list,
    ("token", "revoke"): _token_revoke,
    ("sso", "oidc"): _sso_oidc,
    ("sso", "saml"): _sso_saml,
    ("demo", None): _demo,
}


if __name__ == "__main__":
    sys.exit(main())
