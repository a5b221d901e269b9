"""Every command writes exactly one audit event in its own transaction, and none if it fails."""

from __future__ import annotations

import pytest

from domain import bus, queries
from domain.actors import Actor
from domain.commands import (
    AssignRole,
    ConfigureOidcConnection,
    ConfigureSamlConnection,
    ConfirmHeldChanges,
    CreateAdmin,
    CreateCustomRole,
    CreateGroup,
    CreateOrganization,
    DeactivateUser,
    DeleteCustomRole,
    DeleteGroup,
    DeleteSsoConnection,
    DeleteUser,
    EndSession,
    IssueApiToken,
    IssueScimToken,
    NewMember,
    PauseProvisioning,
    ProvisionUser,
    ReactivateUser,
    RejectHeldChanges,
    ReplaceGroup,
    ReplaceUser,
    ResetAdminPassword,
    ResumeProvisioning,
    RevokeApiToken,
    RevokeScimToken,
    SetDeprovisioningGuard,
    SetGroupRole,
    SetRequestLogRedaction,
    SetSsoEnforced,
    StartSession,
    UpdateCustomRole,
    UpdateGroup,
    UpdateOrganization,
    UpdateUser,
)
from domain.errors import DomainError, InvalidRole, UserNameTaken
from domain.handlers import HANDLERS
from domain.models import AuditEvent, Channel, User
from tests.conftest import attributes, provision


async def events() -> list[AuditEvent]:
    return await AuditEvent.all().order_by("id")


async def test_each_command_writes_exactly_one_audit_event(organization, operator, scim):
    admin_user = await bus.handle(CreateAdmin("root@acme.test", "correct horse"), operator)
    admin = Actor.admin(
        user_id=str(admin_user.id),
        label="root@acme.test",
        organization_id=organization.id,
        permission_level="super-admin",
    )
    user = await provision(scim, "jane@acme.test")
    role = await bus.handle(CreateCustomRole("Finance", "limited-user"), admin)
    scim_token = await bus.handle(IssueScimToken("Okta"), admin)
    api_token = await bus.handle(IssueApiToken("script"), admin)
    uid = str(user.id)
    gid = str((await bus.handle(CreateGroup("Engineering"), scim)).id)
    empty = str((await bus.handle(CreateGroup("Empty"), scim)).id)  # no member's role changes
    commands = [
        (CreateOrganization("globex", "Globex"), Actor.operator()),
        (UpdateOrganization(name="Acme Inc."), admin),
        (CreateAdmin("second@acme.test", "correct horse"), operator),
        (ResetAdminPassword("second@acme.test", "staple battery"), operator),
        (ProvisionUser(attributes("john@acme.test")), scim),
        (ReplaceUser(uid, attributes("jane@acme.test", title="CTO")), scim),
        (UpdateUser(uid, {"title": "CEO"}), scim),
        (DeactivateUser(uid), scim),
        (ReactivateUser(uid), scim),
        (AssignRole(uid, role.key), admin),
        (CreateCustomRole("Ops", "admin"), admin),
        (UpdateCustomRole(role.key, name="Finance EU"), admin),
        (DeleteCustomRole(role.key, replacement="basic-user"), admin),
        (RevokeScimToken(str(scim_token.token.id)), admin),
        (RevokeApiToken(str(api_token.token.id)), admin),
        (CreateGroup("Sales", members=(NewMember(uid),)), scim),
        (ReplaceGroup(gid, "Platform", members=(NewMember(uid),)), scim),
        (UpdateGroup(gid, {"display_name": "Platform 2"}), scim),
        (SetGroupRole(empty, "admin"), admin),
        (DeleteGroup(gid), scim),
        (DeleteUser(uid), scim),
        (IssueScimToken("Entra"), admin),
        (IssueApiToken("another script"), admin),
        (StartSession(), admin),
        (PauseProvisioning(), admin),
        (SetDeprovisioningGuard(enabled=True, percent=20), admin),
        (SetRequestLogRedaction(("title",)), admin),
        (ConfirmHeldChanges(), admin),
        (RejectHeldChanges(), admin),
        (ResumeProvisioning(), admin),
        (
            ConfigureOidcConnection(
                "https://acme.okta.example",
                {"issuer": "https://acme.okta.example"},
                "roster",
                "sealed",
                "…cret",
            ),
            admin,
        ),
        (
            ConfigureSamlConnection(
                "https://idp.acme.example/metadata",
                "https://idp.acme.example/sso",
                "<md:EntityDescriptor/>",
            ),
            admin,
        ),
    ]
    covered = {type(command) for command, _ in commands}
    covered |= {EndSession, DeleteSsoConnection, SetSsoEnforced}
    assert covered == set(HANDLERS), "every command is exercised here"

    for command, actor in commands:
        before = await AuditEvent.all().count()
        result = await bus.handle(command, actor)
        assert await AuditEvent.all().count() == before + 1, type(command).__name__
        if isinstance(command, StartSession):
            ended = EndSession(str(result.token.id))
            await bus.handle(ended, admin)
            assert await AuditEvent.all().count() == before + 2
        if isinstance(command, ConfigureOidcConnection | ConfigureSamlConnection):
            await bus.handle(SetSsoEnforced(False), admin)
            await bus.handle(DeleteSsoConnection(str(result.id)), admin)
            assert await AuditEvent.all().count() == before + 3


