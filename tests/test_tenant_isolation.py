"""Two organizations with look-alike people: acme's credentials (its SCIM token, its super-admin's
API token and session) never read or write globex's data, on any path of either door.

Both organizations hold `jane@shared.test` and `joe@shared.test` with the same externalIds,
their admins share one email (with different passwords), and their users were created turn
about, so that a page, a filter or a cursor that escaped its organization would show it.
Every test ends by checking that globex's rows (users, roles, tokens, the organization and its
audit log) are exactly as they were. The SCIM routes and the GraphQL Query and Mutation
fields are enumerated from the app and the schema: a new one without its check here fails
`test_every_*_is_checked`."""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import graphql
import httpx
import pytest
from starlette.routing import Route

from api.schema import schema_sdl
from domain import bus, credentials, provisioning
from domain.actors import Actor
from domain.clock import utcnow
from domain.commands import (
    CreateAdmin,
    CreateCustomRole,
    CreateOrganization,
    DeactivateUser,
    IssueApiToken,
    IssueScimToken,
)
from domain.credentials import display_prefix
from domain.models import (
    AuditEvent,
    HeldChange,
    HeldChangeStatus,
    Organization,
    ProvisioningRequest,
    Role,
    SsoConnection,
    SsoProtocol,
    Token,
    TokenKind,
    User,
)
from domain.paging import id_cursor
from domain.queries import user_cursor
from scim.app import create_scim_app
from scim.requests import ScimConfig
from tests.api.conftest import CSRF, GraphQLClient
from tests.conftest import provision
from tests.scim.conftest import PATCH_SCHEMA, SCIM_JSON, okta_user
from tests.sso.saml_idp import SamlIdp

BASE = "http://roster.test"
ADMIN_EMAIL = "admin@shared.test"  # the admin of each organization: one email, two accounts
LOOK_ALIKES = ("jane@shared.test", "joe@shared.test")


@dataclass
class Tenant:
    """An organization, its credentials, its custom role and its users by userName."""

    organization: Organization
    password: str
    admin_id: str = ""
    scim_token: str = ""
    scim_token_id: str = ""
    scim_prefix: str = ""
    api_token: str = ""
    api_token_id: str = ""
    api_prefix: str = ""
    role_key: str = ""
    users: dict[str, User] = field(default_factory=dict)

    def id_of(self, user_name: str) -> str:
        return str(self.users[user_name].id)


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch) -> None:
    """argon2 at its lowest cost: each test signs its admins in, at half a second each else."""
    cheap = credentials._passwords.copy(
        argon2__rounds=1, argon2__memory_cost=8, argon2__parallelism=1
    )
    monkeypatch.setattr(credentials, "_passwords", cheap)


async def _tenant(slug: str, name: str, password: str) -> Tenant:
    organization = await bus.handle(CreateOrganization(slug, name), Actor.operator())
    tenant = Tenant(organization, password)
    operator = Actor.operator(organization.id)
    admin = await bus.handle(CreateAdmin(ADMIN_EMAIL, password), operator)
    tenant.admin_id = str(admin.id)
    tenant.users[ADMIN_EMAIL] = admin
    scim = await bus.handle(IssueScimToken(f"{name} Okta"), operator)
    tenant.scim_token, tenant.scim_token_id = scim.secret, str(scim.token.id)
    tenant.scim_prefix = display_prefix(scim.token.lookup, TokenKind.SCIM)
    as_admin = Actor.admin(
        user_id=tenant.admin_id,
        label=ADMIN_EMAIL,
        organization_id=organization.id,
        permission_level="super-admin",
    )
    api = await bus.handle(IssueApiToken(f"{name} script"), as_admin)
    tenant.api_token, tenant.api_token_id = api.secret, str(api.token.id)
    tenant.api_prefix = display_prefix(api.token.lookup, TokenKind.API)
    role = await bus.handle(CreateCustomRole(f"{name} auditors", "admin"), operator)
    tenant.role_key = role.key
    return tenant


def _provider(tenant: Tenant) -> Actor:
    return Actor.scim_token(tenant.scim_token_id, "Okta", tenant.organization.id)


@pytest.fixture
async def tenants(db) -> tuple[Tenant, Tenant]:
    acme = await _tenant("acme", "Acme", "acme password 1")
    globex = await _tenant("globex", "Globex Corporation", "globex password 2")
    for user_name in LOOK_ALIKES:  # turn about: acme's, globex's, acme's, ...
        for tenant in (acme, globex):
            tenant.users[user_name] = await provision(
                _provider(tenant),
                user_name,
                external_id="00u-" + user_name.split("@")[0],
                role=tenant.role_key if user_name.startswith("jane") else None,
            )
    acme.users["former@acme.test"] = await provision(_provider(acme), "former@acme.test")
    globex.users["ghost@globex.test"] = await provision(_provider(globex), "ghost@globex.test")
    globex.users["gone@globex.test"] = await provision(_provider(globex), "gone@globex.test")
    for tenant, user_name in ((acme, "former@acme.test"), (globex, "gone@globex.test")):
        await bus.handle(DeactivateUser(tenant.id_of(user_name)), _provider(tenant))
        await tenant.users[user_name].refresh_from_db()
    return acme, globex


@pytest.fixture
def a(tenants) -> Tenant:
    """acme, whose credentials every test uses."""
    return tenants[0]


@pytest.fixture
async def b(tenants) -> AsyncIterator[Tenant]:
    """globex, whose data acme's credentials must never reach: it is the same after the test,
    audit log included."""
    before = await state_of(tenants[1])
    yield tenants[1]
    assert await state_of(tenants[1]) == before


