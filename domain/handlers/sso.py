"""Handlers of the single sign-on commands: an organization's connections to its identity
provider."""

from __future__ import annotations

from domain.actors import Actor, organization_id_of
from domain.audit import AuditEntry, created, diff, removed
from domain.commands import ConfigureOidcConnection, DeleteSsoConnection
from domain.errors import InvalidValue, NotFound
from domain.ids import parse_id
from domain.models import SsoConnection, SsoProtocol
from domain.text import fits


def _snapshot(connection: SsoConnection) -> dict[str, object]:
    """What the audit log shows of a connection: never its secret, only the hint."""
    return {
        "protocol": connection.protocol.value,
        "issuer": connection.issuer,
        "client_id": connection.client_id,
        "client_secret_hint": connection.client_secret_hint,
    }


async def configure_oidc_connection(
    command: ConfigureOidcConnection, actor: Actor
) -> tuple[SsoConnection, AuditEntry]:
    organization_id = organization_id_of(actor)
    client_id = command.client_id.strip()
    if not client_id or not fits(SsoConnection, "client_id", client_id):
        raise InvalidValue("client_id", "the client ID the identity provider shows for the app")
    issuer = command.issuer.strip()
    if not issuer or not fits(SsoConnection, "issuer", issuer):
        raise InvalidValue("issuer", "the provider's issuer URL, at most 512 characters")
    connection = await SsoConnection.get_or_none(
        organization_id=organization_id, protocol=SsoProtocol.OIDC
    )
    before = _snapshot(connection) if connection else {}
    if connection is None:
        if command.client_secret_sealed is None:
            raise InvalidValue("client_secret", "the client secret the identity provider shows")
        connection = SsoConnection(organization_id=organization_id, protocol=SsoProtocol.OIDC)
    if connection.issuer != issuer or connection.client_id != client_id:
        connection.tested_at = None  # a changed connection has not signed anyone in yet
    connection.issuer = issuer
    connection.client_id = client_id
    connection.provider = dict(command.provider)
    if command.client_secret_sealed is not None:
        connection.client_secret_sealed = command.client_secret_sealed
        connection.client_secret_hint = command.client_secret_hint
        connection.tested_at = None
    await connection.save()
    after = _snapshot(connection)
    changes = diff(before, after) if before else created(after)
    if command.client_secret_sealed is not None and before:
        changes["client_secret"] = {"before": "(set)", "after": "(replaced)"}
    action = "sso.connection_changed" if before else "sso.connection_created"
    return connection, AuditEntry(action, "sso_connection", str(connection.id), changes)


async def delete_sso_connection(
    command: DeleteSsoConnection, actor: Actor
) -> tuple[SsoConnection, AuditEntry]:
    parsed = parse_id(command.connection_id)
    connection = None
    if parsed is not None:
        connection = await SsoConnection.get_or_none(
            id=parsed, organization_id=organization_id_of(actor)
        )
    if connection is None:
        raise NotFound("sso connection", command.connection_id)
    changes = removed(_snapshot(connection))
    await connection.delete()  # its links go with it
    return connection, AuditEntry(
        "sso.connection_deleted", "sso_connection", str(connection.id), changes
    )
