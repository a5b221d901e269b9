"""Whether an organization has any group, kept by this process for a moment. Every read of a
user shows the user's groups; in an organization without groups (every one that provisions
users only) that costs no query. A process sees its own group changes at once
(`forget_group_presence`) and other processes' within `PRESENCE_SECONDS`, the bound roles
have too."""

from __future__ import annotations

import time

from domain.models import Group
from domain.roles import ROLE_SECONDS

PRESENCE_SECONDS = ROLE_SECONDS
_MAX_KEPT = 10_000
_kept: dict[int, tuple[float, bool]] = {}  # organization id -> (monotonic expiry, has groups)


async def has_groups(organization_id: int) -> bool:
    now = time.monotonic()
    kept = _kept.get(organization_id)
    if kept is not None and kept[0] > now:
        return kept[1]
    found = await Group.filter(organization_id=organization_id).exists()
    if len(_kept) >= _MAX_KEPT:
        _kept.clear()
    _kept[organization_id] = (now + PRESENCE_SECONDS, found)
    return found


def forget_group_presence() -> None:
    """Ask the database again (a group was just created, changed or deleted)."""
    _kept.clear()
