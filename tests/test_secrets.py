"""Secrets never leak: a full run through the served app (uvicorn in this process, every logger
at DEBUG), then every captured log line, every error response, every audit event and every
text column of every table is searched for the secrets the run used.

The run signs in with a password (session cookie), issues a SCIM token and an API token, uses
them on both doors, sends wrong tokens and passwords, causes errors (a bad filter, a 404,
invalid bodies, a stale If-Match, GraphQL syntax and validation errors, typed errors), lets
Okta send passwords as it does, revokes the tokens and signs out. The secrets: every token
(whole, and any 16 characters of its random part), the session cookie, the passwords."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp

from domain import bus, credentials
from domain.actors import Actor
from domain.commands import CreateAdmin, CreateOrganization
from domain.credentials import LOOKUP_LENGTH, TOKEN_PREFIX
from tests.scim.conftest import PATCH_SCHEMA, SCIM_JSON, okta_user
from web.app import create_app
from web.settings import Settings

PASSWORD = "Tr0ub4dor&3-horse-staple"
WRONG_PASSWORD = "correct-horse-battery-WRONG"
OKTA_PASSWORD = "0kta-PlaceHolder-9f3a"  # what Okta sends with a create
SYNCED_PASSWORD = "Synced-By-Okta-77x"  # Okta's password sync (a PATCH)
EMAIL = "root@acme.test"
LOGGERS = (
    "",  # the root: everything else
    "roster",
    "roster.request",
    "roster.graphql",
    "roster.scim",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "uvicorn.asgi",
    "tortoise",
    "tortoise.db_client",
    "strawberry",
    "strawberry.execution",
    "aiosqlite",
    "asyncpg",
    "asyncio",
)
# the test's own HTTP client logs what it sends and receives: the caller's logs, not Roster's
CLIENT_LOGGERS = ("httpx", "httpcore")
RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}
FORMAT = logging.Formatter("%(name)s %(levelname)s %(message)s")


@dataclass
class Secret:
    name: str
    value: str

    def fragments(self) -> list[str]:
        """The secret, and for a token any 16 characters of its random part (the public
        `rst_<kind>_<lookup>` may show, the rest never)."""
        parts = [self.value]
        if self.value.startswith(TOKEN_PREFIX):
            kind_end = self.value.index("_", len(TOKEN_PREFIX)) + 1
            random = self.value[kind_end + LOOKUP_LENGTH :].split(".")[0]
            parts += [random[i : i + 16] for i in range(len(random) - 15)]
        return parts

    def found_in(self, text: str) -> bool:
        return any(fragment in text for fragment in self.fragments())


@dataclass
class Run:
    """What the run used and what it left: secrets, responses, log records."""

    secrets: list[Secret] = field(default_factory=list)
    responses: list[httpx.Response] = field(default_factory=list)
    # responses that hand a secret to its owner, by id(response): the secret they may carry
    issuing: dict[int, str] = field(default_factory=dict)
    records: list[logging.LogRecord] = field(default_factory=list)

    def keep(self, name: str, value: str) -> str:
        self.secrets.append(Secret(name, value))
        return value


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch) -> None:
    """argon2 at its lowest cost (the run signs in several times): same code, less time."""
    cheap = credentials._passwords.copy(
        argon2__rounds=1, argon2__memory_cost=8, argon2__parallelism=1
    )
    monkeypatch.setattr(credentials, "_passwords", cheap)


@asynccontextmanager
async def served(app: ASGIApp) -> AsyncIterator[str]:
    """The app served by uvicorn in this process and event loop, as `roster serve` runs it
    (no access log: the request log replaces it), on a free port; its base URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        http="h11",
        ws="none",
        lifespan="on",
        log_level="debug",
        log_config=None,  # leave the loggers to the test's capture
        access_log=False,
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), serving.exception()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@pytest.fixture
async def run(db, database_url, tmp_path, caplog) -> Run:
    """The full run, with every logger at DEBUG."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    done = Run()
    done.keep("password", PASSWORD)
    done.keep("wrong password", WRONG_PASSWORD)
    done.keep("Okta's placeholder password", OKTA_PASSWORD)
    done.keep("a password Okta syncs", SYNCED_PASSWORD)
    settings = Settings.from_env(
        {
            "ROSTER_DATABASE_URL": database_url,
            "ROSTER_DATA_DIR": str(tmp_path / "data"),
            "ROSTER_PUBLIC_URL": "http://roster.test",
            "ROSTER_LOG_LEVEL": "DEBUG",  # (the app's logging would set INFO)
        }
    )
    async with served(create_app(settings)) as base_url:
        # what `roster org create` and `roster admin create` do
        organization = await bus.handle(CreateOrganization("acme", "Acme"), Actor.operator())
        await bus.handle(CreateAdmin(EMAIL, PASSWORD), Actor.operator(organization.id))
        await _run(done, base_url)
    done.records = list(caplog.records)
    return done


async def _run(run: Run, base_url: str) -> None:
    async def record(response: httpx.Response) -> None:
        await response.aread()
        run.responses.append(response)

    hooks = {"response": [record]}

    def client(**headers: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base_url, headers=headers, event_hooks=hooks)

    async with client(**{"X-Roster-CSRF": "1"}) as browser:
        page = GraphQLPage(browser)
        # wrong passwords first (a known and an unknown email), then the right one
        assert (await page.login(EMAIL, WRONG_PASSWORD))["__typename"] == "AuthenticationError"
        await page.login("nobody@acme.test", PASSWORD)
        assert (await page.login(EMAIL, PASSWORD))["__typename"] == "LoginPayload"
        cookie = run.keep("session cookie", browser.cookies["roster_session"])
        run.keep("session token", cookie.rsplit(".", 1)[0])

        # tokens issued through the settings page
        scim_issued = await page.mutate(
            'generateScimToken(name: "Okta") { ... on GenerateScimTokenPayload { token '
            "scimToken { id prefix } } }"
        )
        run.issuing[id(run.responses[-1])] = scim_issued["token"]
        scim_token = run.keep("SCIM token", scim_issued["token"])
        api_issued = await page.mutate(
            'createApiToken(name: "nightly") { ... on CreateApiTokenPayload { token '
            "apiToken { id prefix } } }"
        )
        run.issuing[id(run.responses[-1])] = api_issued["token"]
        api_token = run.keep("API token", api_issued["token"])

        async with client(
            Authorization=f"Bearer {scim_token}", **{"Content-Type": SCIM_JSON}
        ) as okta:
            await _provision(okta)
        async with client(Authorization=f"Bearer {api_token}") as script:
            await _script(GraphQLPage(script))
        await _wrong_credentials(run, client, scim_token, api_token, cookie)
        # a client that inlines the password in a document with a mistake in it
        await page.post(
            'mutation { login(email: "%s", password: "%s") { ... on LoginPayload { viewer '
            "{ nope } } } }" % (EMAIL, PASSWORD)
        )
        await page.post('mutation { login(email: "%s", password: "%s") ' % (EMAIL, PASSWORD))

        # revoke both tokens, then try them
        await page.mutate(
            'revokeScimToken(id: "%s") { __typename }' % scim_issued["scimToken"]["id"]
        )
        await page.mutate(
            'revokeApiToken(id: "%s") { __typename }' % api_issued["apiToken"]["prefix"]
        )
        async with client(Authorization=f"Bearer {scim_token}") as revoked:
            assert (await revoked.get("/scim/v2/Users")).status_code == 401
        async with client(Authorization=f"Bearer {api_token}") as revoked:
            assert (
                await revoked.post("/graphql", json={"query": "{ viewer { permissions } }"})
            ).status_code == 401
        await page.mutate("logout { signedOut }")
    async with client(**{"X-Roster-CSRF": "1"}) as stale:  # the cookie after sign-out
        stale.cookies.set("roster_session", cookie)
        body = (await GraphQLPage(stale).post("{ viewer { permissions } }")).json()
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


class GraphQLPage:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(self, query: str, **variables: Any) -> httpx.Response:
        return await self.http.post("/graphql", json={"query": query, "variables": variables})

    async def login(self, email: str, password: str) -> dict[str, Any]:
        response = await self.post(
            "mutation($email: String!, $password: String!) { login(email: $email, password: "
            "$password) { __typename ... on AuthenticationError { message } } }",
            email=email,
            password=password,
        )
        return dict(response.json()["data"]["login"])

    async def mutate(self, mutation: str) -> dict[str, Any]:
        response = await self.post("mutation { m: %s }" % mutation)
        body = response.json()
        assert "errors" not in body, body
        return dict(body["data"]["m"])


async def _provision(okta: httpx.AsyncClient) -> None:
    """Okta's conversation, its passwords included, and its mistakes."""
    created = await okta.post(
        "/scim/v2/Users", json=okta_user("jane@acme.test", password=OKTA_PASSWORD)
    )
    assert created.status_code == 201, created.text
    jane = f"/scim/v2/Users/{created.json()['id']}"
    assert (await okta.get(jane)).status_code == 200
    found = await okta.get("/scim/v2/Users?filter=" + quote('userName eq "jane@acme.test"'))
    assert found.json()["totalResults"] == 1
    sync = {"op": "replace", "value": {"password": SYNCED_PASSWORD}}
    patched = await okta.patch(jane, json={"schemas": [PATCH_SCHEMA], "Operations": [sync]})
    assert patched.status_code == 200, patched.text
    put = okta_user("jane@acme.test", password=SYNCED_PASSWORD, title="Engineer")
    assert (await okta.put(jane, json=put)).status_code == 200
    deactivate = {"op": "replace", "value": {"active": False}}
    await okta.patch(jane, json={"schemas": [PATCH_SCHEMA], "Operations": [deactivate]})
    # mistakes: each answered with a SCIM error
    mistakes = [
        okta.get("/scim/v2/Users?filter=" + quote("userName eq")),
        okta.get("/scim/v2/Users?filter=" + quote('password eq "%s"' % SYNCED_PASSWORD)),
        okta.get("/scim/v2/Users/00000000-0000-0000-0000-000000000000"),
        okta.post("/scim/v2/Users", json=okta_user("jane@acme.test", password=OKTA_PASSWORD)),
        okta.post("/scim/v2/Users", json={"userName": 42, "password": OKTA_PASSWORD}),
        okta.post(
            "/scim/v2/Users", json=okta_user("bad@acme.test", password=OKTA_PASSWORD, emails="x")
        ),
        okta.post(
            "/scim/v2/Users",
            json=okta_user("role@acme.test", password=OKTA_PASSWORD, permissionsRole="nope"),
        ),
        okta.patch(
            jane,
            json={
                "schemas": [PATCH_SCHEMA],
                "Operations": [{"op": "explode", "value": {"password": SYNCED_PASSWORD}}],
            },
        ),
        okta.patch(jane, json={"Operations": [{"op": "replace", "path": "password", "value": 7}]}),
        okta.put(
            jane,
            json=okta_user("jane@acme.test", password=OKTA_PASSWORD),
            headers={"If-Match": 'W/"1"'},
        ),
        okta.put(jane, content=b'{"password": "%s", ' % SYNCED_PASSWORD.encode()),
        okta.delete("/scim/v2/Users/not-a-user"),
    ]
    for mistake in mistakes:
        response = await mistake
        assert response.status_code < 500, response.text
    assert (await okta.delete(jane)).status_code == 204


