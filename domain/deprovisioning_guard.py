"""The mass-deactivation circuit breaker. An identity provider's mistake (a wrong group rule,
an emptied group, a broken mapping) deactivates hundreds of people in minutes; Roster holds
such a wave for an admin's review instead of applying it.

Each deactivation or delete of an active user that an identity provider sends is counted
within the organization's window (an hour by default). The one that would make the count more
than `percent` of the organization's active users (as they were at the window's start) and at
least `minimum` people is held instead of applied, and opens the breaker: every further
deactivation or delete is held too, until an admin confirms the held changes (they are applied
as they were sent, in order, and the window starts again) or rejects them (nothing is applied;
the same change for the same user, sent again, is held again). A later change to a user
supersedes the change held for them.

A held change is answered `DeprovisioningHeld`, which the SCIM door turns into 503 with
Retry-After: the provider sends it again later, and nothing it sent is lost."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from domain import audit, held_commands, provisioning
from domain.actors import Actor, ActorKind, organization_id_of
from domain.audit import AuditEntry
from domain.clock import utcnow
from domain.errors import DeprovisioningHeld
from domain.held_commands import HeldCommand
from domain.models import (
    Deprovisioning,
    HeldChange,
    HeldChangeStatus,
    Organization,
    User,
)
from domain.permissions import Permission

_confirming: ContextVar[bool] = ContextVar("confirming held changes", default=False)


@contextmanager
def confirmed() -> Iterator[None]:
    """While an admin's confirmation applies the held changes: counted, never held."""
    token = _confirming.set(True)
    try:
        yield
    finally:
        _confirming.reset(token)


def applies_to(actor: Actor) -> bool:
    """Only an identity provider's changes are guarded; an admin's are their own decision."""
    return actor.kind is ActorKind.SCIM_TOKEN


async def admit(actor: Actor, user: User) -> None:
    """Inside the transaction of a change from `actor` that would deactivate or delete `user`
    (active): count it, or raise DeprovisioningHeld. While the breaker is on, the
    organization's row is locked, so concurrent deactivations are counted one after another
    and it trips exactly at its threshold. (Turned off, or on in another process less than a
    second ago, it only counts: `provisioning.state_of`.)"""
    if not applies_to(actor):
        return
    organization_id, now = organization_id_of(actor), utcnow()
    state = await provisioning.state_of(organization_id)
    if (state.guarded or state.holding) and not _confirming.get():
        organization = await Organization.filter(id=organization_id).select_for_update().get()
        if organization.deprovisioning_guard:
            await _check(organization, user, now)
    await Deprovisioning.create(organization_id=organization_id, user_id=user.id, at=now)


async def _check(organization: Organization, user: User, now: datetime) -> None:
    if organization.deprovisioning_guard_tripped_at is not None:
        raise DeprovisioningHeld(user.user_name, "the circuit breaker is open")
    rejected = HeldChange.filter(
        organization_id=organization.id, user_id=user.id, status=HeldChangeStatus.REJECTED
    )
    if await rejected.exists():
        raise DeprovisioningHeld(user.user_name, "an admin rejected this change before")
    since = now - timedelta(minutes=organization.deprovisioning_guard_minutes)
    reset = organization.deprovisioning_guard_reset_at
    if reset is not None and reset > since:
        since = reset
    counted = await Deprovisioning.filter(organization_id=organization.id, at__gt=since).count()
    if counted + 1 < organization.deprovisioning_guard_minimum:
        return  # too few to trip it, whatever the organization's size
    active = await User.filter(organization_id=organization.id, active=True).count()
    people, base = counted + 1, active + counted  # base: the active users at the window's start
    if (
        people >= organization.deprovisioning_guard_minimum
        and people * 100 > base * organization.deprovisioning_guard_percent
    ):
        raise DeprovisioningHeld(
            user.user_name,
            f"it would be the {people}th person of {base} deactivated or deleted within "
            f"{organization.deprovisioning_guard_minutes} minutes",
        )


async def hold(command: HeldCommand, actor: Actor, held: DeprovisioningHeld) -> None:
    """Keep the change for review (replacing one held for the same user) and open the
    breaker; recorded in the activity log. Runs in a transaction of its own, after the
    command's was rolled back."""
    organization_id = organization_id_of(actor)
    now = utcnow()
    values: dict[str, Any] = {
        "user_name": held.user_name[:512],
        "kind": held_commands.kind_of(command),
        "command": held_commands.dump(command),
        "token_id": actor.id,
        "token_label": actor.label[:512],
        "status": HeldChangeStatus.HELD,
    }
    mine = HeldChange.filter(organization_id=organization_id, user_id=command.user_id)
    if not await mine.update(**values):  # (a retry keeps its place in the order: held_at)
        await HeldChange.create(
            organization_id=organization_id, user_id=command.user_id, held_at=now, **values
        )
    await Organization.filter(
        id=organization_id, deprovisioning_guard_tripped_at__isnull=True
    ).update(deprovisioning_guard_tripped_at=now)
    entry = AuditEntry(
        "user.deprovisioning_held",
        "user",
        command.user_id,
        {"userName": held.user_name, "change": values["kind"], "why": held.why},
    )
    await audit.record(entry, actor)


async def supersede(actor: Actor, user_id: str) -> None:
    """A later change from the identity provider to a user replaces what was held or rejected
    for them (it is applied instead, or held in its place). Asked of every change the provider
    sends, so it reads the database only while the organization holds anything (as each
    process knew it a second ago at most)."""
    if not applies_to(actor):
        return
    organization_id = organization_id_of(actor)
    if (await provisioning.state_of(organization_id)).holding:
        await HeldChange.filter(organization_id=organization_id, user_id=user_id).delete()


async def held_changes(actor: Actor) -> list[HeldChange]:
    """What the breaker holds or has rejected in the actor's organization, oldest first."""
    actor.require(Permission.USERS_READ)
    return await HeldChange.filter(organization_id=organization_id_of(actor)).order_by(
        "held_at", "id"
    )
