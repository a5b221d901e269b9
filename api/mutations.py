"""The Mutation type: each mutation runs one domain command as the acting admin, so it is
checked against the permission table and written to the audit log. An expected failure, a
domain error the command raises, is returned as a member of the mutation's result union by the
schema's exception handlers (`api.errors.exception_handlers`)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.context import Context
from api.errors import AuthenticationError, MutationError
from api.queries import actor_of, viewer_of
from api.sessions import clear_session_cookie, set_session_cookie
from api.types import ApiToken, Group, Organization, Role, ScimToken, SsoConnection, User, Viewer
from domain import bus, queries, sealed, sessions
from domain.commands import (
    AssignRole,
    Command,
    ConfigureOidcConnection,
    ConfirmHeldChanges,
    CreateCustomRole,
    DeactivateUser,
    DeleteCustomRole,
    DeleteSsoConnection,
    EndSession,
    IssueApiToken,
    IssueScimToken,
    PauseProvisioning,
    ReactivateUser,
    RejectHeldChanges,
    ResumeProvisioning,
    RevokeApiToken,
    RevokeScimToken,
    SetDeprovisioningGuard,
    SetGroupRole,
    SetRequestLogRedaction,
    SetSsoEnforced,
    UpdateCustomRole,
    UpdateOrganization,
)
from domain.models import SsoConnection as SsoConnectionModel
from sso import oidc, saml

# --- payloads -----------------------------------------------------------------------------


@strawberry.type
class LoginPayload:
    viewer: Viewer


@strawberry.type
class LogoutPayload:
    signed_out: bool


@strawberry.type
class GenerateScimTokenPayload:
    token: str = strawberry.field(description="The whole token: shown this once, stored nowhere.")
    scim_token: ScimToken


@strawberry.type
class RevokeScimTokenPayload:
    scim_token: ScimToken


@strawberry.type
class CreateApiTokenPayload:
    token: str = strawberry.field(description="The whole token: shown this once, stored nowhere.")
    api_token: ApiToken


@strawberry.type
class RevokeApiTokenPayload:
    api_token: ApiToken


@strawberry.type
class CustomRolePayload:
    role: Role


@strawberry.type
class DeleteCustomRolePayload:
    deleted_role_id: strawberry.ID


@strawberry.type
class UserPayload:
    user: User


@strawberry.type
class GroupPayload:
    group: Group


@strawberry.type
class OrganizationPayload:
    organization: Organization


@strawberry.input
class CustomRoleInput:
    name: str
    permission_level: str
    description: str = ""
    restricted_apps: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class CustomRoleUpdateInput:
    name: str | None = None
    permission_level: str | None = None
    description: str | None = None
    restricted_apps: list[str] | None = None


@strawberry.type
class HeldChangesPayload:
    count: int = strawberry.field(description="How many held changes were applied or rejected.")


@strawberry.type
class SsoConnectionPayload:
    connection: SsoConnection


@strawberry.input
class OidcConnectionInput:
    issuer: str = strawberry.field(
        description="The provider's issuer URL, such as https://acme.okta.com: its "
        "/.well-known/openid-configuration is read at once."
    )
    client_id: str
    client_secret: str | None = strawberry.field(
        default=None,
        description="Required for a new connection; null keeps the one the connection has.",
    )


@strawberry.input(
    description="The identity provider's SAML metadata: pasted, or read from its URL (Okta's "
    "Metadata URL), one of the two."
)
class SamlConnectionInput:
    metadata_xml: str | None = None
    metadata_url: str | None = None


@strawberry.input
class OrganizationInput:
    name: str | None = None
    default_role: str | None = None


LoginResult = Annotated[LoginPayload | AuthenticationError, strawberry.union("LoginResult")]
GenerateScimTokenResult = Annotated[
    GenerateScimTokenPayload | MutationError, strawberry.union("GenerateScimTokenResult")
]
RevokeScimTokenResult = Annotated[
    RevokeScimTokenPayload | MutationError, strawberry.union("RevokeScimTokenResult")
]
CreateApiTokenResult = Annotated[
    CreateApiTokenPayload | MutationError, strawberry.union("CreateApiTokenResult")
]
RevokeApiTokenResult = Annotated[
    RevokeApiTokenPayload | MutationError, strawberry.union("RevokeApiTokenResult")
]
CustomRoleResult = Annotated[
    CustomRolePayload | MutationError, strawberry.union("CustomRoleResult")
]
DeleteCustomRoleResult = Annotated[
    DeleteCustomRolePayload | MutationError, strawberry.union("DeleteCustomRoleResult")
]
UserResult = Annotated[UserPayload | MutationError, strawberry.union("UserResult")]
GroupResult = Annotated[GroupPayload | MutationError, strawberry.union("GroupResult")]
HeldChangesResult = Annotated[
    HeldChangesPayload | MutationError, strawberry.union("HeldChangesResult")
]
SsoConnectionResult = Annotated[
    SsoConnectionPayload | MutationError, strawberry.union("SsoConnectionResult")
]
OrganizationResult = Annotated[
    OrganizationPayload | MutationError, strawberry.union("OrganizationResult")
]


async def _connection_payload(
    command: Command[SsoConnectionModel], info: Info[Context, None]
) -> SsoConnectionPayload:
    """A connection command's result, with the URLs Roster gives the identity provider."""
    actor = actor_of(info)
    connection = await bus.handle(command, actor)
    slug = (await queries.organization(actor)).slug
    return SsoConnectionPayload(connection=SsoConnection.of(connection, info.context.config, slug))


