"""Each role's rights in the GraphQL API, and tenant isolation."""

from __future__ import annotations

import pytest

from domain import bus
from domain.actors import Actor
from domain.commands import CreateCustomRole, CreateOrganization, IssueScimToken
from tests.conftest import provision

READS = {
    "users": "{ users { totalCount } }",
    "roles": "{ roles { key } }",
    "auditEvents": "{ auditEvents { totalCount } }",
    "organization": "{ organization { slug } }",
    "scimSetup": "{ scimSetup { baseUrl } }",
}
TOKEN_READS = {"scimTokens": "{ scimTokens { id } }", "apiTokens": "{ apiTokens { id } }"}
WRITES = [
    'generateScimToken(name: "x")',
    'createApiToken(name: "x")',
    'createCustomRole(input: {name: "x", permissionLevel: "admin"})',
    'updateOrganization(input: {name: "x"})',
    'deactivateUser(id: "USER")',
    'setUserRole(userId: "USER", role: "admin")',
]


async def write_results(client, user_id: str) -> list[str]:
    results = []
    for mutation in WRITES:
        data = await client(
            "mutation { m: %s { __typename ... on Error { message } } }"
            % mutation.replace("USER", user_id)
        )
        results.append(data["m"]["__typename"])
    return results


async def test_a_super_admin_may_read_and_change_everything(root, scim):
    jane = await provision(scim, "jane@acme.test")
    for query in {**READS, **TOKEN_READS}.values():
        await root(query)
    assert "PermissionDeniedError" not in await write_results(root, str(jane.id))


async def test_an_admin_reads_users_roles_and_the_log_but_changes_nothing(admin, scim):
    jane = await provision(scim, "jane@acme.test")
    for query in READS.values():
        await admin(query)
    for query in TOKEN_READS.values():
        errors = await admin.errors(query)
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert await write_results(admin, str(jane.id)) == ["PermissionDeniedError"] * len(WRITES)


async def test_other_roles_see_only_the_viewer(basic, scim):
    jane = await provision(scim, "jane@acme.test")
    viewer = await basic("{ viewer { user { userName } permissions } }")
    assert viewer["viewer"] == {"user": {"userName": "basic@acme.test"}, "permissions": []}
    for query in {**READS, **TOKEN_READS}.values():
        errors = await basic.errors(query)
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert await write_results(basic, str(jane.id)) == ["PermissionDeniedError"] * len(WRITES)


@pytest.fixture
async def globex():
    """Another organization, with a user, a custom role, a token and audit events."""
    organization = await bus.handle(CreateOrganization("globex", "Globex"), Actor.operator())
    operator = Actor.operator(organization.id)
    scim = Actor.scim_token("00000000-0000-0000-0000-0000000000aa", "Okta", organization.id)
    user = await provision(scim, "secret.agent@globex.test", display_name="Secret Agent")
    role = await bus.handle(CreateCustomRole("Spies", "admin"), operator)
    token = await bus.handle(IssueScimToken("Globex Okta"), operator)
    return {"user": user, "role": role, "token": token}


async def test_an_admin_cannot_reach_another_organization(root, globex):
    user_id = str(globex["user"].id)

    assert (await root("query($id: ID!) { user(id: $id) { id } }", id=user_id))["user"] is None
    assert (await root("query($id: ID!) { role(id: $id) { id } }", id=globex["role"].key))[
        "role"
    ] is None
    found = await root('{ users(search: "agent") { totalCount } }')
    assert found["users"]["totalCount"] == 0
    assert globex["role"].key not in str(await root("{ roles { key } }"))
    assert "Globex Okta" not in str(await root("{ scimTokens { name } }"))
    events = await root("query($id: ID!) { auditEvents(targetId: $id) { totalCount } }", id=user_id)
    assert events["auditEvents"]["totalCount"] == 0
    for mutation in (
        'deactivateUser(id: "%s")' % user_id,
        'setUserRole(userId: "%s", role: "admin")' % user_id,
        'revokeScimToken(id: "%s")' % globex["token"].token.id,
        'deleteCustomRole(id: "%s", reassignTo: "admin")' % globex["role"].key,
    ):
        data = await root("mutation { m: %s { __typename } }" % mutation)
        assert data["m"]["__typename"] == "NotFoundError", mutation
    assert globex["user"].active is True


async def test_a_cursor_from_another_organization_reveals_nothing(root, globex):
    from domain.queries import user_cursor

    cursor = user_cursor(globex["user"], "user_name")
    page = await root(
        "query($after: String) { users(after: $after) { edges { node { userName } } } }",
        after=cursor,
    )
    assert "globex" not in str(page)
