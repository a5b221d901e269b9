"""A user's role, from whichever source ranks first: what the identity provider stated, else
the highest role among the user's groups' roles, else the role an admin set by hand, else the
organization's default; and where it came from."""

from __future__ import annotations

from domain import bus
from domain.commands import (
    AssignRole,
    CreateCustomRole,
    CreateGroup,
    DeleteCustomRole,
    DeleteGroup,
    MembersChange,
    NewMember,
    SetGroupRole,
    UpdateGroup,
    UpdateUser,
)
from domain.models import AuditEvent, Group, RoleOrigin, User
from domain.roles import stated_role_key
from tests.conftest import StatementCounter, provision


async def role_of(user: User) -> tuple[str, RoleOrigin, str | None]:
    stored = await User.get(id=user.id).prefetch_related("role", "role_group")
    group = stored.role_group.display_name if stored.role_group else None
    return stored.role.key, stored.role_origin, group


async def group_of(scim, name: str, *users: User, role: str | None = None, admin=None) -> Group:
    group = await bus.handle(
        CreateGroup(name, members=tuple(NewMember(str(u.id)) for u in users)), scim
    )
    if role is not None:
        group = await bus.handle(SetGroupRole(str(group.id), role), admin)
    return group


async def test_a_group_s_role_goes_to_its_members_without_a_stated_role(scim, operator):
    jane = await provision(scim, "jane@acme.test")

    await group_of(scim, "Admins", jane, role="admin", admin=operator)

    assert await role_of(jane) == ("admin", RoleOrigin.GROUP, "Admins")


async def test_the_identity_provider_s_role_ranks_above_a_group_s(scim, operator):
    jane = await provision(scim, "jane@acme.test", role="limited-user")

    await group_of(scim, "Admins", jane, role="admin", admin=operator)

    assert await role_of(jane) == ("limited-user", RoleOrigin.IDENTITY_PROVIDER, None)


async def test_the_highest_ranked_group_role_wins_and_a_custom_role_ranks_as_its_level(
    scim, operator
):
    jane = await provision(scim, "jane@acme.test")
    finance = await bus.handle(CreateCustomRole("Finance", "limited-plus-user"), operator)
    await group_of(scim, "Everyone", jane, role="basic-user", admin=operator)
    await group_of(scim, "Finance", jane, role=finance.key, admin=operator)
    await group_of(scim, "Shop", jane, role="appstore-user", admin=operator)

    assert await role_of(jane) == (finance.key, RoleOrigin.GROUP, "Finance")


async def test_a_group_s_role_ranks_above_one_set_by_hand_which_returns_when_it_goes(
    scim, operator
):
    jane = await provision(scim, "jane@acme.test")
    await bus.handle(AssignRole(str(jane.id), "limited-plus-user"), operator)
    admins = await group_of(scim, "Admins", jane, role="admin", admin=operator)
    assert await role_of(jane) == ("admin", RoleOrigin.GROUP, "Admins")

    change = MembersChange("remove", (NewMember(str(jane.id)),))
    await bus.handle(UpdateGroup(str(admins.id), members=(change,)), scim)

    assert await role_of(jane) == ("limited-plus-user", RoleOrigin.MANUAL, None)


async def test_without_groups_or_statements_the_default_applies(scim, operator):
    jane = await provision(scim, "jane@acme.test")
    group = await group_of(scim, "Admins", jane, role="admin", admin=operator)

    await bus.handle(SetGroupRole(str(group.id), None), operator)

    assert await role_of(jane) == ("basic-user", RoleOrigin.DEFAULT, None)


async def test_a_deleted_group_takes_its_role_with_it(scim, operator):
    jane = await provision(scim, "jane@acme.test")
    group = await group_of(scim, "Admins", jane, role="admin", admin=operator)

    await bus.handle(DeleteGroup(str(group.id)), scim)

    assert await role_of(jane) == ("basic-user", RoleOrigin.DEFAULT, None)


async def test_when_the_provider_stops_stating_a_role_the_group_s_applies(scim, operator):
    jane = await provision(scim, "jane@acme.test", role="limited-user")
    await group_of(scim, "Admins", jane, role="admin", admin=operator)

    await bus.handle(UpdateUser(str(jane.id), clear_role=True), scim)

    assert await role_of(jane) == ("admin", RoleOrigin.GROUP, "Admins")


async def test_a_role_from_a_group_is_no_statement_the_provider_reads_back(scim, operator):
    jane = await provision(scim, "jane@acme.test")
    await group_of(scim, "Admins", jane, role="admin", admin=operator)

    stored = await User.get(id=jane.id).prefetch_related("role")

    assert stated_role_key(stored) is None


async def test_a_deleted_custom_role_is_replaced_in_the_groups_that_gave_it(scim, operator):
    jane = await provision(scim, "jane@acme.test")
    finance = await bus.handle(CreateCustomRole("Finance", "limited-plus-user"), operator)
    group = await group_of(scim, "Finance", jane, role=finance.key, admin=operator)

    await bus.handle(DeleteCustomRole(finance.key, replacement="admin"), operator)

    assert await role_of(jane) == ("admin", RoleOrigin.GROUP, "Finance")
    assert (await Group.get(id=group.id).prefetch_related("role")).role.key == "admin"


async def test_role_changes_caused_by_membership_are_audited(scim, operator):
    jane = await provision(scim, "jane@acme.test")
    group = await group_of(scim, "Admins", role="admin", admin=operator)

    change = MembersChange("add", (NewMember(str(jane.id)),))
    await bus.handle(UpdateGroup(str(group.id), members=(change,)), scim)

    event = await AuditEvent.get(action="user.role_changed")
    assert event.target_id == str(jane.id)
    assert event.changes["role"] == {"before": "basic-user", "after": "admin"}
    assert event.changes["role_origin"] == {"before": "default", "after": "group"}
    assert event.actor_label == "Okta"


async def test_a_group_role_reaches_a_thousand_members_in_a_few_statements(db, scim, operator):
    users = [await provision(scim, f"u{n}@acme.test") for n in range(1000)]
    group = await group_of(scim, "Everyone", *users)

    with StatementCounter(db.db().capabilities.dialect) as counter:
        await bus.handle(SetGroupRole(str(group.id), "admin"), operator)

    assert counter.count <= 15, counter.statements
    assert await User.filter(role_origin=RoleOrigin.GROUP).count() == 1000
    assert await AuditEvent.filter(action="user.role_changed").count() == 1000


async def test_a_role_set_by_hand_beneath_a_group_s_is_kept_for_later(scim, operator):
    jane = await provision(scim, "jane@acme.test")
    group = await group_of(scim, "Admins", jane, role="admin", admin=operator)

    assigned = await bus.handle(AssignRole(str(jane.id), "limited-user"), operator)
    await bus.handle(SetGroupRole(str(group.id), None), operator)

    assert assigned.role.key == "admin"
    assert await role_of(jane) == ("limited-user", RoleOrigin.MANUAL, None)
