"""Roles: the six built-ins, custom roles, and resolving an identity provider's role string."""

from __future__ import annotations

import pytest

from domain import bus
from domain.actors import Actor
from domain.commands import (
    AssignRole,
    CreateCustomRole,
    CreateOrganization,
    DeleteCustomRole,
    UpdateCustomRole,
    UpdateOrganization,
)
from domain.errors import InvalidRole, InvalidValue, NotFound, RoleInUse
from domain.models import Organization, Role, RoleOrigin, User
from domain.roles import BUILTIN_ROLES, resolve_role
from tests.conftest import QueryCounter, provision

EXPECTED_BUILTINS = [
    ("super-admin", "Super Admin"),
    ("admin", "Application Admin"),
    ("basic-user", "Basic User"),
    ("limited-plus-user", "Limited Plus User"),
    ("limited-user", "Limited User"),
    ("appstore-user", "Appstore User"),
]


def test_the_six_built_in_roles_have_their_exact_strings_and_names():
    assert [(role.key, role.name) for role in BUILTIN_ROLES] == EXPECTED_BUILTINS


@pytest.mark.parametrize("key", [key for key, _ in EXPECTED_BUILTINS])
async def test_every_built_in_string_resolves_to_its_role(organization, key):
    role = await resolve_role(organization.id, key)
    assert (role.key, role.builtin) == (key, True)


@pytest.mark.parametrize("sent", ["SUPER-ADMIN", "Basic-User", " limited-user ", "AppStore-User"])
async def test_built_in_strings_resolve_whatever_their_case(organization, sent):
    role = await resolve_role(organization.id, sent)
    assert role.key == sent.strip().lower()


async def test_a_custom_role_id_resolves_exactly(organization, operator):
    custom = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)

    assert (await resolve_role(organization.id, custom.key)).id == custom.id
    with pytest.raises(InvalidRole):
        await resolve_role(organization.id, custom.key.upper())


@pytest.mark.parametrize("sent", ["superadmin", "owner", "", "cr_doesnotexist00"])
async def test_an_unknown_role_string_is_refused_with_the_accepted_values(
    organization, operator, sent
):
    custom = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)

    with pytest.raises(InvalidRole) as refused:
        await resolve_role(organization.id, sent)

    assert refused.value.allowed == (*[key for key, _ in EXPECTED_BUILTINS], custom.key)
    assert custom.key in str(refused.value)


async def test_a_custom_role_of_another_organization_does_not_resolve(organization, operator):
    other = await bus.handle(CreateOrganization("globex", "Globex"), Actor.operator())
    theirs = await bus.handle(CreateCustomRole("Ops", "admin"), Actor.operator(other.id))

    with pytest.raises(InvalidRole):
        await resolve_role(organization.id, theirs.key)


async def test_custom_role_carries_its_level_and_restricted_apps(operator):
    role = await bus.handle(
        CreateCustomRole(
            "Finance team",
            "Limited-User",
            description="Sees finance apps only",
            restricted_apps=("Salesforce", " NetSuite ", "Salesforce"),
        ),
        operator,
    )

    assert role.key.startswith("cr_")
    assert role.permission_level == "limited-user"
    assert role.restricted_apps == ["Salesforce", "NetSuite"]
    assert role.builtin is False


async def test_custom_role_ids_are_opaque_and_unique(operator):
    first = await bus.handle(CreateCustomRole("A", "basic-user"), operator)
    second = await bus.handle(CreateCustomRole("A", "basic-user"), operator)
    assert first.key != second.key
    assert len(first.key) >= 16


async def test_custom_role_needs_a_built_in_permission_level(operator):
    with pytest.raises(InvalidValue, match="permission level"):
        await bus.handle(CreateCustomRole("Odd", "owner"), operator)


async def test_custom_role_can_be_changed_but_built_in_roles_cannot(operator):
    role = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)

    changed = await bus.handle(
        UpdateCustomRole(role.key, name="Finance EU", restricted_apps=("SAP",)), operator
    )

    assert (changed.name, changed.restricted_apps, changed.key) == ("Finance EU", ["SAP"], role.key)
    with pytest.raises(InvalidValue, match="built-in"):
        await bus.handle(UpdateCustomRole("admin", name="Boss"), operator)


