"""Users: provisioning, userName uniqueness, versions, deactivation and deletion."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.exceptions import IntegrityError

from domain import bus, queries
from domain.actors import Actor
from domain.commands import (
    CreateOrganization,
    DeactivateUser,
    DeleteUser,
    ProvisionUser,
    ReactivateUser,
    ReplaceUser,
    UpdateUser,
)
from domain.errors import InvalidValue, NotFound, UserNameTaken, VersionMismatch
from domain.models import Organization, RoleOrigin, User, UserCount
from tests.conftest import attributes, provision


async def test_provisioned_user_keeps_every_attribute_and_the_case_of_its_user_name(scim):
    user = await provision(scim, "Test.User@Okta.local", locale="en-US", title="Engineer")

    stored = await User.get(id=user.id).prefetch_related("role")
    assert stored.user_name == "Test.User@Okta.local"
    assert stored.locale == "en-US"
    assert stored.title == "Engineer"
    assert stored.emails == [{"value": "Test.User@Okta.local", "type": "work", "primary": True}]
    assert stored.active is True
    assert stored.version == 1


async def test_user_without_role_string_gets_the_organization_default(scim):
    user = await provision(scim, "a@acme.test")

    assert user.role.key == "basic-user"
    assert user.role_origin is RoleOrigin.DEFAULT


async def test_user_with_role_string_gets_that_role_from_the_identity_provider(scim):
    user = await provision(scim, "a@acme.test", role="ADMIN")

    assert user.role.key == "admin"
    assert user.role_origin is RoleOrigin.IDENTITY_PROVIDER


async def test_user_name_is_unique_per_organization_whatever_its_case(scim):
    await provision(scim, "jane@acme.test")

    with pytest.raises(UserNameTaken):
        await provision(scim, "JANE@Acme.Test")
    assert await User.all().count() == 1


async def test_deactivated_user_still_holds_its_user_name(scim):
    user = await provision(scim, "jane@acme.test")
    await bus.handle(DeactivateUser(str(user.id)), scim)

    with pytest.raises(UserNameTaken):
        await provision(scim, "Jane@acme.test")


async def test_two_organizations_may_share_a_user_name(scim):
    other = await bus.handle(CreateOrganization("globex", "Globex"), Actor.operator())
    other_scim = Actor.scim_token("00000000-0000-0000-0000-000000000002", "Okta", other.id)

    await provision(scim, "jane@example.test")
    await provision(other_scim, "JANE@example.test")

    assert await User.filter(user_name_key="jane@example.test").count() == 2


async def test_the_database_itself_refuses_a_case_variant_of_a_user_name(scim):
    user = await provision(scim, "jane@acme.test")

    with pytest.raises(IntegrityError):
        await User.create(
            organization_id=user.organization_id,
            user_name="JANE@ACME.TEST",
            user_name_key="jane@acme.test",
            role_id=user.role_id,
            role_origin=RoleOrigin.DEFAULT,
        )


async def test_concurrent_creates_of_one_user_name_leave_exactly_one_user(scim):
    names = [f"{'J' if i % 2 else 'j'}ane{'@ACME' if i % 3 else '@acme'}.test" for i in range(12)]

    results = await asyncio.gather(
        *(bus.handle(ProvisionUser(attributes(name)), scim) for name in names),
        return_exceptions=True,
    )

    created = [r for r in results if isinstance(r, User)]
    refused = [r for r in results if isinstance(r, UserNameTaken)]
    assert len(created) == 1
    assert len(refused) == len(names) - 1
    assert await User.all().count() == 1


async def test_renaming_to_a_taken_user_name_is_refused(scim):
    await provision(scim, "jane@acme.test")
    john = await provision(scim, "john@acme.test")

    with pytest.raises(UserNameTaken):
        await bus.handle(UpdateUser(str(john.id), {"user_name": "Jane@ACME.test"}), scim)
    assert (await User.get(id=john.id)).user_name == "john@acme.test"


async def test_renaming_a_user_to_another_case_of_its_own_name_is_allowed(scim):
    user = await provision(scim, "jane@acme.test")

    renamed = await bus.handle(UpdateUser(str(user.id), {"user_name": "Jane@Acme.test"}), scim)

    assert renamed.user_name == "Jane@Acme.test"


async def test_every_write_advances_the_version_and_a_no_op_does_not(scim):
    user = await provision(scim, "jane@acme.test")

    changed = await bus.handle(UpdateUser(str(user.id), {"title": "CTO"}), scim)
    unchanged = await bus.handle(UpdateUser(str(user.id), {"title": "CTO"}), scim)

    assert changed.version == 2
    assert unchanged.version == 2


async def test_a_stale_expected_version_is_refused_and_changes_nothing(scim):
    user = await provision(scim, "jane@acme.test")
    await bus.handle(UpdateUser(str(user.id), {"title": "CTO"}), scim)

    with pytest.raises(VersionMismatch) as refused:
        await bus.handle(UpdateUser(str(user.id), {"title": "CEO"}, expected_version=1), scim)

    assert (refused.value.expected, refused.value.actual) == (1, 2)
    assert (await User.get(id=user.id)).title == "CTO"


async def test_an_update_of_the_user_as_read_is_written_while_it_is_still_at_that_version(scim):
    user = await provision(scim, "jane@acme.test", title="CTO")
    read = await queries.get_user(scim, str(user.id))

    updated = await bus.handle(
        UpdateUser.of(read, attributes("jane@acme.test", title="CEO"), None), scim
    )

    stored = await User.get(id=user.id)
    assert (updated.version, stored.version, stored.title) == (2, 2, "CEO")


async def test_an_update_of_a_stale_read_is_refused_and_changes_nothing(scim):
    user = await provision(scim, "jane@acme.test")
    read = await queries.get_user(scim, str(user.id))
    await bus.handle(UpdateUser(str(user.id), {"title": "CTO"}), scim)  # another writer

    with pytest.raises(VersionMismatch) as refused:
        await bus.handle(UpdateUser.of(read, attributes("jane@acme.test", title="CEO"), None), scim)

    assert (refused.value.expected, refused.value.actual) == (1, 2)
    assert (await User.get(id=user.id)).title == "CTO"


async def test_an_update_of_a_user_read_in_another_organization_is_not_found(organization, scim):
    other = await bus.handle(CreateOrganization("globex", "Globex"), Actor.operator())
    globex = Actor.scim_token("okta-globex", "Okta", other.id)
    theirs = await queries.get_user(globex, str((await provision(globex, "jane@globex.test")).id))

    with pytest.raises(NotFound):
        await bus.handle(
            UpdateUser.of(theirs, attributes("jane@globex.test", title="x"), None), scim
        )


async def test_deactivated_user_keeps_all_its_data_and_can_be_reactivated(scim):
    user = await provision(scim, "jane@acme.test", role="admin", title="CTO")

    deactivated = await bus.handle(DeactivateUser(str(user.id)), scim)
    assert deactivated.active is False
    stored = await User.get(id=user.id).prefetch_related("role")
    assert (stored.title, stored.role.key, stored.emails) == ("CTO", "admin", user.emails)

    reactivated = await bus.handle(ReactivateUser(str(user.id)), scim)
    assert reactivated.active is True
    assert reactivated.version == 3


async def test_deleted_user_is_gone_and_its_id_is_not_found(scim):
    user = await provision(scim, "jane@acme.test")

    await bus.handle(DeleteUser(str(user.id)), scim)

    assert not await User.exists(id=user.id)
    with pytest.raises(NotFound):
        await bus.handle(DeactivateUser(str(user.id)), scim)


async def test_replace_sets_every_attribute_and_clears_those_not_sent(scim):
    user = await provision(scim, "jane@acme.test", title="CTO", nick_name="JJ")

    replaced = await bus.handle(
        ReplaceUser(str(user.id), attributes("jane@acme.test", given_name="Janet")), scim
    )

    assert replaced.given_name == "Janet"
    assert replaced.title is None
    assert replaced.nick_name is None


async def test_replace_without_role_string_keeps_a_role_set_by_hand(scim, operator):
    from domain.commands import AssignRole

    user = await provision(scim, "jane@acme.test")
    await bus.handle(AssignRole(str(user.id), "limited-user"), operator)

    replaced = await bus.handle(ReplaceUser(str(user.id), attributes("jane@acme.test")), scim)

    assert replaced.role.key == "limited-user"
    assert replaced.role_origin is RoleOrigin.MANUAL


async def test_replace_without_role_string_returns_a_provider_role_to_the_default(scim):
    user = await provision(scim, "jane@acme.test", role="admin")

    replaced = await bus.handle(ReplaceUser(str(user.id), attributes("jane@acme.test")), scim)

    assert replaced.role.key == "basic-user"
    assert replaced.role_origin is RoleOrigin.DEFAULT


async def test_a_user_of_another_organization_is_not_found(scim):
    other = await bus.handle(CreateOrganization("globex", "Globex"), Actor.operator())
    other_scim = Actor.scim_token("00000000-0000-0000-0000-000000000002", "Okta", other.id)
    user = await provision(scim, "jane@acme.test")

    with pytest.raises(NotFound):
        await bus.handle(DeactivateUser(str(user.id)), other_scim)
    assert (await User.get(id=user.id)).active is True


async def test_a_malformed_user_id_is_not_found(scim):
    with pytest.raises(NotFound):
        await bus.handle(DeactivateUser("010101001010101011001010101011"), scim)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": "x" * 257}, "title"),
        ({"user_name": "   "}, "userName"),
        ({"user_name": "u" * 513}, "user_name"),
    ],
)
async def test_values_the_database_cannot_hold_are_refused_not_truncated(scim, values, field):
    user_name = values.pop("user_name", "jane@acme.test")
    with pytest.raises(InvalidValue) as refused:
        await bus.handle(ProvisionUser(attributes(user_name, **values)), scim)
    assert refused.value.field == field
    assert await User.all().count() == 0


async def test_two_primary_emails_are_refused(scim):
    from domain.commands import Email

    emails = (Email("a@acme.test", primary=True), Email("b@acme.test", primary=True))
    with pytest.raises(InvalidValue, match="primary"):
        await provision(scim, "a@acme.test", emails=emails)


async def test_updating_an_unknown_attribute_is_refused(scim):
    user = await provision(scim, "jane@acme.test")

    with pytest.raises(InvalidValue):
        await bus.handle(UpdateUser(str(user.id), {"password_hash": "x"}), scim)


async def test_organization_default_role_applies_to_users_that_arrive_without_one(operator, scim):
    from domain.commands import UpdateOrganization

    await bus.handle(UpdateOrganization(default_role="limited-user"), operator)

    user = await provision(scim, "jane@acme.test")

    assert user.role.key == "limited-user"
    assert (await Organization.get(slug="acme")).default_role_key == "limited-user"


async def test_when_two_creates_pass_the_early_check_the_constraint_decides(scim, monkeypatch):
    """The early check is only for a friendly answer: with it out of the way, concurrent
    creates still leave one user, and the losers get UserNameTaken from the constraint."""
    from domain.handlers import users

    async def no_early_check(user):
        return None

    monkeypatch.setattr(users, "_check_user_name_free", no_early_check)
    names = ["jane@acme.test", "JANE@acme.test", "Jane@Acme.Test", "jAnE@acme.test"]

    results = await asyncio.gather(
        *(bus.handle(ProvisionUser(attributes(name)), scim) for name in names),
        return_exceptions=True,
    )

    assert sum(isinstance(r, User) for r in results) == 1
    assert sum(isinstance(r, UserNameTaken) for r in results) == len(names) - 1
    assert await User.all().count() == 1


async def test_multi_valued_attributes_are_indexed_for_filters_and_kept_in_step(scim):
    from domain.commands import Email, PhoneNumber
    from domain.models import UserValue

    user = await provision(
        scim,
        "jane@acme.test",
        emails=(Email("Jane@Acme.test", "work", primary=True), Email("j@home.test", "home")),
        phone_numbers=(PhoneNumber("+1 555 0100", "mobile"),),
    )

    rows = (
        await UserValue.filter(user_id=user.id)
        .order_by("id")
        .values_list("attribute", "value_key", "type", "primary")
    )
    assert rows == [
        ("emails", "jane@acme.test", "work", True),
        ("emails", "j@home.test", "home", False),
        ("phone_numbers", "+1 555 0100", "mobile", False),
    ]

    await bus.handle(UpdateUser(str(user.id), {"emails": (Email("new@acme.test", "work"),)}), scim)
    assert await UserValue.filter(user_id=user.id, attribute="emails").values_list(
        "value", flat=True
    ) == ["new@acme.test"]

    await bus.handle(DeleteUser(str(user.id)), scim)
    assert await UserValue.filter(user_id=user.id).count() == 0


async def test_an_update_that_only_flips_active_is_logged_as_deactivation(scim):
    from domain.models import AuditEvent

    user = await provision(scim, "jane@acme.test")
    await bus.handle(UpdateUser(str(user.id), {"active": False}), scim)
    await bus.handle(UpdateUser(str(user.id), {"active": True}), scim)

    actions = (
        await AuditEvent.filter(target_id=str(user.id))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["user.provisioned", "user.deactivated", "user.reactivated"]


async def test_clearing_the_role_returns_the_user_to_the_default(scim):
    user = await provision(scim, "jane@acme.test", role="admin")

    cleared = await bus.handle(UpdateUser(str(user.id), clear_role=True), scim)

    assert (cleared.role.key, cleared.role_origin) == ("basic-user", RoleOrigin.DEFAULT)


async def test_sending_back_a_role_set_by_hand_keeps_it_marked_manual(scim, operator):
    """Okta reads a user, then PUTs it back with the permissionsRole it read."""
    from domain.commands import AssignRole

    user = await provision(scim, "jane@acme.test")
    assigned = await bus.handle(AssignRole(str(user.id), "limited-user"), operator)

    replaced = await bus.handle(
        ReplaceUser(str(user.id), attributes("jane@acme.test"), role="limited-user"), scim
    )

    assert (replaced.role.key, replaced.role_origin) == ("limited-user", RoleOrigin.MANUAL)
    assert replaced.version == assigned.version


async def test_stating_the_default_role_marks_it_as_from_the_provider(scim):
    user = await provision(scim, "jane@acme.test")

    stated = await bus.handle(UpdateUser(str(user.id), role="basic-user"), scim)

    assert (stated.role.key, stated.role_origin) == ("basic-user", RoleOrigin.IDENTITY_PROVIDER)


async def kept_and_counted(organization_id: int) -> tuple[int, int]:
    slots = await UserCount.filter(organization_id=organization_id).values_list("users", flat=True)
    return sum(int(users) for users in slots), await User.filter(
        organization_id=organization_id
    ).count()


async def test_each_organization_s_count_of_users_is_kept_by_the_database(organization, scim):
    other = await bus.handle(CreateOrganization("globex", "Globex"), Actor.operator())
    assert await kept_and_counted(organization.id) == (0, 0)

    users = [await provision(scim, f"user{index}@acme.test") for index in range(3)]
    await provision(Actor.scim_token("okta-globex", "Okta", other.id), "jane@globex.test")
    await bus.handle(DeactivateUser(str(users[0].id)), scim)  # deactivated users still count
    await bus.handle(DeleteUser(str(users[1].id)), scim)
    role = (await User.get(id=users[2].id).prefetch_related("role")).role
    await User.bulk_create(  # written by any means, in one statement
        [
            User(
                organization_id=organization.id,
                user_name=f"bulk{index}@acme.test",
                user_name_key=f"bulk{index}@acme.test",
                role=role,
                role_origin=RoleOrigin.DEFAULT,
            )
            for index in range(4)
        ]
    )

    assert await kept_and_counted(organization.id) == (6, 6)
    assert await kept_and_counted(other.id) == (1, 1)


async def test_users_created_and_deleted_concurrently_are_each_counted_once(organization, scim):
    users = await asyncio.gather(
        *(provision(scim, f"user{index}@acme.test") for index in range(24))
    )
    await asyncio.gather(*(bus.handle(DeleteUser(str(user.id)), scim) for user in users[:10]))
    await User.filter(id__in=[user.id for user in users[10:16]]).delete()  # one statement

    assert await kept_and_counted(organization.id) == (8, 8)


async def test_a_failed_change_leaves_the_count_as_it_was(organization, scim):
    await provision(scim, "jane@acme.test")

    with pytest.raises(UserNameTaken):
        await provision(scim, "JANE@acme.test")

    assert await kept_and_counted(organization.id) == (1, 1)
