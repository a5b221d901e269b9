"""The one entry point for changes: `await handle(command, actor)`.

It checks that the actor may run the command, opens one transaction, runs the command's
handler, writes the handler's audit entry in the same transaction, and returns the result or
raises a named domain error (nothing is written then, audit entry included).

One exception to "nothing": when an identity provider's change fails in a way the
organization's admin can fix (an unknown role string, a value Roster cannot hold, a rename onto
a taken userName), a `*_failed` event with the reason is written on its own, so the admin sees
it in the activity log instead of having to ask support."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from tortoise.transactions import in_transaction

from domain.actors import Actor
from domain.audit import SECRET_FIELDS
from domain.commands import Command, EditUser, ProvisionUser, ReplaceUser, UpdateUser
from domain.errors import DomainError, InvalidValue, UserNameTaken
from domain.handlers import HANDLERS
from domain.models import AuditEvent, Channel, User

FAILURE_ACTIONS: dict[type[Command[User]], str] = {
    ProvisionUser: "user.provision_failed",
    ReplaceUser: "user.replace_failed",
    UpdateUser: "user.update_failed",
    EditUser: "user.update_failed",
}
R = TypeVar("R")
_TARGET_ID_LENGTH = 64
_RECORDED_USER_NAME_LENGTH = 512  # User.user_name's column


async def handle(command: Command[R], actor: Actor) -> R:
    """What the command's handler returns (its type is the command's: `Command[User]`)."""
    if command.permission is not None:
        actor.require(command.permission)
    handler = HANDLERS[type(command)]
    try:
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
    except DomainError as error:
        if _fixable_by_the_admin(command, actor, error):
            await _record_failure(command, actor, error)
        raise
    return cast(R, result)  # the registry's handler for Command[R] returns an R (a test checks)


def _fixable_by_the_admin(command: Command[Any], actor: Actor, error: DomainError) -> bool:
    if actor.channel is not Channel.SCIM or type(command) not in FAILURE_ACTIONS:
        return False
    renamed_onto_a_taken_name = isinstance(error, UserNameTaken) and not isinstance(
        command,
        ProvisionUser,  # a create that meets an existing user is Okta's normal way
    )
    return isinstance(error, InvalidValue) or renamed_onto_a_taken_name


async def _record_failure(command: Command[Any], actor: Actor, error: DomainError) -> None:
    user_name = None
    if isinstance(command, ProvisionUser | ReplaceUser):
        user_name = command.attributes.user_name
    elif isinstance(command, UpdateUser):
        user_name = command.changes.get("user_name")
    target = getattr(command, "user_id", None) or user_name or "?"
    changes: dict[str, Any] = {"reason": str(error)}
    if user_name is not None:  # what was sent, within what a userName can be (a 1 MB one is not)
        too_long = len(user_name) > _RECORDED_USER_NAME_LENGTH
        sent = user_name[:_RECORDED_USER_NAME_LENGTH] + "…" if too_long else user_name
        changes["userName"] = _storable(sent)
    await AuditEvent.create(
        organization_id=actor.organization_id,
        actor_kind=actor.kind.value,
        actor_id=actor.id,
        actor_label=actor.label,
        channel=actor.channel,
        action=FAILURE_ACTIONS[type(command)],
        target_type="user",
        target_id=_storable(str(target)[:_TARGET_ID_LENGTH]),
        changes=changes,
    )


def _storable(text: str) -> str:
    """`text` with what no database holds (NUL, half a surrogate pair) replaced, so that the
    failure a value caused can still be recorded."""
    return text.encode("utf-8", "replace").decode().replace("\x00", "\ufffd")
