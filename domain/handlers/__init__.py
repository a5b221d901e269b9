"""One handler per command: `HANDLERS[type(command)](command, actor)` returns the result and
the audit entry that the bus writes in the same transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from domain import commands as c
from domain.actors import Actor
from domain.audit import AuditEntry
from domain.handlers import groups, organizations, provisioning, roles, sso, tokens, users

# Each handler takes its command (so a handler of one command is no handler of the others:
# the registry can say no more than Any of the argument) and returns what the command's type
# parameter names (tests/domain/test_bus_types.py checks each) with its audit entry.
Handler = Callable[[Any, Actor], Awaitable[tuple[object, AuditEntry]]]
HANDLERS: dict[type[c.Command[Any]], Handler] = {
    c.CreateOrganization: organizations.create_organization,
    c.UpdateOrganization: organizations.update_organization,
    c.PauseProvisioning: provisioning.pause_provisioning,
    c.ResumeProvisioning: provisioning.resume_provisioning,
    c.ConfirmHeldChanges: provisioning.confirm_held_changes,
    c.RejectHeldChanges: provisioning.reject_held_changes,
    c.SetDeprovisioningGuard: provisioning.set_deprovisioning_guard,
    c.SetRequestLogRedaction: provisioning.set_request_log_redaction,
    c.CreateAdmin: organizations.create_admin,
    c.ResetAdminPassword: organizations.reset_admin_password,
    c.ProvisionUser: users.provision_user,
    c.ReplaceUser: users.replace_user,
    c.UpdateUser: users.update_user,
    c.DeactivateUser: users.deactivate_user,
    c.ReactivateUser: users.reactivate_user,
    c.DeleteUser: users.delete_user,
    c.AssignRole: users.assign_role,
    c.CreateGroup: groups.create_group,
    c.ReplaceGroup: groups.replace_group,
    c.UpdateGroup: groups.update_group,
    c.DeleteGroup: groups.delete_group,
    c.SetGroupRole: groups.set_group_role,
    c.CreateCustomRole: roles.create_custom_role,
    c.UpdateCustomRole: roles.update_custom_role,
    c.DeleteCustomRole: roles.delete_custom_role,
    c.IssueScimToken: tokens.issue_token,
    c.IssueApiToken: tokens.issue_token,
    c.RevokeScimToken: tokens.revoke_token,
    c.RevokeApiToken: tokens.revoke_token,
    c.ConfigureOidcConnection: sso.configure_oidc_connection,
    c.ConfigureSamlConnection: sso.configure_saml_connection,
    c.DeleteSsoConnection: sso.delete_sso_connection,
    c.SetSsoEnforced: sso.set_sso_enforced,
    c.StartSession: tokens.start_session,
    c.EndSession: tokens.end_session,
}