async def state_of(tenant: Tenant) -> dict[str, Any]:
    """Everything an organization holds, but when its tokens were last used and its admin's
    own sign-ins (the logout check signs globex's admin in)."""
    org = tenant.organization.id
    own_sign_ins = ["admin.signed_in", "admin.signed_out"]
    return {
        "organization": await Organization.filter(id=org).values(
            "slug", "name", "default_role_key"
        ),
        "users": await User.filter(organization_id=org)
        .order_by("id")
        .values(
            "id",
            "user_name",
            "external_id",
            "display_name",
            "title",
            "active",
            "role_id",
            "role_origin",
            "version",
            "emails",
            "updated_at",
        ),
        "roles": await Role.filter(organization_id=org)
        .order_by("id")
        .values("key", "name", "description", "permission_level", "restricted_apps"),
        "tokens": await Token.filter(organization_id=org)
        .exclude(kind=TokenKind.SESSION)
        .order_by("id")
        .values("id", "kind", "name", "revoked_at"),
        "audit_events": await AuditEvent.filter(organization_id=org)
        .exclude(action__in=own_sign_ins)
        .order_by("id")
        .values("id", "action", "target_id", "changes"),
    }


# --- clients --------------------------------------------------------------------------------


def scim_client(app_transport, token: str) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": SCIM_JSON}
    return httpx.AsyncClient(transport=app_transport, base_url=f"{BASE}/scim/v2", headers=headers)


@pytest.fixture
async def scim_a(app_transport, a) -> AsyncIterator[httpx.AsyncClient]:
    async with scim_client(app_transport, a.scim_token) as client:
        yield client


@pytest.fixture
async def scim_b(app_transport, b) -> AsyncIterator[httpx.AsyncClient]:
    async with scim_client(app_transport, b.scim_token) as client:
        yield client


@asynccontextmanager
async def graphql_client(app_transport, tenant: Tenant, by: str) -> AsyncIterator[GraphQLClient]:
    headers = {"Authorization": f"Bearer {tenant.api_token}"} if by == "api_token" else {}
    async with httpx.AsyncClient(transport=app_transport, base_url=BASE, headers=headers) as http:
        client = GraphQLClient(http)
        if by == "session":
            signed_in = await client.login(ADMIN_EMAIL, tenant.password)
            assert signed_in["__typename"] == "LoginPayload", signed_in
        yield client


@pytest.fixture(params=["api_token", "session"])
async def graphql_a(request, app_transport, a) -> AsyncIterator[GraphQLClient]:
    """acme's super-admin, by personal API token or signed in (same email as globex's admin)."""
    async with graphql_client(app_transport, a, request.param) as client:
        yield client


def ids_of(body: dict[str, Any]) -> list[str]:
    return [resource["id"] for resource in body["Resources"]]


def own_ids(tenant: Tenant, active: bool | None = None) -> set[str]:
    return {
        str(user.id) for user in tenant.users.values() if active is None or user.active == active
    }


def assert_no_trace_of(b: Tenant, text: str) -> None:
    """Nothing that only globex holds appears in a response to acme."""
    for secret in (
        *(str(user.id) for user in b.users.values()),
        "globex",  # its slug, its name, its people's addresses, its tokens' names
        b.role_key,
        b.scim_token_id,
        b.api_token_id,
        b.scim_prefix,
        b.api_prefix,
        b.admin_id,
    ):
        assert secret.lower() not in text.lower(), secret


# === SCIM =====================================================================================

# each route of the SCIM app, and the test that checks it
SCIM_CHECKED = {
    ("GET", "/Users"): "test_scim_filters_... and the listing and paging tests",
    ("POST", "/Users"): "test_scim_a_user_name_taken_in_another_organization_is_free_here",
    ("POST", "/Users/.search"): "test_scim_filters_... and the paging tests",
    ("POST", "/.search"): "test_scim_filters_find_only_the_organization_s_users",
    ("GET", "/Users/{user_id}"): "test_scim_another_organization_s_user_is_not_found",
    ("PUT", "/Users/{user_id}"): "test_scim_another_organization_s_user_cannot_be_changed",
    ("PATCH", "/Users/{user_id}"): "test_scim_another_organization_s_user_cannot_be_changed",
    ("DELETE", "/Users/{user_id}"): "test_scim_another_organization_s_user_cannot_be_changed",
    # tests/scim/test_groups.py
    ("GET", "/Groups"): "test_another_organization_cannot_see_or_change_the_group",
    ("POST", "/Groups"): "test_a_member_that_is_no_user_of_the_organization_is_refused",
    ("POST", "/Groups/.search"): "test_a_group_search_finds_only_the_organization_s_groups",
    ("GET", "/Groups/{group_id}"): "test_another_organization_cannot_see_or_change_the_group",
    ("PUT", "/Groups/{group_id}"): "test_another_organization_cannot_see_or_change_the_group",
    ("PATCH", "/Groups/{group_id}"): "test_another_organization_cannot_see_or_change_the_group",
    ("DELETE", "/Groups/{group_id}"): "test_another_organization_cannot_see_or_change_the_group",
    ("GET", "/ServiceProviderConfig"): "test_scim_discovery_shows_only_the_organization_s_roles",
    ("GET", "/ResourceTypes"): "test_scim_discovery_shows_only_the_organization_s_roles",
    ("GET", "/ResourceTypes/{name}"): "test_scim_discovery_shows_only_the_organization_s_roles",
    ("GET", "/Schemas"): "test_scim_discovery_shows_only_the_organization_s_roles",
    ("GET", "/Schemas/{urn}"): "test_scim_discovery_shows_only_the_organization_s_roles",
}


def test_every_scim_route_is_checked():
    app = create_scim_app(ScimConfig(base_url=f"{BASE}/scim/v2"))
    served = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    assert served == set(SCIM_CHECKED)