def _client_address(info: Info[Context, None]) -> str:
    client = info.context.request.client
    return client.host if client else "unknown"


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Sign in to the settings page: sets the session cookie.")
    async def login(self, info: Info[Context, None], email: str, password: str) -> LoginResult:
        signed_in = await sessions.sign_in(email, password, _client_address(info))
        set_session_cookie(info.context, signed_in.session.secret)
        return LoginPayload(viewer=await viewer_of(signed_in.actor))

    @strawberry.mutation(description="Sign out: the session stops working at once.")
    async def logout(self, info: Info[Context, None]) -> LogoutPayload:
        actor = info.context.actor
        clear_session_cookie(info.context)
        if actor is None or actor.session_id is None:
            return LogoutPayload(signed_out=False)
        await bus.handle(EndSession(actor.session_id), actor)
        return LogoutPayload(signed_out=True)

    @strawberry.mutation
    async def generate_scim_token(
        self, info: Info[Context, None], name: str
    ) -> GenerateScimTokenResult:
        issued = await bus.handle(IssueScimToken(name=name), actor_of(info))
        return GenerateScimTokenPayload(token=issued.secret, scim_token=ScimToken.of(issued.token))

    @strawberry.mutation
    async def revoke_scim_token(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> RevokeScimTokenResult:
        token = await bus.handle(RevokeScimToken(token=str(id)), actor_of(info))
        return RevokeScimTokenPayload(scim_token=ScimToken.of(token))

    @strawberry.mutation(description="A personal token for scripts; it acts as you.")
    async def create_api_token(self, info: Info[Context, None], name: str) -> CreateApiTokenResult:
        issued = await bus.handle(IssueApiToken(name=name), actor_of(info))
        return CreateApiTokenPayload(token=issued.secret, api_token=ApiToken.of(issued.token))

    @strawberry.mutation
    async def revoke_api_token(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> RevokeApiTokenResult:
        token = await bus.handle(RevokeApiToken(token=str(id)), actor_of(info))
        return RevokeApiTokenPayload(api_token=ApiToken.of(token))

    @strawberry.mutation
    async def create_custom_role(
        self, info: Info[Context, None], input: CustomRoleInput
    ) -> CustomRoleResult:
        command = CreateCustomRole(
            name=input.name,
            permission_level=input.permission_level,
            description=input.description,
            restricted_apps=tuple(input.restricted_apps),
        )
        return CustomRolePayload(role=Role.of(await bus.handle(command, actor_of(info))))

    @strawberry.mutation
    async def update_custom_role(
        self, info: Info[Context, None], id: strawberry.ID, input: CustomRoleUpdateInput
    ) -> CustomRoleResult:
        command = UpdateCustomRole(
            role_id=str(id),
            name=input.name,
            permission_level=input.permission_level,
            description=input.description,
            restricted_apps=(
                tuple(input.restricted_apps) if input.restricted_apps is not None else None
            ),
        )
        return CustomRolePayload(role=Role.of(await bus.handle(command, actor_of(info))))

    @strawberry.mutation(description="Users who hold the role move to `reassignTo`.")
    async def delete_custom_role(
        self, info: Info[Context, None], id: strawberry.ID, reassign_to: str | None = None
    ) -> DeleteCustomRoleResult:
        command = DeleteCustomRole(role_id=str(id), replacement=reassign_to)
        role = await bus.handle(command, actor_of(info))
        return DeleteCustomRolePayload(deleted_role_id=strawberry.ID(role.key))

    @strawberry.mutation(description="Set a user's role by hand (its origin becomes MANUAL).")
    async def set_user_role(
        self,
        info: Info[Context, None],
        user_id: strawberry.ID,
        role: str,
        expected_version: int | None = None,
    ) -> UserResult:
        command = AssignRole(str(user_id), role, expected_version=expected_version)
        return UserPayload(user=User.of(await bus.handle(command, actor_of(info))))

    @strawberry.mutation(
        description="Give a group's members a role (`roleId`: a role's key; null takes it "
        "away). It ranks below the role the identity provider states for a user and above one "
        "set by hand."
    )
    async def set_group_role(
        self,
        info: Info[Context, None],
        group_id: strawberry.ID,
        role_id: strawberry.ID | None,
        expected_version: int | None = None,
    ) -> GroupResult:
        role = str(role_id) if role_id is not None else None
        command = SetGroupRole(str(group_id), role, expected_version=expected_version)
        return GroupPayload(group=Group.of(await bus.handle(command, actor_of(info))))

    @strawberry.mutation
    async def deactivate_user(
        self, info: Info[Context, None], id: strawberry.ID, expected_version: int | None = None
    ) -> UserResult:
        command = DeactivateUser(str(id), expected_version=expected_version)
        return UserPayload(user=User.of(await bus.handle(command, actor_of(info))))

    @strawberry.mutation
    async def reactivate_user(
        self, info: Info[Context, None], id: strawberry.ID, expected_version: int | None = None
    ) -> UserResult:
        command = ReactivateUser(str(id), expected_version=expected_version)
        return UserPayload(user=User.of(await bus.handle(command, actor_of(info))))

    @strawberry.mutation(
        description="Set the organization's OpenID Connect connection (create or change it). "
        "The client secret is kept sealed and never shown again, only its last characters."
    )
    async def configure_oidc_connection(
        self, info: Info[Context, None], input: OidcConnectionInput
    ) -> SsoConnectionResult:
        config = info.context.config
        secret = input.client_secret.strip() if input.client_secret else None
        provider = await oidc.discover(input.issuer)
        command = ConfigureOidcConnection(
            issuer=provider.issuer,
            provider=provider.as_json(),
            client_id=input.client_id,
            client_secret_sealed=sealed.seal(config.secret_key, secret) if secret else None,
            client_secret_hint=sealed.hint(secret) if secret else None,
        )
        return await _connection_payload(command, info)

    @strawberry.mutation(
        description="Set the organization's SAML connection (create or change it) from the "
        "identity provider's metadata, which must give its entity ID, an HTTP-Redirect single "
        "sign-on URL and a signing certificate."
    )
    async def configure_saml_connection(
        self, info: Info[Context, None], input: SamlConnectionInput
    ) -> SsoConnectionResult:
        command = await saml.configuration(input.metadata_xml, input.metadata_url)
        return await _connection_payload(command, info)

    @strawberry.mutation(
        description="Turn password sign-in off for everyone but the break-glass super-admin "
        "(`breakGlassUserId`, required to enforce), or back on. Refused until a connection "
        "has signed someone in."
    )
    async def set_sso_enforced(
        self,
        info: Info[Context, None],
        enforced: bool,
        break_glass_user_id: strawberry.ID | None = None,
    ) -> OrganizationResult:
        glass = str(break_glass_user_id) if break_glass_user_id is not None else None
        organization = await bus.handle(SetSsoEnforced(enforced, glass), actor_of(info))
        return OrganizationPayload(organization=Organization.of(organization))

    @strawberry.mutation(
        description="Pause provisioning: the identity provider's writes are answered 503 with "
        "Retry-After, and it sends them again later; its reads still answer."
    )
    async def pause_provisioning(self, info: Info[Context, None]) -> OrganizationResult:
        organization = await bus.handle(PauseProvisioning(), actor_of(info))
        return OrganizationPayload(organization=Organization.of(organization))

    @strawberry.mutation(description="Resume provisioning: the provider's retries go through.")
    async def resume_provisioning(self, info: Info[Context, None]) -> OrganizationResult:
        organization = await bus.handle(ResumeProvisioning(), actor_of(info))
        return OrganizationPayload(organization=Organization.of(organization))

    @strawberry.mutation(
        description="Apply every change the circuit breaker holds, as the identity provider "
        "sent it and in that order; the breaker closes and its window starts again."
    )
    async def confirm_held_changes(self, info: Info[Context, None]) -> HeldChangesResult:
        count = await bus.handle(ConfirmHeldChanges(), actor_of(info))
        return HeldChangesPayload(count=count)

    @strawberry.mutation(
        description="Apply none of the held changes: their users stay as they are, the breaker "
        "closes, and the same change sent again for the same user is held again. Fix the rule "
        "or mapping in the identity provider first."
    )
    async def reject_held_changes(self, info: Info[Context, None]) -> HeldChangesResult:
        count = await bus.handle(RejectHeldChanges(), actor_of(info))
        return HeldChangesPayload(count=count)

    @strawberry.mutation(
        description="Turn the circuit breaker on or off, or change its threshold (null keeps "
        "a value): more than `percent` of the active users and at least `minimum` people "
        "deactivated or deleted within `windowMinutes`."
    )
    async def set_deprovisioning_guard(
        self,
        info: Info[Context, None],
        enabled: bool,
        percent: int | None = None,
        minimum: int | None = None,
        window_minutes: int | None = None,
    ) -> OrganizationResult:
        command = SetDeprovisioningGuard(enabled, percent, minimum, window_minutes)
        organization = await bus.handle(command, actor_of(info))
        return OrganizationPayload(organization=Organization.of(organization))

    @strawberry.mutation(
        description="Name the SCIM attributes whose values the organization's provisioning log "
        "never keeps (besides passwords and the installation's), from the next request on: "
        "e.g. phoneNumbers, addresses, name.givenName, or an extension's URN-qualified name. "
        "The list replaces the one before; an empty list keeps only those."
    )
    async def set_request_log_redaction(
        self, info: Info[Context, None], attributes: list[str]
    ) -> OrganizationResult:
        command = SetRequestLogRedaction(tuple(attributes))
        organization = await bus.handle(command, actor_of(info))
        return OrganizationPayload(organization=Organization.of(organization))

    @strawberry.mutation(description="Remove a single sign-on connection, and its links.")
    async def delete_sso_connection(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> SsoConnectionResult:
        return await _connection_payload(DeleteSsoConnection(str(id)), info)

    @strawberry.mutation
    async def update_organization(
        self, info: Info[Context, None], input: OrganizationInput
    ) -> OrganizationResult:
        command = UpdateOrganization(name=input.name, default_role=input.default_role)
        organization = await bus.handle(command, actor_of(info))
        return OrganizationPayload(organization=Organization.of(organization))
