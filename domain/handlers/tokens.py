"""Handlers of the token commands."""

from __future__ import annotations

from domain import verified_tokens
from domain.actors import Actor, organization_id_of
from domain.audit import AuditEntry
from domain.clock import utcnow
from domain.commands import (
    TOKEN_KINDS,
    EndSession,
    IssueApiToken,
    IssueScimToken,
    RevokeApiToken,
    RevokeScimToken,
    StartSession,
)
from domain.credentials import LOOKUP_LENGTH, IssuedToken, display_prefix, new_token
from domain.errors import InvalidValue, NotFound
from domain.ids import parse_id
from domain.models import Token, TokenKind
from domain.text import required_text


async def issue_token(
    command: IssueScimToken | IssueApiToken, actor: Actor
) -> tuple[IssuedToken, AuditEntry]:
    kind = TOKEN_KINDS[type(command)]
    if isinstance(command, IssueApiToken) and actor.user_id is None:
        raise InvalidValue("user", "an API token belongs to an admin: sign in as one to issue it")
    material = new_token(kind)
    token = await Token.create(
        organization_id=organization_id_of(actor),
        kind=kind,
        lookup=material.lookup,
        digest=material.digest,
        name=required_text(command.name, "name", Token, "name"),
        user_id=actor.user_id,
        created_by_label=actor.label,
    )
    changes = {
        "name": {"before": None, "after": token.name},
        "prefix": {"before": None, "after": material.prefix},
    }
    return IssuedToken(token, material.token), AuditEntry(
        f"{kind.value}_token.issued", "token", str(token.id), changes
    )


async def revoke_token(
    command: RevokeScimToken | RevokeApiToken, actor: Actor
) -> tuple[Token, AuditEntry]:
    kind = TOKEN_KINDS[type(command)]
    tokens = Token.filter(organization_id=organization_id_of(actor), kind=kind)
    reference = command.token.strip()
    parsed = parse_id(reference)
    if parsed is not None:
        token = await tokens.filter(id=parsed).select_for_update().first()
    else:
        lookup = reference.removeprefix(display_prefix("", kind))
        token = None
        if len(lookup) == LOOKUP_LENGTH and lookup.isascii() and lookup.isalnum():
            token = await tokens.filter(lookup=lookup).select_for_update().first()
    if token is None:
        raise NotFound(f"{kind.value} token", reference)
    changes = {}
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await token.save(update_fields=["revoked_at"])
        verified_tokens.forget(str(token.id))
        changes = {"revoked_at": {"before": None, "after": token.revoked_at.isoformat()}}
    return token, AuditEntry(f"{kind.value}_token.revoked", "token", str(token.id), changes)


async def start_session(command: StartSession, actor: Actor) -> tuple[IssuedToken, AuditEntry]:
    if actor.user_id is None:
        raise InvalidValue("user", "only an admin signs in")
    material = new_token(TokenKind.SESSION)
    token = await Token.create(
        organization_id=organization_id_of(actor),
        kind=TokenKind.SESSION,
        lookup=material.lookup,
        digest=material.digest,
        name="browser session",
        user_id=actor.user_id,
        created_by_label=actor.label,
    )
    changes = {} if command.via == "password" else {"via": command.via}
    entry = AuditEntry("admin.signed_in", "user", actor.user_id, changes)
    return IssuedToken(token, material.token), entry


async def end_session(command: EndSession, actor: Actor) -> tuple[Token, AuditEntry]:
    parsed = parse_id(command.session_id)
    token = None
    if parsed is not None and actor.user_id is not None:
        token = await Token.filter(id=parsed, kind=TokenKind.SESSION, user_id=actor.user_id).first()
    if token is None:
        raise NotFound("session", command.session_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await token.save(update_fields=["revoked_at"])
    return token, AuditEntry("admin.signed_out", "user", str(token.user_id))
