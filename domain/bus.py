"""The one entry point for changes: `await handle(command, actor)`.

It checks that the actor may run the command, opens one transaction, runs the command's
handler, writes the handler's audit entry in the same transaction, lets the command forget
what this process kept of the state it replaced (`Command.committed`), and returns the result
or raises a named domain error (nothing is written then, audit entry included). A database
that went away while the transaction was being committed raises `CommitUnconfirmed`: the
change may stand. The handler reads whatever the door answers with inside the transaction,
so that no read after the commit can turn an applied change into a failed request. An identity
provider's write is refused first while its organization's admin has paused provisioning; a
deactivation or delete the circuit breaker holds is kept for review (in a transaction of its
own, the command's being rolled back) before the error is raised.

One exception to "nothing": when an identity provider's command fails in a way the
organization's admin can fix, what the command declares for it (`Command.failure`) is written
on its own, so the admin sees it in the activity log instead of having to ask support."""

from __future__ import annotations

from typing import TypeVar, cast

from tortoise.transactions import in_transaction

from domain import audit, deprovisioning_guard, provisioning
from domain.actors import Actor, ActorKind, organization_id_of
from domain.commands import Command
from domain.database import DATABASE_UNAVAILABLE, CommitUnconfirmed
from domain.errors import DeprovisioningHeld, DomainError
from domain.handlers import HANDLERS
from domain.held_commands import HeldCommand
from domain.models import Channel
from domain.permissions import Permission

R = TypeVar("R")
# what an identity provider writes, and so waits while its organization's admin has paused
# provisioning (its reads still answer)
_PROVIDERS_WRITES = frozenset({Permission.USERS_WRITE, Permission.GROUPS_WRITE})


async def handle(command: Command[R], actor: Actor) -> R:
    """What the command's handler returns (its type is the command's: `Command[User]`)."""
    if command.permission is not None:
        actor.require(command.permission)
    if actor.kind is ActorKind.SCIM_TOKEN and command.permission in _PROVIDERS_WRITES:
        await provisioning.require_open(organization_id_of(actor))
    handler = HANDLERS[type(command)]
    written = False
    try:
        async with in_transaction():
            result, entry = await handler(command, actor)
            await audit.record(entry, actor)
            written = True
    except DATABASE_UNAVAILABLE as error:
        if written:  # lost while committing: applied or not, no one can tell yet
            raise CommitUnconfirmed(str(error)) from error
        raise
    except DeprovisioningHeld as held:
        assert isinstance(command, HeldCommand)  # only these deactivate or delete a user
        async with in_transaction():
            await deprovisioning_guard.hold(command, actor, held)
        provisioning.forget()  # this organization holds changes now
        raise
    except DomainError as error:
        failure = command.failure(error) if actor.channel is Channel.SCIM else None
        if failure is not None:
            await audit.record(failure, actor)
        raise
    command.committed()
    return cast(R, result)  # the registry's handler for Command[R] returns an R (a test checks)
