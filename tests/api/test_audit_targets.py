"""An audit event's `target`: the user, role or token it concerns as it is now, loaded for a
whole page at once, within what the viewer may see; `targetName` keeps what the event recorded."""

from __future__ import annotations

from typing import Any

import pytest

from domain import bus
from domain.actors import Actor
from domain.commands import (
    CreateCustomRole,
    CreateGroup,
    CreateOrganization,
    DeleteCustomRole,
    DeleteGroup,
    DeleteUser,
    IssueScimToken,
    NewMember,
    RevokeScimToken,
    SetGroupRole,
    UpdateCustomRole,
    UpdateGroup,
)
from domain.errors import InvalidRole
from domain.models import AuditEvent, Channel
from tests.api.conftest import queries_for
from tests.conftest import provision

TARGET = """target {
  __typename
  ... on User { id userName role { key name } }
  ... on Role { key name userCount }
  ... on TokenFields { id name prefix revokedAt createdBy { userName } }
  ... on Group { id displayName memberCount groupRole: role { key } }
}"""
EVENTS = (
    """query($first: Int, $targetId: ID) {
  auditEvents(first: $first, targetId: $targetId) { edges { node {
    action targetType targetId targetName %s
  } } }
}"""
    % TARGET
)


async def events_of(client, **variables: Any) -> list[dict[str, Any]]:
    data = await client(EVENTS, **variables)
    return [edge["node"] for edge in data["auditEvents"]["edges"]]


