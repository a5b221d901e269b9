"""The permission table: who may do what."""

from __future__ import annotations

import pytest

from domain import bus, queries
from domain.actors import Actor
from domain.commands import (
    AssignRole,
    CreateAdmin,
    CreateCustomRole,
    CreateOrganization,
    DeactivateUser,
    IssueScimToken,
    UpdateOrganization,
)
from domain.errors import PermissionDenied
from domain.models import AuditEvent, TokenKind
from domain.permissions import (
    OPERATOR_PERMISSIONS,
    ROLE_PERMISSIONS,
    SCIM_TOKEN_PERMISSIONS,
    Permission,
    permissions_for_level,
)
from domain.roles import BUILTIN_KEYS
from tests.conftest import provision


def admin_at(level: str, organization_id: int) -> Actor:
    return Actor.admin(
        user_id="00000000-0000-0000-0000-00000000000a",
        label=f"someone ({level})",
        organization_id=organization_id,
        permission_level=level,
    )


def test_every_built_in_role_has_a_row_in_the_table():
    assert set(ROLE_PERMISSIONS) == set(BUILTIN_KEYS)


def test_super_admin_may_do_everything_in_its_organization():
    assert permissions_for_level("super-admin") == frozenset(Permission) - {
        Permission.ORGANIZATIONS_CREATE
    }


def test_admin_may_only_read_users_groups_roles_and_the_audit_log():
    assert permissions_for_level("admin") == {
        Permission.USERS_READ,
        Permission.GROUPS_READ,
        Permission.ROLES_READ,
        Permission.AUDIT_READ,
    }


@pytest.mark.parametrize(
    "level", ["basic-user", "limited-plus-user", "limited-user", "appstore-user", "unknown"]
)
def test_other_roles_may_do_nothing_in_the_settings_page(level):
    assert permissions_for_level(level) == frozenset()


def test_a_scim_token_provisions_users_and_groups_and_nothing_else():
    assert {
        Permission.USERS_READ,
        Permission.USERS_WRITE,
        Permission.GROUPS_READ,
        Permission.GROUPS_WRITE,
        Permission.ROLES_READ,
    } == SCIM_TOKEN_PERMISSIONS


def test_only_the_operator_creates_organizations():
    assert Permission.ORGANIZATIONS_CREATE in OPERATOR_PERMISSIONS
    for level in BUILTIN_KEYS:
        assert Permission.ORGANIZATIONS_CREATE not in permissions_for_level(level)


async def test_an_admin_cannot_change_users_or_roles(organization, scim):
    user = await provision(scim, "jane@acme.test")
    admin = admin_at("admin", organization.id)

    for command in (
        DeactivateUser(str(user.id)),
        AssignRole(str(user.id), "super-admin"),
        CreateCustomRole("X", "admin"),
        IssueScimToken(),
        UpdateOrganization(name="Evil"),
        CreateAdmin("x@acme.test", "password123"),
        CreateOrganization("other", "Other"),
    ):
        with pytest.raises(PermissionDenied):
            await bus.handle(command, admin)


async def test_an_admin_can_read_users_roles_and_audit_but_not_tokens(organization, scim):
    await provision(scim, "jane@acme.test")
    admin = admin_at("admin", organization.id)

    assert (await queries.list_users(admin)).total == 1
    assert len(await queries.list_roles(admin)) == 6
    with pytest.raises(PermissionDenied):
        await queries.list_tokens(admin, TokenKind.SCIM)
    assert (await queries.list_audit_events(admin)).total >= 1


async def test_a_basic_user_cannot_even_read_users(organization):
    with pytest.raises(PermissionDenied):
        await queries.list_users(admin_at("basic-user", organization.id))


async def test_a_scim_token_cannot_manage_roles_or_tokens(scim):
    for command in (CreateCustomRole("X", "admin"), IssueScimToken(), UpdateOrganization("X")):
        with pytest.raises(PermissionDenied):
            await bus.handle(command, scim)


async def test_a_refused_command_writes_nothing_not_even_an_audit_event(organization):
    with pytest.raises(PermissionDenied):
        await bus.handle(CreateCustomRole("X", "admin"), admin_at("admin", organization.id))
    assert await AuditEvent.filter(action="role.created").count() == 0


async def test_a_custom_role_grants_the_level_it_is_based_on(operator):
    role = await bus.handle(CreateCustomRole("Deputy", "super-admin"), operator)
    assert permissions_for_level(role.permission_level) == permissions_for_level("super-admin")


async def super_admin(operator, email: str) -> tuple[str, Actor]:
    user = await bus.handle(CreateAdmin(email, "correct horse"), operator)
    actor = Actor.admin(
        user_id=str(user.id),
        label=email,
        organization_id=user.organization_id,
        permission_level="super-admin",
    )
    return str(user.id), actor


async def test_an_admin_cannot_deactivate_or_demote_themself(operator):
    from domain.errors import InvalidValue

    me, actor = await super_admin(operator, "root@acme.test")
    await super_admin(operator, "second@acme.test")

    with pytest.raises(InvalidValue, match="yourself"):
        await bus.handle(DeactivateUser(me), actor)
    with pytest.raises(InvalidValue, match="yourself"):
        await bus.handle(AssignRole(me, "admin"), actor)


async def test_the_identity_provider_may_still_deactivate_any_admin(operator, scim):
    me, _ = await super_admin(operator, "root@acme.test")

    user = await bus.handle(DeactivateUser(me), scim)

    assert user.active is False
