"""Whether an organization takes its identity provider's writes now: an admin may pause
provisioning, and the provider's writes are then refused with `ProvisioningPaused` (it retries
them) while its reads still answer. Also what its provisioning log keeps no value of.

The bus asks before every write an identity provider sends, thousands a minute during an
import, so each process keeps what it read for at most `SECONDS`: a pause or resume takes
effect at once on the process that made it (`forget`) and within a second on every other,
with nothing shared but the database (as `verified_tokens` does for revoked tokens)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from domain.errors import ProvisioningPaused
from domain.models import HeldChange, Organization

SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Pause:
    since: datetime
    by: str


@dataclass(frozen=True, slots=True)
class State:
    pause: Pause | None  # None: the provider's writes are taken
    holding: bool  # the circuit breaker holds or has rejected changes (deprovisioning_guard)
    guarded: bool  # the circuit breaker is on
    log_redacted: tuple[str, ...] = ()  # attributes its admin keeps out of the provisioning log


# organization id -> (monotonic expiry, its state)
_read: dict[int, tuple[float, State]] = {}


async def state_of(organization_id: int) -> State:
    kept = _read.get(organization_id)
    now = time.monotonic()
    if kept is not None and kept[0] > now:
        return kept[1]
    since, by, tripped, guarded, redacted = await Organization.get(id=organization_id).values_list(
        "provisioning_paused_at",
        "provisioning_paused_by",
        "deprovisioning_guard_tripped_at",
        "deprovisioning_guard",
        "request_log_redacted",
    )
    holding = tripped is not None or await HeldChange.exists(organization_id=organization_id)
    pause = Pause(since, by or "an admin") if since is not None else None
    state = State(pause, holding, bool(guarded), tuple(redacted or ()))
    _read[organization_id] = (now + SECONDS, state)
    return state


async def pause_of(organization_id: int) -> Pause | None:
    """The organization's pause, None while it takes its provider's writes."""
    return (await state_of(organization_id)).pause


async def require_open(organization_id: int) -> None:
    """ProvisioningPaused while the organization's admin has paused provisioning."""
    pause = await pause_of(organization_id)
    if pause is not None:
        raise ProvisioningPaused(pause.since, pause.by)


def forget() -> None:
    """Read each organization's state again on its next write (one was just changed here)."""
    _read.clear()