async def _script(script: GraphQLPage) -> None:
    """A script with the API token: reads, and its mistakes."""
    for query in (
        "{ users(first: 10) { totalCount edges { node { userName } } } }",
        "{ auditEvents(first: 50) { edges { node { action changes actor { label } } } } }",
        "{ apiTokens { prefix } scimTokens { prefix lastUsedAt } }",
    ):
        assert "errors" not in (await script.post(query)).json()
    for mistake in (
        "{ users(first: 500) { totalCount } }",  # BAD_REQUEST
        "{ nope }",  # validation
        "{ users(",  # syntax
        '{ user(id: "00000000-0000-0000-0000-000000000000") { id } role(id: "x") { key } }',
        'mutation { setUserRole(userId: "x", role: "nope") { __typename } }',
        'mutation { createCustomRole(input: {name: "", permissionLevel: "god"}) { __typename } }',
    ):
        assert (await script.post(mistake)).status_code < 500


async def _wrong_credentials(
    run: Run, client, scim_token: str, api_token: str, cookie: str
) -> None:
    """Tokens on the wrong door, tokens that look right but are not, a forged cookie."""
    unknown_scim = run.keep(
        "unknown SCIM token", "rst_scim_" + "A" * 12 + secrets.token_urlsafe(32)
    )
    unknown_api = run.keep("unknown API token", "rst_api_" + "B" * 12 + secrets.token_urlsafe(32))
    for authorization in (
        f"Bearer {unknown_scim}",
        f"Bearer {api_token}",  # an API token on the SCIM door
        f"Basic {scim_token}",
        f"Bearer {scim_token}x",
        f"bearer  Bearer {unknown_scim} trailing",
    ):
        async with client(Authorization=authorization) as wrong:
            assert (await wrong.get("/scim/v2/Users")).status_code == 401
    for authorization in (
        f"Bearer {unknown_api}",
        f"Bearer {scim_token}",  # a SCIM token on the GraphQL door
        f"Token {api_token}",
    ):
        async with client(Authorization=authorization) as wrong:
            response = await wrong.post("/graphql", json={"query": "{ viewer { permissions } }"})
            assert response.status_code == 401
    forged = cookie[:-3] + ("abc" if not cookie.endswith("abc") else "xyz")
    async with client(**{"X-Roster-CSRF": "1"}) as wrong:
        wrong.cookies.set("roster_session", forged)
        body = (await GraphQLPage(wrong).post("{ viewer { permissions } }")).json()
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    async with client() as no_csrf:  # a cross-site form post with the real cookie
        no_csrf.cookies.set("roster_session", cookie)
        response = await no_csrf.post("/graphql", json={"query": "{ viewer { permissions } }"})
        assert response.status_code == 403


