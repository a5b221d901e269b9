"""Groups in the GraphQL API: listed with a search, read one by one, each with its role and
member count; each user's groups and where its role comes from; `setGroupRole`."""

from __future__ import annotations

from domain import bus
from domain.commands import CreateGroup, NewMember
from tests.conftest import provision

RESULT = """
  __typename
  ... on Error { message }
"""
SET_ROLE = (
    "mutation($group: ID!, $role: ID) { setGroupRole(groupId: $group, roleId: $role) { %s "
    "... on GroupPayload { group { id role { key } } } } }" % RESULT
)


async def make_group(scim, name: str, *users) -> str:
    members = tuple(NewMember(str(user.id)) for user in users)
    return str((await bus.handle(CreateGroup(name, members=members), scim)).id)


async def test_groups_are_listed_by_name_with_their_member_count(root, scim):
    jane = await provision(scim, "jane@acme.test")
    john = await provision(scim, "john@acme.test")
    await make_group(scim, "Sales", jane)
    await make_group(scim, "Engineering", jane, john)

    data = await root(
        "{ groups { totalCount edges { node { displayName memberCount role { key } } } } }"
    )

    assert data["groups"]["totalCount"] == 2
    assert [e["node"] for e in data["groups"]["edges"]] == [
        {"displayName": "Engineering", "memberCount": 2, "role": None},
        {"displayName": "Sales", "memberCount": 1, "role": None},
    ]


async def test_groups_are_searched_and_paged(root, scim):
    for name in ("Alpha", "Beta", "Alphabet", "Gamma"):
        await make_group(scim, name)

    first = await root(
        '{ groups(first: 1, search: "ALPHA") { totalCount pageInfo { hasNextPage endCursor } '
        "edges { node { displayName } } } }"
    )
    cursor = first["groups"]["pageInfo"]["endCursor"]
    second = await root(
        'query($after: String) { groups(first: 1, search: "alpha", after: $after) '
        "{ pageInfo { hasNextPage } edges { node { displayName } } } }",
        after=cursor,
    )

    assert first["groups"]["totalCount"] == 2
    assert first["groups"]["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["displayName"] for e in first["groups"]["edges"]] == ["Alpha"]
    assert [e["node"]["displayName"] for e in second["groups"]["edges"]] == ["Alphabet"]
    assert second["groups"]["pageInfo"]["hasNextPage"] is False


async def test_set_group_role_gives_the_members_the_role_and_says_where_it_came_from(root, scim):
    jane = await provision(scim, "jane@acme.test")
    stated = await provision(scim, "john@acme.test", role="limited-user")
    group = await make_group(scim, "Admins", jane, stated)

    data = await root(SET_ROLE, group=group, role="admin")
    users = await root(
        "{ users { edges { node { userName role { key } roleOrigin "
        "roleSource { origin label group { displayName } } groups { displayName } } } } }"
    )

    assert data["setGroupRole"]["group"]["role"] == {"key": "admin"}
    found = {e["node"]["userName"]: e["node"] for e in users["users"]["edges"]}
    assert found["jane@acme.test"]["role"] == {"key": "admin"}
    assert found["jane@acme.test"]["roleSource"] == {
        "origin": "GROUP",
        "label": "from group Admins",
        "group": {"displayName": "Admins"},
    }
    assert found["jane@acme.test"]["groups"] == [{"displayName": "Admins"}]
    assert found["john@acme.test"]["role"] == {"key": "limited-user"}
    assert found["john@acme.test"]["roleSource"]["label"] == "from the identity provider"


async def test_clearing_a_group_s_role_returns_its_members_to_the_default(root, scim):
    jane = await provision(scim, "jane@acme.test")
    group = await make_group(scim, "Admins", jane)
    await root(SET_ROLE, group=group, role="admin")

    data = await root(SET_ROLE, group=group, role=None)
    user = await root(
        "query($id: ID!) { user(id: $id) { role { key } roleSource { origin label } } }",
        id=str(jane.id),
    )

    assert data["setGroupRole"]["group"]["role"] is None
    assert user["user"]["role"] == {"key": "basic-user"}
    assert user["user"]["roleSource"] == {
        "origin": "DEFAULT",
        "label": "the organization's default",
    }


async def test_an_unknown_role_names_the_accepted_ones(root, scim):
    group = await make_group(scim, "Admins")

    data = await root(SET_ROLE, group=group, role="owner")

    assert data["setGroupRole"]["__typename"] == "ValidationError"
    assert "super-admin" in data["setGroupRole"]["message"]


async def test_an_admin_reads_groups_but_may_not_set_their_role(admin, scim):
    group = await make_group(scim, "Admins")

    listed = await admin("{ groups { totalCount } }")
    data = await admin(SET_ROLE, group=group, role="admin")

    assert listed["groups"]["totalCount"] == 1
    assert data["setGroupRole"]["__typename"] == "PermissionDeniedError"


async def test_another_organization_s_group_is_not_found(root, operator):
    from domain.actors import Actor
    from domain.commands import CreateOrganization

    globex = await bus.handle(CreateOrganization("globex", "Globex"), Actor.operator())
    theirs = await make_group(Actor.operator(globex.id), "Theirs")

    assert (await root("query($id: ID!) { group(id: $id) { id } }", id=theirs))["group"] is None
    data = await root(SET_ROLE, group=theirs, role="admin")
    assert data["setGroupRole"]["__typename"] == "NotFoundError"
