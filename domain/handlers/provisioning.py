"""Handlers of the provisioning commands: pausing and resuming the identity provider's
writes; the circuit breaker's held changes, confirmed or rejected, and its threshold."""

from __future__ import annotations

import re

from domain import audit, deprovisioning_guard, held_commands
from domain.actors import Actor, organization_id_of
from domain.audit import AuditEntry, diff
from domain.clock import utcnow
from domain.commands import (
    ConfirmHeldChanges,
    DeactivateUser,
    DeleteUser,
    PauseProvisioning,
    RejectHeldChanges,
    ResumeProvisioning,
    SetDeprovisioningGuard,
    SetRequestLogRedaction,
    UpdateUser,
)
from domain.errors import InvalidValue, NotFound
from domain.handlers import users
from domain.handlers.organizations import organization_of
from domain.held_commands import HeldCommand
from domain.models import HeldChange, HeldChangeStatus, Organization


async def pause_provisioning(
    command: PauseProvisioning, actor: Actor
) -> tuple[Organization, AuditEntry]:
    organization = await organization_of(actor)
    changes: dict[str, object] = {}
    if organization.provisioning_paused_at is None:  # pausing twice keeps the first pause
        organization.provisioning_paused_at = utcnow()
        organization.provisioning_paused_by = actor.label[:200]
        await organization.save(update_fields=["provisioning_paused_at", "provisioning_paused_by"])
        changes = {"paused": {"before": False, "after": True}}
    return organization, AuditEntry(
        "organization.provisioning_paused", "organization", str(organization.id), changes
    )


async def resume_provisioning(
    command: ResumeProvisioning, actor: Actor
) -> tuple[Organization, AuditEntry]:
    organization = await organization_of(actor)
    changes: dict[str, object] = {}
    if organization.provisioning_paused_at is not None:
        since = organization.provisioning_paused_at
        organization.provisioning_paused_at = None
        organization.provisioning_paused_by = None
        await organization.save(update_fields=["provisioning_paused_at", "provisioning_paused_by"])
        changes = {
            "paused": {"before": True, "after": False},
            "paused_since": {"before": since.isoformat(timespec="seconds"), "after": None},
        }
    return organization, AuditEntry(
        "organization.provisioning_resumed", "organization", str(organization.id), changes
    )


async def confirm_held_changes(command: ConfirmHeldChanges, actor: Actor) -> tuple[int, AuditEntry]:
    organization = await _locked(actor)
    held = await HeldChange.filter(
        organization_id=organization.id, status=HeldChangeStatus.HELD
    ).order_by("held_at", "id")
    applied = []
    with deprovisioning_guard.confirmed():
        for change in held:
            provider = Actor.scim_token(change.token_id or "", change.token_label, organization.id)
            try:
                entry = await _apply(held_commands.load(change.kind, change.command), provider)
            except NotFound:  # the user is gone since: nothing to apply
                continue
            entry.changes["confirmed_by"] = actor.label
            await audit.record(entry, provider)
            applied.append(change.user_name)
    await HeldChange.filter(organization_id=organization.id).delete()
    _close(organization)
    await organization.save(update_fields=_GUARD_STATE)
    changes: dict[str, object] = {"held": {"before": len(held), "after": 0}, "applied": applied}
    return len(applied), AuditEntry(
        "organization.held_changes_confirmed", "organization", str(organization.id), changes
    )


async def reject_held_changes(command: RejectHeldChanges, actor: Actor) -> tuple[int, AuditEntry]:
    organization = await _locked(actor)
    held = HeldChange.filter(organization_id=organization.id, status=HeldChangeStatus.HELD)
    names = await held.values_list("user_name", flat=True)
    await held.update(status=HeldChangeStatus.REJECTED)
    _close(organization)
    await organization.save(update_fields=_GUARD_STATE)
    changes: dict[str, object] = {"rejected": list(names)}
    return len(names), AuditEntry(
        "organization.held_changes_rejected", "organization", str(organization.id), changes
    )


async def set_deprovisioning_guard(
    command: SetDeprovisioningGuard, actor: Actor
) -> tuple[Organization, AuditEntry]:
    organization = await _locked(actor)
    before = _guard(organization)
    for name, value, low, high in (
        ("percent", command.percent, 1, 100),
        ("minimum", command.minimum, 1, 1_000_000),
        ("minutes", command.minutes, 1, 7 * 24 * 60),
    ):
        if value is not None and not low <= value <= high:
            raise InvalidValue(name, f"a whole number from {low} to {high}")
    organization.deprovisioning_guard = command.enabled
    if command.percent is not None:
        organization.deprovisioning_guard_percent = command.percent
    if command.minimum is not None:
        organization.deprovisioning_guard_minimum = command.minimum
    if command.minutes is not None:
        organization.deprovisioning_guard_minutes = command.minutes
    await organization.save(
        update_fields=[
            "deprovisioning_guard",
            "deprovisioning_guard_percent",
            "deprovisioning_guard_minimum",
            "deprovisioning_guard_minutes",
        ]
    )
    return organization, AuditEntry(
        "organization.deprovisioning_guard_set",
        "organization",
        str(organization.id),
        diff(before, _guard(organization)),
    )


async def _apply(command: HeldCommand, provider: Actor) -> AuditEntry:
    """A held change, applied as the identity provider that sent it."""
    if isinstance(command, DeactivateUser):
        return (await users.deactivate_user(command, provider))[1]
    if isinstance(command, DeleteUser):
        return (await users.delete_user(command, provider))[1]
    if isinstance(command, UpdateUser):
        return (await users.update_user(command, provider))[1]
    return (await users.replace_user(command, provider))[1]


_GUARD_STATE = ["deprovisioning_guard_tripped_at", "deprovisioning_guard_reset_at"]


async def _locked(actor: Actor) -> Organization:
    return await Organization.filter(id=organization_id_of(actor)).select_for_update().get()


def _close(organization: Organization) -> None:
    """The breaker closed, its window starting now."""
    organization.deprovisioning_guard_tripped_at = None
    organization.deprovisioning_guard_reset_at = utcnow()


def _guard(organization: Organization) -> dict[str, object]:
    return {
        "enabled": organization.deprovisioning_guard,
        "percent": organization.deprovisioning_guard_percent,
        "minimum": organization.deprovisioning_guard_minimum,
        "minutes": organization.deprovisioning_guard_minutes,
    }


# A SCIM attribute as a key, a dotted sub-attribute or a schema-qualified name would spell it.
_ATTRIBUTE = re.compile(r"^[A-Za-z$][A-Za-z0-9_$.:-]{0,199}$")
MAX_REDACTED = 50


async def set_request_log_redaction(
    command: SetRequestLogRedaction, actor: Actor
) -> tuple[Organization, AuditEntry]:
    names: list[str] = []
    for text in command.attributes:
        name = text.strip()
        if not name or name.casefold() in (kept.casefold() for kept in names):
            continue
        if not _ATTRIBUTE.match(name):
            raise InvalidValue(
                "attributes", f"SCIM attribute names (letters, digits, . _ : - $), not {name!r}"
            )
        names.append(name)
    if len(names) > MAX_REDACTED:
        raise InvalidValue("attributes", f"at most {MAX_REDACTED} attribute names")
    organization = await organization_of(actor)
    before = list(organization.request_log_redacted or ())
    organization.request_log_redacted = names
    await organization.save(update_fields=["request_log_redacted"])
    changes = diff({"request_log_redacted": before}, {"request_log_redacted": names})
    return organization, AuditEntry(
        "organization.request_log_redaction_set", "organization", str(organization.id), changes
    )
