"""The one entry point for changes: `await handle(command, actor)`.

It checks that the actor may run the command, opens one transaction, runs the command's
handler, writes the handler's audit entry in the same transaction, and returns the result or
raises a named domain error (nothing is written then, audit entry included)."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from domain.actors import Actor
from domain.audit import SECRET_FIELDS
from domain.commands import Command
from domain.handlers import HANDLERS
from domain.models import AuditEvent


async def handle(command: Command, actor: Actor) -> Any:
    if command.permission is not None:
        actor.require(command.permission)
    handler = HANDLERS[type(command)]
    async with in_transaction():
        result, entry = await handler(command, actor)
        await AuditEvent.create(
            organization_id=entry.organization_id or actor.organization_id,
            actor_kind=actor.kind.value,
            actor_id=actor.id,
            actor_label=actor.label,
            channel=actor.channel,
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            changes={k: v for k, v in entry.changes.items() if k not in SECRET_FIELDS},
        )
    return result