def _record_text(record: logging.LogRecord) -> str:
    """A record as any handler could write it: formatted (exception and stack included), and
    its extra attributes, which structured (JSON) handlers write too."""
    extras = {k: v for k, v in vars(record).items() if k not in RECORD_FIELDS}
    return FORMAT.format(record) + " " + repr(extras)


def assert_no_leak(run: Run, texts: list[tuple[str, str]]) -> None:
    """No secret of the run in any of the (where, text) pairs."""
    leaks = [
        (secret.name, where)
        for where, text in texts
        for secret in run.secrets
        if secret.found_in(text)
    ]
    assert not leaks, "\n".join(f"{name} in {where}" for name, where in leaks)


def test_the_run_used_every_door_and_logged_it(run):
    """(The run really ran: requests of both doors were logged, with the DB's queries.)"""
    names = {record.name for record in run.records}
    assert {"roster.request", "tortoise.db_client", "uvicorn.error"} <= names
    paths = {getattr(r, "path", None) for r in run.records if r.name == "roster.request"}
    assert {"/graphql", "/scim/v2/Users"} <= paths
    assert len(run.responses) > 50


def test_no_log_line_holds_a_secret(run):
    texts = [
        (f"log {record.name} {record.levelname}", _record_text(record))
        for record in run.records
        if record.name.split(".")[0] not in CLIENT_LOGGERS
    ]
    assert_no_leak(run, texts)