def by_action(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The newest event of each action."""
    found: dict[str, dict[str, Any]] = {}
    for event in events:
        found.setdefault(event["action"], event)
    return found


async def test_a_user_event_s_target_is_the_user_with_its_role(root, scim):
    jane = await provision(scim, "jane@acme.test", role="admin")

    (event,) = await events_of(root, targetId=str(jane.id))

    assert event["target"] == {
        "__typename": "User",
        "id": str(jane.id),
        "userName": "jane@acme.test",
        "role": {"key": "admin", "name": "Application Admin"},
    }
    assert event["targetName"] == "jane@acme.test"


async def test_a_role_event_s_target_is_the_role_as_it_is_now(root, operator, scim):
    role = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)
    await provision(scim, "fiona@acme.test", role=role.key)
    await bus.handle(UpdateCustomRole(role.key, name="Finance Approvers"), operator)

    events = by_action(await events_of(root, targetId=role.key))

    for action in ("role.created", "role.updated"):
        assert events[action]["target"] == {
            "__typename": "Role",
            "key": role.key,
            "name": "Finance Approvers",
            "userCount": 1,
        }
    assert events["role.created"]["targetName"] == "Finance"  # as it was then
    assert events["role.updated"]["targetName"] == "Finance Approvers"


async def test_token_events_target_the_scim_or_api_token(script, operator):
    issued = await bus.handle(IssueScimToken("Okta"), operator)
    await bus.handle(RevokeScimToken(str(issued.token.id)), operator)

    events = by_action(await events_of(script))

    revoked = events["scim_token.revoked"]["target"]
    assert revoked["__typename"] == "ScimToken"
    assert revoked["id"] == str(issued.token.id)
    assert revoked["name"] == "Okta"
    assert revoked["revokedAt"] is not None
    assert revoked["createdBy"] is None  # the command line made it
    assert events["scim_token.revoked"]["targetName"] is None  # a revocation records no name
    assert events["scim_token.issued"]["target"] == revoked
    assert events["scim_token.issued"]["targetName"] == "Okta"
    api_token = events["api_token.issued"]["target"]
    assert api_token["__typename"] == "ApiToken"
    assert api_token["name"] == "script"
    assert api_token["createdBy"] == {"userName": "root@acme.test"}


async def test_a_group_event_s_target_is_the_group_as_it_is_now(root, scim, operator):
    jane = await provision(scim, "jane@acme.test")
    group = await bus.handle(CreateGroup("Engineering", members=(NewMember(str(jane.id)),)), scim)
    await bus.handle(SetGroupRole(str(group.id), "admin"), operator)
    await bus.handle(UpdateGroup(str(group.id), {"display_name": "Platform"}), scim)

    events = by_action(await events_of(root, targetId=str(group.id)))

    for action in ("group.created", "group.role_set", "group.updated"):
        assert events[action]["target"] == {
            "__typename": "Group",
            "id": str(group.id),
            "displayName": "Platform",
            "memberCount": 1,
            "groupRole": {"key": "admin"},
        }
    assert events["group.created"]["targetName"] == "Engineering"


async def test_a_deleted_group_is_no_target_but_its_recorded_name_stays(root, scim):
    group = await bus.handle(CreateGroup("Contractors"), scim)
    await bus.handle(DeleteGroup(str(group.id)), scim)

    events = await events_of(root, targetId=str(group.id))

    assert [e["action"] for e in events] == ["group.deleted", "group.created"]
    assert [e["target"] for e in events] == [None, None]
    assert [e["targetName"] for e in events] == ["Contractors", "Contractors"]


async def test_a_deleted_user_is_no_target_but_its_recorded_name_stays(root, scim):
    jane = await provision(scim, "jane@acme.test")
    await bus.handle(DeleteUser(str(jane.id)), scim)

    events = await events_of(root, targetId=str(jane.id))

    assert [e["action"] for e in events] == ["user.deleted", "user.provisioned"]
    assert [e["target"] for e in events] == [None, None]
    assert [e["targetName"] for e in events] == ["jane@acme.test", "jane@acme.test"]


async def test_a_deleted_role_is_no_target_but_its_recorded_name_stays(root, operator):
    role = await bus.handle(CreateCustomRole("Contractors", "limited-user"), operator)
    await bus.handle(DeleteCustomRole(role.key), operator)

    events = await events_of(root, targetId=role.key)

    assert [e["action"] for e in events] == ["role.deleted", "role.created"]
    assert [e["target"] for e in events] == [None, None]
    assert [e["targetName"] for e in events] == ["Contractors", "Contractors"]


async def test_a_failed_provisioning_names_the_user_name_sent(root, scim):
    with pytest.raises(InvalidRole):
        await provision(scim, "olga@acme.test", role="owner")

    (event,) = await events_of(root, targetId="olga@acme.test")

    assert event["action"] == "user.provision_failed"
    assert event["target"] is None
    assert event["targetName"] == "olga@acme.test"


async def test_an_admin_gets_users_and_roles_but_no_token_as_target(admin, operator, scim):
    jane = await provision(scim, "jane@acme.test")
    role = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)
    token = await bus.handle(IssueScimToken("Okta"), operator)

    events = by_action(await events_of(admin))

    assert events["user.provisioned"]["target"]["id"] == str(jane.id)
    assert events["role.created"]["target"]["key"] == role.key
    # the admin may not list SCIM tokens, so no event hands one over
    assert events["scim_token.issued"]["targetId"] == str(token.token.id)
    assert events["scim_token.issued"]["target"] is None
    assert events["scim_token.issued"]["targetName"] == "Okta"


async def test_a_target_of_another_organization_is_never_resolved(root, organization):
    globex = await bus.handle(CreateOrganization(slug="globex", name="Globex"), Actor.operator())
    globex_operator = Actor.operator(globex.id)
    stranger = await provision(globex_operator, "stranger@globex.test")
    secret_role = await bus.handle(CreateCustomRole("Globex only", "admin"), globex_operator)
    secret_token = await bus.handle(IssueScimToken("Globex Okta"), globex_operator)
    secret_group = await bus.handle(CreateGroup("Globex board"), globex_operator)
    for target_type, target_id in (
        ("user", str(stranger.id)),
        ("group", str(secret_group.id)),
        ("role", secret_role.key),
        ("token", str(secret_token.token.id)),
        ("role", "basic-user"),  # a built-in role is acme's own
    ):
        await AuditEvent.create(
            organization_id=organization.id,
            actor_kind="operator",
            actor_label="command line",
            channel=Channel.CLI,
            action="test.recorded",
            target_type=target_type,
            target_id=target_id,
        )

    events = [e for e in await events_of(root) if e["action"] == "test.recorded"]

    targets = {e["targetId"]: e["target"] for e in events}
    assert targets[str(stranger.id)] is None
    assert targets[secret_role.key] is None
    assert targets[str(secret_token.token.id)] is None
    assert targets[str(secret_group.id)] is None
    assert targets["basic-user"]["__typename"] == "Role"
    assert "globex" not in str(events).lower()


async def test_a_page_of_targets_costs_the_same_queries_whatever_its_size(
    db, script, operator, organization, super_admin_id
):
    root = Actor.admin(
        user_id=super_admin_id,
        label="root@acme.test",
        organization_id=organization.id,
        permission_level="super-admin",
    )
    for index in range(20):  # each round: a user, a role and a token event
        await provision(operator, f"user{index:02d}@acme.test", role="admin")
        await bus.handle(CreateCustomRole(f"Role {index:02d}", "limited-user"), operator)
        await bus.handle(IssueScimToken(f"Token {index:02d}"), root)
    query = EVENTS.replace("$targetId: ID", "").replace(", targetId: $targetId", "")

    await script("{ viewer { user { id } } }")  # records the token's use (once a minute)
    small = await queries_for(db, script, query, 3)
    large = await queries_for(db, script, query, 60)

    assert small == large
    # the token, its admin and role; count, page; users, their roles; roles, their user
    # counts; tokens, their creators and the creators' roles
    assert large <= 12