async def test_scim_another_organization_s_user_is_not_found(scim_a, a, b):
    for user_name, user in b.users.items():
        for response in (
            await scim_a.get(f"/Users/{user.id}"),
            await scim_a.get(f"/Users/{user.id}", params={"attributes": "userName"}),
            await scim_a.get(f"/Users/{user.id}", headers={"If-None-Match": 'W/"1"'}),
            await scim_a.get(f"/Users/{user.id}", headers={"If-None-Match": "*"}),
        ):
            assert response.status_code == 404, (user_name, response.text)
            assert_no_trace_of(b, response.text.replace(str(user.id), "ID"))
    # the look-alikes' ids lead to acme's own
    for user_name in LOOK_ALIKES:
        response = await scim_a.get(f"/Users/{a.id_of(user_name)}")
        assert response.json()["userName"] == user_name


# filter -> acme's users it finds; {a:NAME} and {b:NAME} stand for the ids of acme's and
# globex's NAME, {a:role} and {b:role} for their custom roles' keys
FILTERS: dict[str, Callable[[Tenant], set[str]]] = {
    'userName eq "jane@shared.test"': lambda a: {a.id_of("jane@shared.test")},
    'userName eq "JANE@shared.test"': lambda a: {a.id_of("jane@shared.test")},
    'userName eq "ghost@globex.test"': lambda a: set(),
    'userName sw "ghost"': lambda a: set(),
    'userName co "globex"': lambda a: set(),
    'id eq "{b:jane@shared.test}"': lambda a: set(),
    'id eq "{a:jane@shared.test}"': lambda a: {a.id_of("jane@shared.test")},
    'externalId eq "00u-jane"': lambda a: {a.id_of("jane@shared.test")},
    "externalId pr": lambda a: own_ids(a) - {a.admin_id},
    'emails[value eq "ghost@globex.test"]': lambda a: set(),
    'emails.value co "shared.test"': lambda a: {
        a.admin_id,
        a.id_of("jane@shared.test"),
        a.id_of("joe@shared.test"),
    },
    "userName pr": own_ids,
    'not (userName eq "jane@shared.test")': lambda a: own_ids(a) - {a.id_of("jane@shared.test")},
    'userName eq "ghost@globex.test" or id eq "{b:joe@shared.test}" or userName eq "joe@shared.test"': (  # noqa: E501
        lambda a: {a.id_of("joe@shared.test")}
    ),
    'meta.created gt "2000-01-01T00:00:00Z"': own_ids,
    "active eq false": lambda a: own_ids(a, active=False),
    'permissionsRole eq "{b:role}"': lambda a: set(),
    'permissionsRole eq "{a:role}"': lambda a: {a.id_of("jane@shared.test")},
}


def _filled(template: str, a: Tenant, b: Tenant) -> str:
    for tenant, side in ((a, "a"), (b, "b")):
        template = template.replace("{%s:role}" % side, tenant.role_key)
        for user_name in tenant.users:
            template = template.replace("{%s:%s}" % (side, user_name), tenant.id_of(user_name))
    return template


@pytest.mark.parametrize("how", ["GET /Users", "POST /Users/.search", "POST /.search"])
async def test_scim_filters_find_only_the_organization_s_users(scim_a, a, b, how):
    for expression, expected in FILTERS.items():
        text = _filled(expression, a, b)
        if how == "GET /Users":
            response = await scim_a.get(f"/Users?filter={quote(text)}&count=1000")
        else:
            search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
            body = {**search, "filter": text, "count": 1000}
            response = await scim_a.post(how.split()[1], json=body)
        assert response.status_code == 200, (expression, response.text)
        found = response.json()
        assert set(ids_of(found)) == expected(a), expression
        assert found["totalResults"] == len(expected(a)), expression
        assert_no_trace_of(b, response.text)


async def test_scim_a_listing_holds_only_the_organization_s_users(scim_a, a, b):
    body = (await scim_a.get("/Users")).json()
    assert set(ids_of(body)) == own_ids(a)
    assert body["totalResults"] == len(own_ids(a))


async def test_scim_start_index_pages_hold_only_the_organization_s_users(scim_a, scim_b, a, b):
    # globex walks first: the walk memory (domain/walks.py) must keep its page ends to itself
    for start in range(1, len(b.users) + 2):
        await scim_b.get(f"/Users?startIndex={start}&count=1")
    seen: list[str] = []
    for start in range(1, len(a.users) + 3):
        body = (await scim_a.get(f"/Users?startIndex={start}&count=1")).json()
        assert body["totalResults"] == len(a.users)
        seen += ids_of(body)
    assert sorted(seen) == sorted(own_ids(a))
    for count in (2, 3):  # pages of other sizes, and by .search
        seen = []
        for start in range(1, len(a.users) + 1, count):
            search = {"startIndex": start, "count": count}
            seen += ids_of((await scim_a.post("/Users/.search", json=search)).json())
        assert sorted(seen) == sorted(own_ids(a))


async def test_scim_cursor_pages_hold_only_the_organization_s_users(scim_a, a, b):
    seen: list[str] = []
    cursor = ""
    while cursor is not None:
        body = (await scim_a.get(f"/Users?count=1&cursor={quote(cursor)}")).json()
        seen += ids_of(body)
        cursor = body.get("nextCursor")
    assert sorted(seen) == sorted(own_ids(a))


async def test_scim_a_cursor_from_another_organization_reveals_nothing(scim_a, scim_b, a, b):
    cursors = []
    cursor = ""
    while cursor is not None:  # every cursor of globex's walk
        body = (await scim_b.get(f"/Users?count=1&cursor={quote(cursor)}")).json()
        cursor = body.get("nextCursor")
        if cursor:
            cursors.append(cursor)
    sorts = ["", "&sortBy=userName", "&sortBy=meta.lastModified&sortOrder=descending"]
    cursors += [user_cursor(user, "user_name") for user in b.users.values()]
    cursors += [user_cursor(user, "created_at") for user in b.users.values()]
    for cursor in cursors:
        for sort in sorts:
            response = await scim_a.get(f"/Users?count=100&cursor={quote(cursor)}{sort}")
            if response.status_code == 400:  # a cursor of another sort order
                assert response.json()["scimType"] == "invalidCursor"
                continue
            assert set(ids_of(response.json())) <= own_ids(a), cursor
            assert_no_trace_of(b, response.text)
            search = {"cursor": cursor, "count": 100}
            response = await scim_a.post("/Users/.search", json=search)
            if response.status_code == 200:
                assert set(ids_of(response.json())) <= own_ids(a)