def test_no_error_response_holds_a_secret(run):
    texts = []
    for response in run.responses:
        body = response.text
        issued = run.issuing.get(id(response))
        if issued is not None:  # the one response that hands the token to its owner
            body = body.replace(issued, "ISSUED")
        headers = {k: v for k, v in response.headers.items() if k.lower() != "set-cookie"}
        where = f"{response.request.method} {response.request.url.path} {response.status_code}"
        texts.append((where, body + " " + repr(headers)))
    assert_no_leak(run, texts)
    assert sum(1 for r in run.responses if r.status_code >= 400 or "errors" in r.text) > 20


async def test_no_audit_event_holds_a_secret(run):
    from domain.models import AuditEvent

    events = await AuditEvent.all().values()
    assert len(events) > 5
    assert_no_leak(run, [(f"audit event {e['action']}", repr(e)) for e in events])


async def test_the_database_holds_no_token_or_password_in_plain_text(run, db):
    connection = db.db()
    if connection.capabilities.dialect == "postgres":
        names = "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
    else:
        names = "SELECT name FROM sqlite_master WHERE type = 'table'"
    texts = []
    for table in [row["name"] for row in await connection.execute_query_dict(names)]:
        rows = await connection.execute_query_dict(f'SELECT * FROM "{table}"')  # noqa: S608
        texts += [(f"table {table}", repr(row)) for row in rows]
    assert any(where == "table tokens" for where, _ in texts)
    assert_no_leak(run, texts)
