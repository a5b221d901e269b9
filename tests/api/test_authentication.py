"""Signing in, sessions, CSRF, API tokens, and what the anonymous may see."""

from __future__ import annotations

import httpx

from domain import bus
from domain.commands import DeactivateUser, IssueScimToken
from tests.api.conftest import BASE, CSRF, PASSWORD, GraphQLClient
from tests.conftest import running_app

VIEWER = "{ viewer { user { userName } organization { slug } } }"


async def test_login_sets_an_http_only_same_site_session_cookie(anonymous, super_admin_id):
    response = await anonymous.post(
        'mutation { login(email: "root@acme.test", password: "correct horse battery") '
        "{ __typename } }",
        **CSRF,
    )

    assert response.status_code == 200, response.text
    assert "set-cookie" in response.headers, (response.headers, response.text)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("roster_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    assert "rst_session_" not in cookie.split(";")[0].split("=", 1)[1].split(".")[-1]
    assert (await anonymous(VIEWER))["viewer"]["user"]["userName"] == "root@acme.test"


async def test_the_cookie_is_secure_when_roster_is_served_over_https(
    db, database_url, tmp_path, super_admin_id
):
    async with (
        running_app(
            database_url, tmp_path, ROSTER_PUBLIC_URL="https://roster.example.com"
        ) as transport,
        httpx.AsyncClient(transport=transport, base_url=BASE) as http,
    ):
        client = GraphQLClient(http)
        response = await client.post(
            'mutation { login(email: "root@acme.test", password: "correct horse battery") '
            "{ __typename } }",
            **CSRF,
        )
    assert "Secure" in response.headers["set-cookie"]


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(anonymous, super_admin_id):
    wrong = await anonymous.login("root@acme.test", "nope nope nope")
    unknown = await anonymous.login("ghost@acme.test", PASSWORD)

    assert (
        wrong
        == unknown
        == {
            "__typename": "AuthenticationError",
            "message": "Wrong email or password.",
            "retryAfterSeconds": None,
        }
    )


async def test_repeated_failures_slow_down_sign_in(anonymous, super_admin_id):
    for _ in range(5):
        await anonymous.login("root@acme.test", "wrong guess!")

    throttled = await anonymous.login("root@acme.test", PASSWORD)

    assert throttled["__typename"] == "AuthenticationError"
    assert throttled["retryAfterSeconds"] > 0


async def test_logout_ends_the_session_even_for_a_copied_cookie(root, app_transport):
    cookie = root.http.cookies.get("roster_session")
    assert (await root("mutation { logout { signedOut } }"))["logout"]["signedOut"] is True

    async with httpx.AsyncClient(
        transport=app_transport, base_url=BASE, cookies={"roster_session": cookie}
    ) as http:
        errors = await GraphQLClient(http).errors(VIEWER)
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_deactivated_admins_session_stops_at_once(root, super_admin_id, operator):
    await bus.handle(DeactivateUser(super_admin_id), operator)

    errors = await root.errors(VIEWER)

    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_cross_site_form_post_is_refused(root, super_admin_id):
    form = await root.http.post(
        "/graphql",
        data={"query": 'mutation { generateScimToken(name: "evil") { __typename } }'},
    )
    json_without_header = await root.http.post(
        "/graphql", json={"query": 'mutation { generateScimToken(name: "evil") { __typename } }'}
    )

    assert form.status_code == 403
    assert json_without_header.status_code == 403
    assert (await root("{ scimTokens { id } }"))["scimTokens"] == []


async def test_mutations_are_refused_over_get(root):
    response = await root.http.get(
        "/graphql", params={"query": 'mutation { generateScimToken(name: "x") { __typename } }'}
    )
    assert response.status_code in (400, 405)


async def test_queries_work_over_get(root):
    response = await root.http.get("/graphql", params={"query": VIEWER})
    assert response.json()["data"]["viewer"]["user"]["userName"] == "root@acme.test"


async def test_a_script_uses_a_personal_api_token_without_csrf_header(script):
    response = await script.http.post("/graphql", json={"query": VIEWER})
    assert response.json()["data"]["viewer"]["user"]["userName"] == "root@acme.test"


async def test_a_scim_token_is_not_accepted_by_graphql(app_transport, operator):
    issued = await bus.handle(IssueScimToken("Okta"), operator)
    async with httpx.AsyncClient(transport=app_transport, base_url=BASE) as http:
        response = await http.post(
            "/graphql",
            json={"query": VIEWER},
            headers={"Authorization": f"Bearer {issued.secret}"},
        )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_an_api_token_is_not_accepted_by_scim(script, root):
    created = await root(
        'mutation { createApiToken(name: "x") { ... on CreateApiTokenPayload { token } } }'
    )
    token = created["createApiToken"]["token"]
    response = await script.http.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_the_anonymous_see_nothing_but_login(anonymous, super_admin_id):
    for query in (
        VIEWER,
        "{ users { totalCount } }",
        "{ roles { key } }",
        "{ scimSetup { baseUrl } }",
    ):
        errors = await anonymous.errors(query)
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    introspection = await anonymous.errors("{ __schema { types { name } } }")
    assert "introspection" in introspection[0]["message"].lower()
    generate = await anonymous.errors('mutation { generateScimToken(name: "x") { __typename } }')
    assert generate[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_graphiql_is_off_by_default(anonymous):
    response = await anonymous.http.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in response.text.lower()


async def test_graphiql_is_served_when_enabled(db, database_url, tmp_path):
    async with (
        running_app(database_url, tmp_path, ROSTER_GRAPHIQL="1") as transport,
        httpx.AsyncClient(transport=transport, base_url=BASE) as http,
    ):
        response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_a_doubled_bearer_scheme_is_forgiven_by_the_graphql_door_too(script, app_transport):
    token = script.http.headers["authorization"].split()[-1]
    async with httpx.AsyncClient(transport=app_transport, base_url="http://roster.test") as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ viewer { permissions } }"},
            headers={"Authorization": f"Bearer Bearer {token}"},
        )
    assert response.status_code == 200
    assert "errors" not in response.json()
