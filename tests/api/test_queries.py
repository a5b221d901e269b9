"""Each query of the schema, through the app."""

from __future__ import annotations

from domain import bus
from domain.commands import CreateCustomRole, DeactivateUser, IssueScimToken
from tests.conftest import provision

USERS = """query($first: Int, $after: String, $search: String, $active: Boolean,
                 $role: String, $roleOrigin: RoleOrigin) {
  users(first: $first, after: $after, search: $search, active: $active, role: $role,
        roleOrigin: $roleOrigin) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id userName displayName givenName familyName active externalId
                          emails { value type primary } roleOrigin version
                          role { key name builtIn } } }
  }
}"""


def names(data) -> list[str]:
    return [edge["node"]["userName"] for edge in data["users"]["edges"]]


async def test_viewer_is_the_acting_admin_and_organization(root):
    data = await root(
        "{ viewer { user { userName role { key } } organization { slug name } permissions } }"
    )
    viewer = data["viewer"]
    assert viewer["user"] == {"userName": "root@acme.test", "role": {"key": "super-admin"}}
    assert viewer["organization"] == {"slug": "acme", "name": "Acme"}
    assert "USERS_WRITE" in viewer["permissions"]


async def test_organization_shows_its_default_role(root):
    data = await root("{ organization { slug name defaultRole { key name } } }")
    assert data["organization"]["defaultRole"] == {"key": "basic-user", "name": "Basic User"}


async def test_users_page_through_a_relay_connection_in_user_name_order(root, scim):
    for index in range(5):
        await provision(scim, f"user{index}@acme.test")

    first = await root(USERS, first=2)
    assert first["users"]["totalCount"] == 6  # with root@acme.test
    assert first["users"]["pageInfo"]["hasNextPage"] is True
    seen = names(first)
    cursor = first["users"]["pageInfo"]["endCursor"]
    while cursor:
        page = await root(USERS, first=2, after=cursor)
        seen += names(page)
        cursor = (
            page["users"]["pageInfo"]["endCursor"]
            if page["users"]["pageInfo"]["hasNextPage"]
            else None
        )
    assert seen == sorted(seen)
    assert len(seen) == 6


async def test_users_search_and_filters(root, scim):
    jane = await provision(
        scim, "jane@acme.test", given_name="Jane", family_name="Doe", role="admin"
    )
    await provision(scim, "john@acme.test", given_name="John", family_name="Smith")
    await bus.handle(DeactivateUser(str(jane.id)), scim)

    assert names(await root(USERS, search="DOE")) == ["jane@acme.test"]
    assert names(await root(USERS, active=False)) == ["jane@acme.test"]
    assert names(await root(USERS, role="admin")) == ["jane@acme.test"]
    assert names(await root(USERS, roleOrigin="DEFAULT")) == ["john@acme.test"]


async def test_a_user_by_id_with_its_role_and_origin(root, scim):
    jane = await provision(scim, "jane@acme.test", role="limited-user")

    data = await root(
        "query($id: ID!) { user(id: $id) { userName role { key } roleOrigin version } }",
        id=str(jane.id),
    )

    assert data["user"] == {
        "userName": "jane@acme.test",
        "role": {"key": "limited-user"},
        "roleOrigin": "IDENTITY_PROVIDER",
        "version": 1,
    }
    missing = await root('{ user(id: "00000000-0000-0000-0000-000000000000") { id } }')
    assert missing["user"] is None


async def test_roles_are_the_built_ins_then_custom_roles_with_user_counts(root, operator, scim):
    finance = await bus.handle(
        CreateCustomRole("Finance", "limited-user", restricted_apps=("SAP",)), operator
    )
    await provision(scim, "jane@acme.test", role=finance.key)

    data = await root("{ roles { id key name builtIn permissionLevel restrictedApps userCount } }")

    keys = [role["key"] for role in data["roles"]]
    assert keys == [
        "super-admin",
        "admin",
        "basic-user",
        "limited-plus-user",
        "limited-user",
        "appstore-user",
        finance.key,
    ]
    custom = data["roles"][-1]
    assert custom == {
        "id": finance.key,
        "key": finance.key,
        "name": "Finance",
        "builtIn": False,
        "permissionLevel": "limited-user",
        "restrictedApps": ["SAP"],
        "userCount": 1,
    }
    assert data["roles"][0]["userCount"] == 1  # root
    one = await root("query($id: ID!) { role(id: $id) { name userCount } }", id=finance.key)
    assert one["role"] == {"name": "Finance", "userCount": 1}


async def test_tokens_show_a_prefix_and_their_creator_never_the_secret(root, operator):
    issued = await bus.handle(IssueScimToken("Okta"), operator)

    data = await root(
        "{ scimTokens { id name prefix createdAt lastUsedAt revokedAt createdBy { userName } } }"
    )

    token = data["scimTokens"][0]
    assert token["name"] == "Okta"
    assert issued.secret.startswith(token["prefix"])
    assert issued.secret not in str(data)
    assert token["createdBy"] is None  # the command line made it


async def test_audit_events_newest_first_filtered_and_paged(root, scim):
    jane = await provision(scim, "jane@acme.test")
    await bus.handle(DeactivateUser(str(jane.id)), scim)
    query = """query($first: Int, $after: String, $targetId: ID, $action: String) {
      auditEvents(first: $first, after: $after, targetId: $targetId, action: $action) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { action channel targetType targetId actor { kind label } changes } }
      }
    }"""

    data = await root(query, targetId=str(jane.id))
    events = [edge["node"] for edge in data["auditEvents"]["edges"]]
    assert [e["action"] for e in events] == ["user.deactivated", "user.provisioned"]
    assert events[0]["channel"] == "SCIM"
    assert events[0]["actor"] == {"kind": "scim_token", "label": "Okta"}
    assert events[0]["changes"] == {"active": {"before": True, "after": False}}

    first = await root(query, first=1, action="user.provisioned")
    assert first["auditEvents"]["totalCount"] == 1


async def test_scim_setup_lists_what_okta_needs(root, operator):
    finance = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)

    data = await root(
        "{ scimSetup { baseUrl dataType variableName externalName externalNamespace "
        "attributeType roleStrings { value name } } }"
    )

    setup = data["scimSetup"]
    assert setup["baseUrl"] == "http://roster.test/scim/v2"
    assert setup["dataType"] == "string"
    assert setup["variableName"] == "permissionsRole"
    assert setup["externalNamespace"] == "urn:ietf:params:scim:schemas:core:2.0:User"
    assert setup["attributeType"] == "Group"
    assert setup["roleStrings"][0] == {"value": "super-admin", "name": "Super Admin"}
    assert setup["roleStrings"][-1] == {"value": finance.key, "name": "Finance"}
