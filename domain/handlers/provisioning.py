"""Handlers of the provisioning commands: pausing and resuming the identity provider's
writes."""

from __future__ import annotations

from domain.actors import Actor, organization_id_of
from domain.audit import AuditEntry
from domain.clock import utcnow
from domain.commands import PauseProvisioning, ResumeProvisioning
from domain.models import Organization


async def pause_provisioning(
    command: PauseProvisioning, actor: Actor
) -> tuple[Organization, AuditEntry]:
    organization = await Organization.get(id=organization_id_of(actor))
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
    organization = await Organization.get(id=organization_id_of(actor))
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