def _patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


async def test_scim_another_organization_s_user_cannot_be_changed(scim_a, a, b):
    for user_name in ("jane@shared.test", "ghost@globex.test", "gone@globex.test"):
        path = f"/Users/{b.id_of(user_name)}"
        attempts = [
            scim_a.put(path, json=okta_user(user_name, displayName="Taken over")),
            scim_a.put(path, json=okta_user(user_name), headers={"If-Match": 'W/"1"'}),
            scim_a.patch(path, json=_patch({"op": "replace", "value": {"active": False}})),
            scim_a.patch(path, json=_patch({"op": "replace", "path": "active", "value": "True"})),
            scim_a.patch(path, json=_patch({"op": "replace", "path": "title", "value": "Spy"})),
            scim_a.patch(
                path,
                json=_patch({"op": "add", "path": "permissionsRole", "value": b.role_key}),
                headers={"If-Match": 'W/"1"'},
            ),
            scim_a.patch(path, json=_patch({"op": "remove", "path": "permissionsRole"})),
            scim_a.delete(path),
            scim_a.delete(path, headers={"If-Match": 'W/"1"'}),
        ]
        for attempt in attempts:
            response = await attempt
            assert response.status_code == 404, response.text  # never 412: no version told
            assert_no_trace_of(b, response.text.replace(b.id_of(user_name), "ID"))