async def test_a_failing_command_writes_no_audit_event_and_no_change(scim, operator):
    await provision(scim, "jane@acme.test")
    count = await AuditEvent.all().count()

    with pytest.raises(UserNameTaken):
        await provision(scim, "JANE@acme.test")  # Okta's normal way to find an existing user
    with pytest.raises(InvalidRole):
        await provision(operator, "john@acme.test", role="owner")

    assert await AuditEvent.all().count() == count
    assert await User.all().count() == 1


async def test_a_provider_change_the_admin_can_fix_is_logged_as_failed_with_its_reason(scim):
    jane = await provision(scim, "jane@acme.test")
    await provision(scim, "john@acme.test")

    with pytest.raises(InvalidRole):
        await provision(scim, "ann@acme.test", role="owner")
    with pytest.raises(UserNameTaken):
        await bus.handle(UpdateUser(str(jane.id), {"user_name": "JOHN@acme.test"}), scim)

    failed = await AuditEvent.filter(action__endswith="_failed").order_by("id")
    assert [(e.action, e.target_id) for e in failed] == [
        ("user.provision_failed", "ann@acme.test"),
        ("user.update_failed", str(jane.id)),
    ]
    assert "unknown role 'owner'" in failed[0].changes["reason"]
    assert "basic-user" in failed[0].changes["reason"]
    assert failed[0].changes["userName"] == "ann@acme.test"
    assert failed[0].channel is Channel.SCIM
    assert await User.filter(user_name_key="ann@acme.test").count() == 0


async def test_a_change_and_its_event_are_rolled_back_together(organization, scim, monkeypatch):
    """If writing the audit event fails, the change it describes is not kept either."""

    async def broken_create(*args, **kwargs):
        raise DomainError("audit store unavailable")

    monkeypatch.setattr(AuditEvent, "create", broken_create)
    with pytest.raises(DomainError):
        await provision(scim, "jane@acme.test")
    monkeypatch.undo()

    assert await User.all().count() == 0


async def test_an_event_says_who_through_which_door_what_and_which_fields_changed(scim):
    user = await provision(scim, "jane@acme.test", title="CTO")
    await bus.handle(UpdateUser(str(user.id), {"title": "CEO"}), scim)

    event = (await events())[-1]
    assert event.actor_kind == "scim_token"
    assert event.actor_label == "Okta"
    assert event.channel is Channel.SCIM
    assert event.action == "user.updated"
    assert (event.target_type, event.target_id) == ("user", str(user.id))
    assert event.changes == {"title": {"before": "CTO", "after": "CEO"}}


async def test_events_hold_no_secrets(operator):
    await bus.handle(CreateAdmin("root@acme.test", "correct horse battery"), operator)
    issued = await bus.handle(IssueScimToken("Okta"), operator)

    text = repr([(e.changes, e.actor_label) for e in await events()])
    assert "correct horse battery" not in text
    assert "argon2" not in text
    assert issued.secret not in text
    assert issued.token.digest not in text


async def test_the_log_lists_newest_first_and_filters_by_target(operator, scim):
    jane = await provision(scim, "jane@acme.test")
    await provision(scim, "john@acme.test")
    await bus.handle(DeactivateUser(str(jane.id)), scim)

    page = await queries.list_audit_events(operator, target_id=str(jane.id))

    assert [e.action for e in page.items] == ["user.deactivated", "user.provisioned"]
    first = await queries.list_audit_events(operator, first=2)
    rest = await queries.list_audit_events(operator, first=2, after=first.next_cursor)
    assert [e.id for e in first.items + rest.items] == sorted(
        [e.id for e in await events()], reverse=True
    )
    assert rest.next_cursor is None
