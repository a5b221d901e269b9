"""Each mutation: its success, and its expected failures as typed errors."""

from __future__ import annotations

import pytest

from domain import bus
from domain.commands import UpdateUser
from domain.models import AuditEvent, RoleOrigin, Token, User
from tests.conftest import provision

RESULT = """
  __typename
  ... on Error { message }
  ... on ValidationError { field }
  ... on VersionConflictError { expectedVersion currentVersion }
"""


async def test_generate_a_scim_token_shown_once_then_revoke_it(root, super_admin_id):
    data = await root(
        'mutation { generateScimToken(name: "Okta") { %s ... on GenerateScimTokenPayload '
        "{ token scimToken { id name prefix createdBy { userName } } } } }" % RESULT
    )
    payload = data["generateScimToken"]
    assert payload["token"].startswith(payload["scimToken"]["prefix"])
    assert payload["scimToken"]["createdBy"] == {"userName": "root@acme.test"}
    listed = await root("{ scimTokens { id prefix } }")
    assert payload["token"] not in str(listed)

    revoked = await root(
        "mutation($id: ID!) { revokeScimToken(id: $id) { %s "
        "... on RevokeScimTokenPayload { scimToken { revokedAt } } } }" % RESULT,
        id=payload["scimToken"]["id"],
    )
    assert revoked["revokeScimToken"]["scimToken"]["revokedAt"] is not None
    scim = await root.http.get(
        "/scim/v2/Users", headers={"Authorization": f"Bearer {payload['token']}"}
    )
    assert scim.status_code == 401

    event = await AuditEvent.filter(action="scim_token.issued").first()
    assert (event.actor_kind, event.actor_label, str(event.channel)) == (
        "admin",
        "root@acme.test",
        "GRAPHQL",
    )


async def test_revoking_an_unknown_token_is_not_found(root):
    data = await root(
        'mutation { revokeScimToken(id: "00000000-0000-0000-0000-000000000000") { %s } }' % RESULT
    )
    assert data["revokeScimToken"]["__typename"] == "NotFoundError"


async def test_create_and_revoke_a_personal_api_token(root):
    data = await root(
        'mutation { createApiToken(name: "nightly") { %s ... on CreateApiTokenPayload '
        "{ token apiToken { id prefix } } } }" % RESULT
    )
    payload = data["createApiToken"]
    assert payload["token"].startswith("rst_api_")
    revoked = await root(
        "mutation($id: ID!) { revokeApiToken(id: $id) { %s ... on RevokeApiTokenPayload "
        "{ apiToken { revokedAt } } } }" % RESULT,
        id=payload["apiToken"]["id"],
    )
    assert revoked["revokeApiToken"]["apiToken"]["revokedAt"] is not None
    row = await Token.get(id=payload["apiToken"]["id"])
    assert row.digest != payload["token"]


async def test_a_token_name_cannot_be_empty(root):
    data = await root('mutation { generateScimToken(name: "  ") { %s } }' % RESULT)
    assert data["generateScimToken"]["__typename"] == "ValidationError"
    assert data["generateScimToken"]["field"] == "name"


CREATE_ROLE = (
    """mutation($input: CustomRoleInput!) {
  createCustomRole(input: $input) { %s ... on CustomRolePayload { role { id key name
    permissionLevel restrictedApps builtIn } } } }"""
    % RESULT
)


async def test_custom_roles_are_created_updated_and_deleted(root, scim):
    created = await root(
        CREATE_ROLE,
        input={"name": "Finance", "permissionLevel": "limited-user", "restrictedApps": ["SAP"]},
    )
    role = created["createCustomRole"]["role"]
    assert role["key"].startswith("cr_")

    updated = await root(
        'mutation($id: ID!) { updateCustomRole(id: $id, input: {name: "Finance EU", '
        'restrictedApps: ["SAP", "Workday"]}) { %s ... on CustomRolePayload '
        "{ role { name restrictedApps } } } }" % RESULT,
        id=role["id"],
    )
    assert updated["updateCustomRole"]["role"] == {
        "name": "Finance EU",
        "restrictedApps": ["SAP", "Workday"],
    }

    jane = await provision(scim, "jane@acme.test", role=role["key"])
    delete = (
        "mutation($id: ID!, $to: String) { deleteCustomRole(id: $id, reassignTo: $to) "
        "{ %s ... on DeleteCustomRolePayload { deletedRoleId } } }" % RESULT
    )
    conflict = await root(delete, id=role["id"])
    assert conflict["deleteCustomRole"]["__typename"] == "ConflictError"
    assert "1 user" in conflict["deleteCustomRole"]["message"]

    deleted = await root(delete, id=role["id"], to="basic-user")
    assert deleted["deleteCustomRole"]["deletedRoleId"] == role["id"]
    moved = await User.get(id=jane.id).prefetch_related("role")
    assert moved.role.key == "basic-user"