async def test_scim_a_user_name_taken_in_another_organization_is_free_here(scim_a, a, b):
    body = okta_user("ghost@globex.test", externalId="00u-jane", displayName="Acme's ghost")
    created = await scim_a.post("/Users", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["id"] not in own_ids(b)
    ghost = quote('userName eq "ghost@globex.test"')
    found = await scim_a.get(f"/Users?filter={ghost}")
    assert ids_of(found.json()) == [created.json()["id"]]
    # a role string of the other organization is unknown here, and not listed as accepted
    refused = await scim_a.post(
        "/Users", json=okta_user("spy@acme.test", permissionsRole=b.role_key)
    )
    assert refused.status_code == 400, refused.text
    assert b.role_key in refused.json()["detail"].split(";")[0]  # named as the unknown value
    assert b.role_key not in refused.json()["detail"].split(";")[1]  # but never as accepted
    # a rename of acme's jane onto a userName of globex is no conflict either
    renamed = await scim_a.put(
        f"/Users/{a.id_of('jane@shared.test')}", json=okta_user("gone@globex.test")
    )
    assert renamed.status_code == 200, renamed.text


async def test_scim_discovery_shows_only_the_organization_s_roles(scim_a, a, b):
    for path in (
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/ResourceTypes/User",
        "/Schemas",
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
    ):
        response = await scim_a.get(path)
        assert response.status_code == 200, response.text
        assert_no_trace_of(b, response.text)
    assert a.role_key in (await scim_a.get("/Schemas")).text


# === GraphQL: queries =========================================================================


@dataclass
class Case:
    """acme's client (API token or session), both organizations, and the app to reach."""

    client: GraphQLClient
    a: Tenant
    b: Tenant
    transport: httpx.ASGITransport

    async def ask(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a request that must succeed, with no trace of globex in it."""
        return await ask(self.client, self.b, query, **variables)

    async def errors(self, query: str, **variables: Any) -> list[dict[str, Any]]:
        response = await self.client.post(query, variables, **CSRF)
        body = response.json()
        assert body.get("errors"), body
        assert_no_trace_of(self.b, _without(response.text, variables.values()))
        return list(body["errors"])

    async def mutate(self, mutation: str, **values: str | int) -> dict[str, Any]:
        """The result of one mutation, its `%(name)s` replaced by the values as literals."""
        literals = {name: json.dumps(value) for name, value in values.items()}
        response = await self.client.post("mutation { m: %s }" % (mutation % literals), **CSRF)
        body = response.json()
        assert "errors" not in body, body
        assert_no_trace_of(self.b, _without(response.text, values.values()))
        return dict(body["data"]["m"])

    def http(self, **headers: str) -> httpx.AsyncClient:
        """Another client of the app (a browser, a script)."""
        return httpx.AsyncClient(transport=self.transport, base_url=BASE, headers=headers)


async def ask(client: GraphQLClient, b: Tenant, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post(query, variables, **CSRF)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    assert_no_trace_of(b, _without(response.text, variables.values()))
    return dict(body["data"])


def _without(text: str, arguments: Any) -> str:
    """The response without what the request itself named (a "not found" names it back)."""
    for value in arguments:
        if isinstance(value, str) and value:
            text = text.replace(value, "ARGUMENT")
    return text


Check = Callable[[Case], Awaitable[None]]
QUERY_CHECKS: dict[str, Check] = {}
MUTATION_CHECKS: dict[str, Check] = {}


def checks(registry: dict[str, Check], field_name: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        registry[field_name] = check
        return check

    return register


@checks(QUERY_CHECKS, "viewer")
async def _viewer(case: Case) -> None:
    data = await case.ask(
        "{ viewer { user { id userName } organization { slug name } permissions } }"
    )
    assert data["viewer"]["user"]["id"] == case.a.admin_id
    assert data["viewer"]["organization"]["slug"] == "acme"


@checks(QUERY_CHECKS, "organization")
async def _organization(case: Case) -> None:
    data = await case.ask("{ organization { id slug name defaultRole { key userCount } } }")
    assert data["organization"]["id"] == "acme"
    counts = await own_role_counts(case.a)
    assert data["organization"]["defaultRole"]["userCount"] == counts["basic-user"]


USERS = """query($search: String, $after: String, $role: String, $active: Boolean) {
  users(first: 200, search: $search, after: $after, role: $role, active: $active) {
    totalCount edges { cursor node { id userName externalId role { key } } }
  }
}"""


def user_ids(data: dict[str, Any]) -> set[str]:
    return {edge["node"]["id"] for edge in data["users"]["edges"]}


@checks(QUERY_CHECKS, "users")
async def _users(case: Case) -> None:
    a = case.a
    everyone = await case.ask(USERS)
    assert user_ids(everyone) == own_ids(a)
    assert everyone["users"]["totalCount"] == len(a.users)
    for search in ("ghost", "globex", "gone"):
        assert user_ids(await case.ask(USERS, search=search)) == set()
    assert user_ids(await case.ask(USERS, search="jane")) == {a.id_of("jane@shared.test")}
    assert user_ids(await case.ask(USERS, active=False)) == own_ids(a, active=False)
    assert user_ids(await case.ask(USERS, role=a.role_key)) == {a.id_of("jane@shared.test")}
    # globex's role is unknown here (and not among the accepted roles the error lists)
    (error,) = await case.errors(USERS, role=case.b.role_key)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    # a cursor made of globex's users is a position, not a way in
    for user in case.b.users.values():
        page = await case.ask(USERS, after=user_cursor(user, "user_name"))
        assert user_ids(page) <= own_ids(a)


@checks(QUERY_CHECKS, "user")
async def _user(case: Case) -> None:
    query = "query($id: ID!) { user(id: $id) { id userName } }"
    for user in case.b.users.values():
        assert (await case.ask(query, id=str(user.id)))["user"] is None
    jane = case.a.id_of("jane@shared.test")
    assert (await case.ask(query, id=jane))["user"]["id"] == jane


@checks(QUERY_CHECKS, "groups")
async def _groups(case: Case) -> None:
    ours = await acme_group(case)
    found = await case.ask("{ groups { totalCount edges { node { id memberCount } } } }")
    assert [e["node"]["id"] for e in found["groups"]["edges"]] == [ours]


@checks(QUERY_CHECKS, "group")
async def _group(case: Case) -> None:
    ours = await acme_group(case)
    query = "query($id: ID!) { group(id: $id) { id } }"
    for named in [str(uuid.uuid4()), *(str(user.id) for user in case.b.users.values())]:
        assert (await case.ask(query, id=named))["group"] is None
    assert (await case.ask(query, id=ours))["group"] == {"id": ours}


ROLE_FIELDS = "id key name description builtIn permissionLevel restrictedApps userCount"


async def own_role_counts(tenant: Tenant) -> dict[str, int]:
    counts = dict.fromkeys(
        await Role.filter(organization_id=tenant.organization.id).values_list("key", flat=True), 0
    )
    for user in await User.filter(organization_id=tenant.organization.id).prefetch_related("role"):
        counts[user.role.key] += 1
    return counts


@checks(QUERY_CHECKS, "roles")
async def _roles(case: Case) -> None:
    roles = (await case.ask("{ roles { %s } }" % ROLE_FIELDS))["roles"]
    assert {role["key"]: role["userCount"] for role in roles} == await own_role_counts(case.a)


@checks(QUERY_CHECKS, "role")
async def _role(case: Case) -> None:
    query = "query($id: ID!) { role(id: $id) { %s } }" % ROLE_FIELDS
    assert (await case.ask(query, id=case.b.role_key))["role"] is None
    counts = await own_role_counts(case.a)
    for key in (case.a.role_key, "basic-user", "super-admin"):
        assert (await case.ask(query, id=key))["role"]["userCount"] == counts[key]


TOKEN_FIELDS = "id name prefix createdAt lastUsedAt revokedAt createdBy { id userName }"


@checks(QUERY_CHECKS, "scimTokens")
async def _scim_tokens(case: Case) -> None:
    tokens = (await case.ask("{ scimTokens { %s } }" % TOKEN_FIELDS))["scimTokens"]
    assert [token["id"] for token in tokens] == [case.a.scim_token_id]


@checks(QUERY_CHECKS, "apiTokens")
async def _api_tokens(case: Case) -> None:
    tokens = (await case.ask("{ apiTokens { %s } }" % TOKEN_FIELDS))["apiTokens"]
    assert [token["id"] for token in tokens] == [case.a.api_token_id]
    assert tokens[0]["createdBy"]["id"] == case.a.admin_id


EVENTS = """query($after: String, $targetId: ID, $action: String) {
  auditEvents(first: 200, after: $after, targetId: $targetId, action: $action) {
    totalCount edges { node { id action targetId targetName actor { kind label id } changes
      target { __typename ... on User { id userName } ... on Role { key name userCount }
               ... on TokenFields { id name createdBy { id } } } } }
  }
}"""


def event_ids(data: dict[str, Any]) -> set[str]:
    return {edge["node"]["id"] for edge in data["auditEvents"]["edges"]}


@checks(QUERY_CHECKS, "auditEvents")
async def _audit_events(case: Case) -> None:
    events = AuditEvent.filter(organization_id=case.a.organization.id)
    own = {str(event_id) for event_id in await events.values_list("id", flat=True)}
    everything = await case.ask(EVENTS)
    assert event_ids(everything) == own
    assert everything["auditEvents"]["totalCount"] == len(own)
    for user in case.b.users.values():
        assert event_ids(await case.ask(EVENTS, targetId=str(user.id))) == set()
    assert event_ids(await case.ask(EVENTS, action="organization.created")) <= own
    for event in await AuditEvent.filter(organization_id=case.b.organization.id):
        assert event_ids(await case.ask(EVENTS, after=id_cursor(event))) <= own


@checks(QUERY_CHECKS, "provisioningRequests")
async def _provisioning_requests(case: Case) -> None:
    globex_user = next(iter(case.b.users.values()))
    rows = [
        ProvisioningRequest(
            organization_id=tenant.organization.id,
            at=utcnow(),
            token_name=f"{tenant.organization.slug}'s Okta",
            method="GET",
            path=f"/Users/{globex_user.id}",
            status=200,
            duration_ms=1.0,
            user_id=globex_user.id if tenant is case.b else None,
        )
        for tenant in (case.a, case.b)
    ]
    await ProvisioningRequest.bulk_create(rows)
    query = """query($userId: ID, $after: String) {
      provisioningRequests(userId: $userId, after: $after) { totalCount edges { node { id } } } }"""
    try:
        mine = await case.ask(query)
        assert mine["provisioningRequests"]["totalCount"] == 1
        theirs = await case.ask(query, userId=str(globex_user.id))
        assert theirs["provisioningRequests"]["totalCount"] == 0
        globex_entry = await ProvisioningRequest.get(organization_id=case.b.organization.id)
        own = await ProvisioningRequest.get(organization_id=case.a.organization.id)
        after = await case.ask(query, after=id_cursor(globex_entry))
        shown = {edge["node"]["id"] for edge in after["provisioningRequests"]["edges"]}
        assert shown <= {str(own.id)}
    finally:
        await ProvisioningRequest.all().delete()


@checks(QUERY_CHECKS, "heldChanges")
async def _held_changes(case: Case) -> None:
    await globex_holds(case)
    try:
        assert (await case.ask("{ heldChanges { id userName } }"))["heldChanges"] == []
    finally:
        await globex_unheld(case)


@checks(QUERY_CHECKS, "scimSetup")
async def _scim_setup(case: Case) -> None:
    data = await case.ask("{ scimSetup { baseUrl roleStrings { value name } } }")
    values = {role["value"] for role in data["scimSetup"]["roleStrings"]}
    assert values == set(await own_role_counts(case.a))


def root_fields(operation: str) -> set[str]:
    schema = graphql.build_schema(schema_sdl())
    root = schema.query_type if operation == "query" else schema.mutation_type
    assert root is not None
    return set(root.fields)


def test_every_query_field_is_checked():
    assert set(QUERY_CHECKS) == root_fields("query")


@pytest.mark.parametrize("field_name", sorted(QUERY_CHECKS))
async def test_a_query_shows_nothing_of_another_organization(case, field_name):
    await QUERY_CHECKS[field_name](case)


@pytest.fixture
def case(graphql_a, a, b, app_transport) -> Case:
    return Case(graphql_a, a, b, app_transport)


# === GraphQL: mutations =======================================================================

RESULT = "{ __typename ... on Error { message } }"


@checks(MUTATION_CHECKS, "login")
async def _login(case: Case) -> None:
    async with case.http() as http:
        browser = GraphQLClient(http)
        signed_in = await browser.login(ADMIN_EMAIL, case.a.password)  # both admins' email
        assert signed_in["viewer"]["user"]["id"] == case.a.admin_id
        viewer = await ask(browser, case.b, "{ viewer { organization { slug } } }")
        assert viewer["viewer"]["organization"]["slug"] == "acme"
        wrong = await browser.login(ADMIN_EMAIL, "acme password 2")
        assert wrong["__typename"] == "AuthenticationError"


@checks(MUTATION_CHECKS, "logout")
async def _logout(case: Case) -> None:
    async with case.http() as http:
        globex_admin = GraphQLClient(http)
        await globex_admin.login(ADMIN_EMAIL, case.b.password)
        await case.mutate("logout { signedOut }")
        viewer = await globex_admin("{ viewer { organization { slug } } }")
        assert viewer["viewer"]["organization"]["slug"] == "globex"  # still signed in


@checks(MUTATION_CHECKS, "generateScimToken")
async def _generate_scim_token(case: Case) -> None:
    issued = await case.mutate(
        'generateScimToken(name: "new") '
        "{ ... on GenerateScimTokenPayload { token scimToken { id } } }"
    )
    token = await Token.get(id=issued["scimToken"]["id"])
    assert token.organization_id == case.a.organization.id
    async with scim_client(case.transport, issued["token"]) as scim:
        assert set(ids_of((await scim.get("/Users")).json())) == own_ids(case.a)


@checks(MUTATION_CHECKS, "revokeScimToken")
async def _revoke_scim_token(case: Case) -> None:
    for reference in (case.b.scim_token_id, case.b.scim_prefix):
        result = await case.mutate("revokeScimToken(id: %(id)s) " + RESULT, id=reference)
        assert result["__typename"] == "NotFoundError", result
    async with scim_client(case.transport, case.b.scim_token) as scim:
        assert (await scim.get("/Users")).status_code == 200


@checks(MUTATION_CHECKS, "createApiToken")
async def _create_api_token(case: Case) -> None:
    issued = await case.mutate(
        'createApiToken(name: "new") { ... on CreateApiTokenPayload { token apiToken { id } } }'
    )
    token = await Token.get(id=issued["apiToken"]["id"])
    assert token.organization_id == case.a.organization.id
    async with case.http(Authorization=f"Bearer {issued['token']}") as http:
        viewer = await ask(GraphQLClient(http), case.b, "{ viewer { organization { slug } } }")
        assert viewer["viewer"]["organization"]["slug"] == "acme"


@checks(MUTATION_CHECKS, "revokeApiToken")
async def _revoke_api_token(case: Case) -> None:
    for reference in (case.b.api_token_id, case.b.api_prefix):
        result = await case.mutate("revokeApiToken(id: %(id)s) " + RESULT, id=reference)
        assert result["__typename"] == "NotFoundError", result
    async with case.http(Authorization=f"Bearer {case.b.api_token}") as http:
        viewer = await GraphQLClient(http)("{ viewer { organization { slug } } }")
        assert viewer["viewer"]["organization"]["slug"] == "globex"


@checks(MUTATION_CHECKS, "createCustomRole")
async def _create_custom_role(case: Case) -> None:
    created = await case.mutate(
        'createCustomRole(input: {name: "Copycats", permissionLevel: "admin"}) '
        "{ ... on CustomRolePayload { role { key } } }"
    )
    role = await Role.get(key=created["role"]["key"])
    assert role.organization_id == case.a.organization.id


@checks(MUTATION_CHECKS, "updateCustomRole")
async def _update_custom_role(case: Case) -> None:
    for change in ('{name: "Taken over"}', '{permissionLevel: "super-admin"}', "{}"):
        result = await case.mutate(
            "updateCustomRole(id: %%(id)s, input: %s) %s" % (change, RESULT), id=case.b.role_key
        )
        assert result["__typename"] == "NotFoundError", result


@checks(MUTATION_CHECKS, "deleteCustomRole")
async def _delete_custom_role(case: Case) -> None:
    delete = "deleteCustomRole(id: %(id)s, reassignTo: %(to)s) " + RESULT
    for reassign in ("basic-user", case.b.role_key):
        result = await case.mutate(delete, id=case.b.role_key, to=reassign)
        assert result["__typename"] == "NotFoundError", result
    # acme's own role, held by acme's jane, cannot move its users to globex's role
    result = await case.mutate(delete, id=case.a.role_key, to=case.b.role_key)
    assert result["__typename"] == "ValidationError", result
    assert await Role.exists(key=case.a.role_key)


async def _never_found(case: Case, mutation: str) -> None:
    """A user mutation on each of globex's users, with and without its current version (a
    version conflict would tell that the user exists and its version)."""
    for user in case.b.users.values():
        for version in ("", ", expectedVersion: %d" % user.version, ", expectedVersion: 999"):
            result = await case.mutate(mutation % version + " " + RESULT, id=str(user.id))
            assert result["__typename"] == "NotFoundError", (mutation, result)


@checks(MUTATION_CHECKS, "setUserRole")
async def _set_user_role(case: Case) -> None:
    await _never_found(case, 'setUserRole(userId: %%(id)s, role: "admin"%s)')
    result = await case.mutate(
        "setUserRole(userId: %(id)s, role: %(role)s) " + RESULT,
        id=case.a.id_of("joe@shared.test"),
        role=case.b.role_key,
    )
    assert result["__typename"] == "ValidationError", result


async def acme_group(case: Case) -> str:
    """A group of acme's, with acme's joe in it (globex's data is left as it was)."""
    from domain.commands import CreateGroup, NewMember

    member = (NewMember(case.a.id_of("joe@shared.test")),)
    group = await bus.handle(
        CreateGroup(f"Ours {uuid.uuid4().hex[:6]}", members=member),
        Actor.operator(case.a.organization.id),
    )
    return str(group.id)


@checks(MUTATION_CHECKS, "setGroupRole")
async def _set_group_role(case: Case) -> None:
    # ids of globex's rows and an id of no row are alike: not found
    for named in [str(uuid.uuid4()), *(str(user.id) for user in case.b.users.values())]:
        result = await case.mutate(
            'setGroupRole(groupId: %(id)s, roleId: "admin") ' + RESULT, id=named
        )
        assert result["__typename"] == "NotFoundError", result
    result = await case.mutate(
        "setGroupRole(groupId: %(id)s, roleId: %(role)s) " + RESULT,
        id=await acme_group(case),
        role=case.b.role_key,
    )
    assert result["__typename"] == "ValidationError", result


@checks(MUTATION_CHECKS, "deactivateUser")
async def _deactivate_user(case: Case) -> None:
    await _never_found(case, "deactivateUser(id: %%(id)s%s)")


@checks(MUTATION_CHECKS, "reactivateUser")
async def _reactivate_user(case: Case) -> None:
    await _never_found(case, "reactivateUser(id: %%(id)s%s)")


async def globex_sso_connection(case: Case) -> SsoConnection:
    return await SsoConnection.create(
        organization_id=case.b.organization.id,
        protocol=SsoProtocol.OIDC,
        issuer="https://globex.example",
        client_id="globex-client",
        provider={},
    )


@checks(MUTATION_CHECKS, "configureOidcConnection")
async def _configure_oidc_connection(case: Case) -> None:
    theirs = await globex_sso_connection(case)
    result = await case.mutate(
        'configureOidcConnection(input: {issuer: "http://127.0.0.1:9", clientId: "acme", '
        'clientSecret: "acme-secret"}) ' + RESULT
    )
    assert result["__typename"] == "ValidationError", result
    assert (await SsoConnection.get(id=theirs.id)).client_id == "globex-client"
    data = await case.ask("{ organization { ssoConnections { id issuer clientId } } }")
    assert data["organization"]["ssoConnections"] == []


@checks(MUTATION_CHECKS, "configureSamlConnection")
async def _configure_saml_connection(case: Case) -> None:
    theirs = await SsoConnection.create(
        organization_id=case.b.organization.id,
        protocol=SsoProtocol.SAML,
        issuer="https://globex.example/saml",
        provider={"sso_url": "https://globex.example/sso", "metadata_xml": "<x/>"},
    )
    idp = SamlIdp(base="https://idp.acme.example", folder=Path(tempfile.mkdtemp()))
    result = await case.mutate(
        "configureSamlConnection(input: {metadataXml: %(xml)s}) " + RESULT, xml=idp.metadata()
    )
    assert result["__typename"] == "SsoConnectionPayload", result
    assert (await SsoConnection.get(id=theirs.id)).issuer == "https://globex.example/saml"
    data = await case.ask("{ organization { ssoConnections { protocol issuer } } }")
    assert data["organization"]["ssoConnections"] == [
        {"protocol": "saml", "issuer": "https://idp.acme.example/metadata"}
    ]


@checks(MUTATION_CHECKS, "setSsoEnforced")
async def _set_sso_enforced(case: Case) -> None:
    theirs = await globex_sso_connection(case)
    theirs.tested_at = theirs.created_at  # globex's connection signed someone in; acme's none
    await theirs.save()
    result = await case.mutate(
        "setSsoEnforced(enforced: true, breakGlassUserId: %(id)s) " + RESULT, id=case.a.admin_id
    )
    assert result["__typename"] == "ValidationError", result
    for named in (str(user.id) for user in case.b.users.values()):
        await SsoConnection.filter(organization_id=case.a.organization.id).delete()
        result = await case.mutate(
            "setSsoEnforced(enforced: false, breakGlassUserId: %(id)s) " + RESULT, id=named
        )
        assert result["__typename"] == "ValidationError", result
    assert not (await Organization.get(id=case.b.organization.id)).sso_enforced


@checks(MUTATION_CHECKS, "pauseProvisioning")
async def _pause_provisioning(case: Case) -> None:
    result = await case.mutate("pauseProvisioning " + RESULT)
    assert result["__typename"] == "OrganizationPayload", result
    assert (await Organization.get(id=case.a.organization.id)).provisioning_paused_at
    assert (await Organization.get(id=case.b.organization.id)).provisioning_paused_at is None
    assert await provisioning.pause_of(case.b.organization.id) is None  # globex's writes go on


@checks(MUTATION_CHECKS, "resumeProvisioning")
async def _resume_provisioning(case: Case) -> None:
    paused = utcnow()
    await Organization.filter(id=case.b.organization.id).update(
        provisioning_paused_at=paused, provisioning_paused_by="globex's admin"
    )
    result = await case.mutate("resumeProvisioning " + RESULT)
    assert result["__typename"] == "OrganizationPayload", result
    assert (await Organization.get(id=case.b.organization.id)).provisioning_paused_at == paused
    await Organization.filter(id=case.b.organization.id).update(
        provisioning_paused_at=None, provisioning_paused_by=None
    )


COUNT = "{ __typename ... on HeldChangesPayload { count } }"


async def globex_holds(case: Case) -> HeldChange:
    """A deactivation globex's breaker holds, and globex's breaker open."""
    user = next(iter(case.b.users.values()))
    await Organization.filter(id=case.b.organization.id).update(
        deprovisioning_guard_tripped_at=utcnow()
    )
    return await HeldChange.create(
        organization_id=case.b.organization.id,
        user_id=user.id,
        user_name=user.user_name,
        kind="deactivate",
        command={"user_id": str(user.id)},
        token_label="globex's Okta",
        held_at=utcnow(),
    )


async def globex_unheld(case: Case) -> None:
    await HeldChange.filter(organization_id=case.b.organization.id).delete()
    await Organization.filter(id=case.b.organization.id).update(
        deprovisioning_guard_tripped_at=None
    )


@checks(MUTATION_CHECKS, "confirmHeldChanges")
async def _confirm_held_changes(case: Case) -> None:
    theirs = await globex_holds(case)
    result = await case.mutate(
        "confirmHeldChanges { __typename ... on HeldChangesPayload { count } }"
    )
    assert result == {"__typename": "HeldChangesPayload", "count": 0}, result
    assert await HeldChange.filter(id=theirs.id).exists()
    assert (await User.get(id=theirs.user_id)).active
    await globex_unheld(case)


@checks(MUTATION_CHECKS, "rejectHeldChanges")
async def _reject_held_changes(case: Case) -> None:
    theirs = await globex_holds(case)
    result = await case.mutate(
        "rejectHeldChanges { __typename ... on HeldChangesPayload { count } }"
    )
    assert result == {"__typename": "HeldChangesPayload", "count": 0}, result
    assert (await HeldChange.get(id=theirs.id)).status == HeldChangeStatus.HELD
    assert (await Organization.get(id=case.b.organization.id)).deprovisioning_guard_tripped_at
    await globex_unheld(case)


@checks(MUTATION_CHECKS, "setDeprovisioningGuard")
async def _set_deprovisioning_guard(case: Case) -> None:
    result = await case.mutate("setDeprovisioningGuard(enabled: false, percent: 50) " + RESULT)
    assert result["__typename"] == "OrganizationPayload", result
    globex = await Organization.get(id=case.b.organization.id)
    assert globex.deprovisioning_guard
    assert globex.deprovisioning_guard_percent == 10


@checks(MUTATION_CHECKS, "setRequestLogRedaction")
async def _set_request_log_redaction(case: Case) -> None:
    result = await case.mutate('setRequestLogRedaction(attributes: ["title"]) ' + RESULT)
    assert result["__typename"] == "OrganizationPayload", result
    globex = await Organization.get(id=case.b.organization.id)
    assert globex.request_log_redacted is None


@checks(MUTATION_CHECKS, "deleteSsoConnection")
async def _delete_sso_connection(case: Case) -> None:
    theirs = await globex_sso_connection(case)
    result = await case.mutate("deleteSsoConnection(id: %(id)s) " + RESULT, id=str(theirs.id))
    assert result["__typename"] == "NotFoundError", result
    assert await SsoConnection.exists(id=theirs.id)


@checks(MUTATION_CHECKS, "updateOrganization")
async def _update_organization(case: Case) -> None:
    result = await case.mutate(
        "updateOrganization(input: {defaultRole: %(role)s}) " + RESULT, role=case.b.role_key
    )
    assert result["__typename"] == "ValidationError", result
    renamed = await case.mutate(
        'updateOrganization(input: {name: "Renamed"}) '
        "{ ... on OrganizationPayload { organization { id name } } }"
    )
    assert renamed["organization"]["id"] == "acme"


def test_every_mutation_is_checked():
    assert set(MUTATION_CHECKS) == root_fields("mutation")


@pytest.mark.parametrize("field_name", sorted(MUTATION_CHECKS))
async def test_a_mutation_cannot_reach_another_organization(case, field_name):
    await MUTATION_CHECKS[field_name](case)