async def test_deleting_a_custom_role_nobody_holds_needs_no_replacement(operator):
    role = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)

    await bus.handle(DeleteCustomRole(role.key), operator)

    assert not await Role.exists(key=role.key)


async def test_deleting_a_custom_role_still_held_requires_a_replacement(operator, scim):
    role = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)
    user = await provision(scim, "jane@acme.test", role=role.key)

    with pytest.raises(RoleInUse) as refused:
        await bus.handle(DeleteCustomRole(role.key), operator)
    assert refused.value.user_count == 1
    assert await Role.exists(key=role.key)

    await bus.handle(DeleteCustomRole(role.key, replacement="limited-plus-user"), operator)

    moved = await User.get(id=user.id).prefetch_related("role")
    assert moved.role.key == "limited-plus-user"
    assert moved.role_origin is RoleOrigin.MANUAL
    assert moved.version == user.version + 1


async def test_deleting_the_default_role_moves_the_default_too(organization, operator):
    role = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)
    await bus.handle(UpdateOrganization(default_role=role.key), operator)

    with pytest.raises(RoleInUse):
        await bus.handle(DeleteCustomRole(role.key), operator)
    await bus.handle(DeleteCustomRole(role.key, replacement="basic-user"), operator)

    assert (await Organization.get(id=organization.id)).default_role_key == "basic-user"


async def test_a_role_cannot_replace_itself(operator, scim):
    role = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)
    await provision(scim, "jane@acme.test", role=role.key)

    with pytest.raises(InvalidValue):
        await bus.handle(DeleteCustomRole(role.key, replacement=role.key), operator)


async def test_built_in_roles_cannot_be_deleted(operator):
    with pytest.raises(InvalidValue, match="built-in"):
        await bus.handle(DeleteCustomRole("basic-user", replacement="admin"), operator)


async def test_deleting_an_unknown_custom_role_is_not_found(operator):
    with pytest.raises(NotFound):
        await bus.handle(DeleteCustomRole("cr_nothinghere0000"), operator)


async def test_an_admin_sets_a_role_by_hand_and_it_is_marked_manual(operator, scim):
    user = await provision(scim, "jane@acme.test")

    assigned = await bus.handle(AssignRole(str(user.id), "appstore-user"), operator)

    assert assigned.role.key == "appstore-user"
    assert assigned.role_origin is RoleOrigin.MANUAL


# --- the roles this process keeps ---------------------------------------------------------


async def test_reading_a_user_costs_one_query_once_its_role_was_read(db, operator, scim):
    from domain import queries

    user = await provision(scim, "jane@acme.test", role="admin")
    await queries.get_user(operator, str(user.id))  # its role read, and kept

    with QueryCounter(db.db()) as counter:
        read = await queries.get_user(operator, str(user.id))

    assert (counter.count, read.role.key) == (1, "admin")


async def test_a_custom_role_changed_here_shows_at_once(operator, scim):
    from domain import queries

    role = await bus.handle(CreateCustomRole("Ops", "admin"), operator)
    user = await provision(scim, "jane@acme.test", role=role.key)
    await queries.get_user(operator, str(user.id))

    await bus.handle(UpdateCustomRole(role.key, name="Operations"), operator)

    assert (await queries.get_user(operator, str(user.id))).role.name == "Operations"


async def test_a_role_changed_by_another_process_shows_within_the_roles_lifetime(
    operator, scim, monkeypatch
):
    import time

    from domain import queries, roles

    role = await bus.handle(CreateCustomRole("Ops", "admin"), operator)
    user = await provision(scim, "jane@acme.test", role=role.key)
    await queries.get_user(operator, str(user.id))
    await Role.filter(id=role.id).update(name="Operations")  # another process's change

    kept = (await queries.get_user(operator, str(user.id))).role.name
    later = time.monotonic() + roles.ROLE_SECONDS + 0.1
    monkeypatch.setattr(roles.time, "monotonic", lambda: later)
    read_again = (await queries.get_user(operator, str(user.id))).role.name

    assert (kept, read_again) == ("Ops", "Operations")


async def test_resolving_a_role_string_read_a_moment_ago_costs_no_query(db, organization):
    await resolve_role(organization.id, "admin")

    with QueryCounter(db.db()) as counter:
        role = await resolve_role(organization.id, "Admin")

    assert (counter.count, role.key) == (0, "admin")