async def test_a_custom_role_needs_a_known_permission_level(root):
    data = await root(CREATE_ROLE, input={"name": "Odd", "permissionLevel": "owner"})
    assert data["createCustomRole"]["__typename"] == "ValidationError"
    assert data["createCustomRole"]["field"] == "permissionLevel"


SET_ROLE = (
    """mutation($userId: ID!, $role: String!, $expectedVersion: Int) {
  setUserRole(userId: $userId, role: $role, expectedVersion: $expectedVersion) {
    %s ... on UserPayload { user { role { key } roleOrigin version } } } }"""
    % RESULT
)


async def test_setting_a_role_by_hand_marks_it_manual(root, scim):
    jane = await provision(scim, "jane@acme.test")

    data = await root(SET_ROLE, userId=str(jane.id), role="limited-plus-user")

    assert data["setUserRole"]["user"] == {
        "role": {"key": "limited-plus-user"},
        "roleOrigin": "MANUAL",
        "version": 2,
    }


async def test_an_unknown_role_string_is_a_validation_error(root, scim):
    jane = await provision(scim, "jane@acme.test")

    data = await root(SET_ROLE, userId=str(jane.id), role="boss")

    assert data["setUserRole"]["__typename"] == "ValidationError"
    assert "basic-user" in data["setUserRole"]["message"]


async def test_expected_version_protects_an_admins_edit_from_okta_and_back(root, scim):
    jane = await provision(scim, "jane@acme.test")
    await bus.handle(UpdateUser(str(jane.id), {"title": "CTO"}), scim)  # Okta, meanwhile

    stale = await root(SET_ROLE, userId=str(jane.id), role="admin", expectedVersion=1)

    assert stale["setUserRole"]["__typename"] == "VersionConflictError"
    assert (stale["setUserRole"]["expectedVersion"], stale["setUserRole"]["currentVersion"]) == (
        1,
        2,
    )
    stored = await User.get(id=jane.id).prefetch_related("role")
    assert stored.role.key == "basic-user"
    current = await root(SET_ROLE, userId=str(jane.id), role="admin", expectedVersion=2)
    assert current["setUserRole"]["user"]["version"] == 3


async def test_a_scim_patch_and_a_graphql_edit_racing_on_one_version_cannot_both_win(
    root, scim, app_transport, operator
):
    import httpx

    from domain.commands import IssueScimToken

    issued = await bus.handle(IssueScimToken("Okta"), operator)
    jane = await provision(scim, "jane@acme.test")
    async with httpx.AsyncClient(transport=app_transport, base_url="http://roster.test") as okta:
        scim_response = await okta.patch(
            f"/scim/v2/Users/{jane.id}",
            json={"Operations": [{"op": "replace", "value": {"active": False}}]},
            headers={"Authorization": f"Bearer {issued.secret}", "If-Match": 'W/"1"'},
        )
    graphql = await root(SET_ROLE, userId=str(jane.id), role="admin", expectedVersion=1)

    assert scim_response.status_code == 200
    assert graphql["setUserRole"]["__typename"] == "VersionConflictError"


@pytest.mark.parametrize(
    ("mutation", "active"), [("deactivateUser", False), ("reactivateUser", True)]
)
async def test_deactivate_and_reactivate(root, scim, mutation, active):
    jane = await provision(scim, "jane@acme.test", active=not active)

    data = await root(
        "mutation($id: ID!) { %s(id: $id) { %s ... on UserPayload { user { active } } } }"
        % (mutation, RESULT),
        id=str(jane.id),
    )

    assert data[mutation]["user"]["active"] is active


async def test_deactivating_an_unknown_user_is_not_found(root):
    data = await root(
        'mutation { deactivateUser(id: "00000000-0000-0000-0000-000000000000") { %s } }' % RESULT
    )
    assert data["deactivateUser"]["__typename"] == "NotFoundError"


async def test_update_the_organization_name_and_default_role(root, scim):
    data = await root(
        'mutation { updateOrganization(input: {name: "Acme Inc.", defaultRole: "limited-user"}) '
        "{ %s ... on OrganizationPayload { organization { name defaultRole { key } } } } }" % RESULT
    )
    assert data["updateOrganization"]["organization"] == {
        "name": "Acme Inc.",
        "defaultRole": {"key": "limited-user"},
    }
    jane = await provision(scim, "jane@acme.test")
    assert (jane.role.key, jane.role_origin) == ("limited-user", RoleOrigin.DEFAULT)

    bad = await root(
        'mutation { updateOrganization(input: {defaultRole: "boss"}) { %s } }' % RESULT
    )
    assert bad["updateOrganization"]["__typename"] == "ValidationError"
