"""An operator gives a locked-out admin a new password (`roster admin reset-password`)."""

from __future__ import annotations

import pytest

from domain import bus
from domain.actors import Actor
from domain.authentication import authenticate_api, authenticate_session
from domain.commands import (
    CreateAdmin,
    CreateOrganization,
    IssueApiToken,
    ProvisionUser,
    ResetAdminPassword,
)
from domain.errors import (
    InvalidCredentials,
    InvalidToken,
    InvalidValue,
    NotFound,
    PermissionDenied,
)
from domain.models import AuditEvent
from domain.sessions import sign_in
from tests.conftest import attributes

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse"


@pytest.fixture
async def admin(operator):
    return await bus.handle(CreateAdmin("root@acme.test", PASSWORD), operator)


async def test_the_new_password_signs_in_and_the_old_one_no_longer_does(admin, operator):
    await bus.handle(ResetAdminPassword("Root@Acme.test", NEW_PASSWORD), operator)

    assert await sign_in("root@acme.test", NEW_PASSWORD, "10.0.0.1")
    with pytest.raises(InvalidCredentials):
        await sign_in("root@acme.test", PASSWORD, "10.0.0.1")


async def test_a_reset_ends_every_session_the_admin_had(admin, operator):
    sessions = [await sign_in("root@acme.test", PASSWORD, "10.0.0.1") for _ in range(2)]

    await bus.handle(ResetAdminPassword("root@acme.test", NEW_PASSWORD), operator)

    for signed_in in sessions:
        with pytest.raises(InvalidToken):
            await authenticate_session(signed_in.session.secret)


async def test_a_reset_leaves_the_admins_api_tokens_working(admin, operator):
    signed_in = await sign_in("root@acme.test", PASSWORD, "10.0.0.1")
    issued = await bus.handle(
        IssueApiToken("nightly"), await authenticate_session(signed_in.session.secret)
    )

    await bus.handle(ResetAdminPassword("root@acme.test", NEW_PASSWORD), operator)

    assert (await authenticate_api(issued.secret)).user_id == str(admin.id)


async def test_a_reset_is_in_the_audit_log_without_the_password(admin, operator):
    await sign_in("root@acme.test", PASSWORD, "10.0.0.1")

    await bus.handle(ResetAdminPassword("root@acme.test", NEW_PASSWORD), operator)

    event = await AuditEvent.get(action="admin.password_reset")
    assert event.target_id == str(admin.id)
    assert event.actor_label == "command line"
    assert event.changes == {"sessions_ended": {"before": None, "after": 1}}
    assert NEW_PASSWORD not in str(event.changes)


async def test_a_short_new_password_is_refused_and_the_old_one_kept(admin, operator):
    with pytest.raises(InvalidValue, match="at least 8"):
        await bus.handle(ResetAdminPassword("root@acme.test", "short"), operator)

    assert await sign_in("root@acme.test", PASSWORD, "10.0.0.1")


async def test_an_unknown_email_is_not_found(admin, operator):
    with pytest.raises(NotFound, match=r"admin 'nobody@acme\.test' not found"):
        await bus.handle(ResetAdminPassword("nobody@acme.test", NEW_PASSWORD), operator)


async def test_a_provisioned_user_is_not_an_admin_and_gets_no_password(operator, scim):
    await bus.handle(ProvisionUser(attributes("jane@acme.test")), scim)

    with pytest.raises(InvalidValue, match="not an admin"):
        await bus.handle(ResetAdminPassword("jane@acme.test", NEW_PASSWORD), operator)
    with pytest.raises(InvalidCredentials):
        await sign_in("jane@acme.test", NEW_PASSWORD, "10.0.0.1")


async def test_an_admin_of_another_organization_is_out_of_reach(admin):
    other = await bus.handle(CreateOrganization(slug="globex", name="Globex"), Actor.operator())

    with pytest.raises(NotFound):
        await bus.handle(
            ResetAdminPassword("root@acme.test", NEW_PASSWORD), Actor.operator(other.id)
        )
    assert await sign_in("root@acme.test", PASSWORD, "10.0.0.1")


async def test_an_admin_of_the_settings_page_may_not_reset_passwords(admin, organization):
    actor = Actor.admin(
        user_id=str(admin.id),
        label=admin.user_name,
        organization_id=organization.id,
        permission_level="admin",
    )

    with pytest.raises(PermissionDenied):
        await bus.handle(ResetAdminPassword("root@acme.test", NEW_PASSWORD), actor)
