"""Handlers of the single sign-on commands: an organization's connections to its identity
provider."""

from __future__ import annotations

from domain.actors import Actor, organization_id_of
from domain.audit import AuditEntry, created, diff, removed
from domain.commands import (
    ConfigureOidcConnection,
    ConfigureSamlConnection,
    DeleteSsoConnection,
    SetSsoEnforced,
)
from domain.errors import InvalidValue, NotFound
from domain.handlers.organizations import organization_of
from domain.ids import parse_id
from domain.models import Organization, SsoConnection, SsoProtocol, User
from domain.text import fits


def _snapshot(connection: SsoConnection) -> dict[str, object]:
    """What the audit log shows of a connection: never its secret, only the hint; of a SAML
    connection's metadata, where it came from and its single sign-on URL."""
    if connection.protocol == SsoProtocol.SAML:
        return {
            "protocol": connection.protocol.value,
            "issuer": connection.issuer,
            "sso_url": connection.provider.get("sso_url"),
            "metadata_url": connection.provider.get("metadata_url"),
        }
    return {
        "protocol": connection.protocol.value,
        "issuer": connection.issuer,
        "client_id": connection.client_id,
        "client_secret_hint": connection.client_secret_hint,
    }


async def configure_saml_connection(
    command: ConfigureSamlConnection, actor: Actor
) -> tuple[SsoConnection, AuditEntry]:
    organization_id = organization_id_of(actor)
    entity_id = command.entity_id.strip()
    if not entity_id or not fits(SsoConnection, "issuer", entity_id):
        raise InvalidValue("metadata_xml", "the provider's entity ID, at most 512 characters")
    connection = await SsoConnection.get_or_none(
        organization_id=organization_id, protocol=SsoProtocol.SAML
    )
    before = _snapshot(connection) if connection else {}
    if connection is None:
        connection = SsoConnection(organization_id=organization_id, protocol=SsoProtocol.SAML)
    provider = {
        "sso_url": command.sso_url,
        "metadata_url": command.metadata_url,
        "metadata_xml": command.metadata_xml,
    }
    if connection.issuer != entity_id or connection.provider != provider:
        connection.tested_at = None  # a changed connection has not signed anyone in yet
    connection.issuer = entity_id
    connection.provider = provider
    await connection.save()
    after = _snapshot(connection)
    changes = diff(before, after) if before else created(after)
    if before and before == after and connection.tested_at is None:
        changes["metadata"] = {"before": "(set)", "after": "(replaced)"}
    action = "sso.connection_changed" if before else "sso.connection_created"
    return connection, AuditEntry(action, "sso_connection", str(connection.id), changes)


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


async def set_sso_enforced(
    command: SetSsoEnforced, actor: Actor
) -> tuple[Organization, AuditEntry]:
    organization = await organization_of(actor)
    before = _enforcement(organization)
    if command.enforced:
        tested = await SsoConnection.filter(
            organization_id=organization.id, tested_at__not_isnull=True
        ).exists()
        if not tested:
            raise InvalidValue(
                "enforced",
                "no connection has signed anyone in yet: test a sign-in through it first",
            )
        organization.break_glass_user_id = (await _break_glass(organization, command)).id
    elif command.break_glass_user_id is not None:
        organization.break_glass_user_id = (await _break_glass(organization, command)).id
    organization.sso_enforced = command.enforced
    changes = diff(before, _enforcement(organization))
    if changes:
        await organization.save(update_fields=["sso_enforced", "break_glass_user_id"])
    return organization, AuditEntry(
        "organization.sso_enforcement_set", "organization", str(organization.id), changes
    )


def _enforcement(organization: Organization) -> dict[str, object]:
    glass = organization.break_glass_user_id
    return {"sso_enforced": organization.sso_enforced, "break_glass_user_id": str(glass or "")}


async def _break_glass(organization: Organization, command: SetSsoEnforced) -> User:
    """The break-glass admin named: an active super-admin of the organization who has a
    password."""
    parsed = parse_id(command.break_glass_user_id or "")
    user = None
    if parsed is not None:
        user = await User.get_or_none(id=parsed, organization_id=organization.id)
    if user is None:
        raise InvalidValue(
            "break_glass_user_id", "name the super-admin who may still sign in with a password"
        )
    await user.fetch_related("role")
    if not user.active or user.password_hash is None or user.role.permission_level != "super-admin":
        raise InvalidValue(
            "break_glass_user_id",
            f"{user.user_name} is not an active super-admin with a password",
        )
    return user


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
    organization = await Organization.get(id=connection.organization_id)
    if organization.sso_enforced:
        raise InvalidValue(
            "id", "single sign-on is enforced: turn enforcement off before removing a connection"
        )
    changes = removed(_snapshot(connection))
    await connection.delete()  # its links go with it
    return connection, AuditEntry(
        "sso.connection_deleted", "sso_connection", str(connection.id), changes
    )
