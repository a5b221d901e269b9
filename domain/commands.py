"""The commands: every change to the domain is one of these, handled by `domain.bus.handle`.

Each names the permission it needs. `expected_version`, where present, makes the change
conditional on the user's current version (optimistic concurrency, for ETags and GraphQL)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

from domain import provisioning
from domain.audit import AuditEntry
from domain.credentials import IssuedToken
from domain.errors import DomainError, InvalidValue, UserNameTaken
from domain.group_presence import forget_group_presence
from domain.models import Group, Organization, Role, SsoConnection, Token, TokenKind, User
from domain.permissions import Permission
from domain.roles import forget_roles
from domain.text import made_storable

R = TypeVar("R", covariant=True)  # what a command's handler returns


@dataclass(frozen=True, slots=True)
class Email:
    value: str
    type: str | None = None
    primary: bool = False
    display: str | None = None


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    value: str
    type: str | None = None
    primary: bool = False
    display: str | None = None


@dataclass(frozen=True, slots=True)
class UserAttributes:
    """Everything about a user that the identity provider owns (all but id, role and meta)."""

    user_name: str
    external_id: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    middle_name: str | None = None
    formatted_name: str | None = None
    honorific_prefix: str | None = None
    honorific_suffix: str | None = None
    display_name: str | None = None
    nick_name: str | None = None
    title: str | None = None
    user_type: str | None = None
    preferred_language: str | None = None
    locale: str | None = None
    timezone: str | None = None
    emails: tuple[Email, ...] = ()
    phone_numbers: tuple[PhoneNumber, ...] = ()
    active: bool = True
    employee_number: str | None = None
    cost_center: str | None = None
    organization_name: str | None = None
    division: str | None = None
    department: str | None = None
    manager_id: str | None = None
    # other profile attributes, stored as sent (JSON values) and returned as they were
    extras: Mapping[str, Any] = field(default_factory=dict)


class Command(Generic[R]):
    """A change to the domain whose handler returns an `R` (`bus.handle` returns it)."""

    __slots__ = ()
    # what the actor needs; None: any signed-in actor (signing in and out)
    permission: ClassVar[Permission | None]

    def committed(self) -> None:
        """What this process does once the command's change is committed: forget what it
        keeps of the state the change replaced."""

    def failure(self, error: DomainError) -> AuditEntry | None:
        """What the activity log records when an identity provider sent this command and it
        failed in a way the organization's admin can fix (the provider shows the answer to no
        one); None: nothing."""
        return None


_RECORDED_USER_NAME_LENGTH = 512  # User.user_name's column


class ProvidersUserChange(Command[User]):
    """A change to a user that an identity provider sends. It fails in a way the admin can
    fix on an unknown role string, a value Roster cannot hold, or a rename onto a taken
    userName; the failure is recorded as `failure_action`, with the reason and the userName
    sent."""

    __slots__ = ()
    failure_action: ClassVar[str]

    def sent_user_name(self) -> str | None:
        return None

    def target(self) -> str:
        return self.sent_user_name() or "?"

    def failure(self, error: DomainError) -> AuditEntry | None:
        if not isinstance(error, InvalidValue | UserNameTaken):
            return None
        changes: dict[str, Any] = {"reason": str(error)}
        user_name = self.sent_user_name()
        if user_name is not None:  # what was sent, within what a userName can be
            if len(user_name) > _RECORDED_USER_NAME_LENGTH:
                user_name = user_name[:_RECORDED_USER_NAME_LENGTH] + "…"
            changes["userName"] = made_storable(user_name)
        return AuditEntry(self.failure_action, "user", self.target(), changes)


# --- organizations and admins -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateOrganization(Command[Organization]):
    permission: ClassVar[Permission] = Permission.ORGANIZATIONS_CREATE
    slug: str
    name: str
    default_role: str = "basic-user"


@dataclass(frozen=True, slots=True)
class UpdateOrganization(Command[Organization]):
    permission: ClassVar[Permission] = Permission.ORGANIZATION_MANAGE
    name: str | None = None
    default_role: str | None = None


@dataclass(frozen=True, slots=True)
class CreateAdmin(Command[User]):
    """An admin of the settings page: a user of the organization with a password."""

    permission: ClassVar[Permission] = Permission.ADMINS_MANAGE
    email: str
    password: str = field(repr=False)
    role: str = "super-admin"


@dataclass(frozen=True, slots=True)
class ResetAdminPassword(Command[User]):
    """Give an admin of the settings page a new password (the operator, for an admin locked
    out); the admin's browser sessions end at once. API tokens are left as they are."""

    permission: ClassVar[Permission] = Permission.ADMINS_MANAGE
    email: str
    password: str = field(repr=False)


# --- users --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProvisionUser(ProvidersUserChange):
    """Create a user. `role` is the identity provider's role string; None means it sent none,
    and the organization's default role applies."""

    permission: ClassVar[Permission] = Permission.USERS_WRITE
    failure_action: ClassVar[str] = "user.provision_failed"
    attributes: UserAttributes
    role: str | None = None

    def sent_user_name(self) -> str | None:
        return self.attributes.user_name

    def failure(self, error: DomainError) -> AuditEntry | None:
        if isinstance(error, UserNameTaken):  # a create that meets an existing user: Okta's way
            return None
        return ProvidersUserChange.failure(self, error)


@dataclass(frozen=True, slots=True)
class ReplaceUser(ProvidersUserChange):
    """Replace every attribute the identity provider owns. A role set by hand is kept when no
    role string is sent; otherwise no role string means the organization's default."""

    permission: ClassVar[Permission] = Permission.USERS_WRITE
    failure_action: ClassVar[str] = "user.replace_failed"
    user_id: str
    attributes: UserAttributes
    role: str | None = None
    expected_version: int | None = None

    def sent_user_name(self) -> str | None:
        return self.attributes.user_name

    def target(self) -> str:
        return self.user_id


@dataclass(frozen=True, slots=True)
class UpdateUser(ProvidersUserChange):
    """Change some attributes: `changes` maps UserAttributes field names to new values.
    `role`, when given, is a role string from the identity provider; `clear_role` means the
    provider removed the role it or an admin had stated (the organization's default applies;
    for a user on the default already, nothing changes)."""

    permission: ClassVar[Permission] = Permission.USERS_WRITE
    failure_action: ClassVar[str] = "user.update_failed"
    user_id: str
    changes: dict[str, Any] = field(default_factory=dict)
    role: str | None = None
    clear_role: bool = False
    expected_version: int | None = None
    read: User | None = None  # the user as read at expected_version: written only if still so

    @classmethod
    def to(
        cls,
        user_id: str,
        attributes: UserAttributes,
        role: str | None,
        expected_version: int | None = None,
    ) -> UpdateUser:
        """The update that makes the user hold `attributes` and state `role` (None: states
        none): an identity provider's edit of the user it read at `expected_version`."""
        changes = {f.name: getattr(attributes, f.name) for f in dataclasses.fields(attributes)}
        return cls(user_id, changes, role, role is None, expected_version)

    @classmethod
    def of(
        cls,
        read: User,
        attributes: UserAttributes,
        role: str | None,
        expected_version: int | None = None,
    ) -> UpdateUser:
        """As `to`, for the user `read` (with its role) at `expected_version` (by default the
        version read): the update compares with what was read instead of reading the user
        again, and is written only if the user is still at that version (else VersionMismatch,
        as for any stale version). `read` is changed in place into the updated user."""
        version = read.version if expected_version is None else expected_version
        update = cls.to(str(read.id), attributes, role, version)
        return dataclasses.replace(update, read=read)

    def sent_user_name(self) -> str | None:
        user_name = self.changes.get("user_name")
        return user_name if isinstance(user_name, str) else None

    def target(self) -> str:
        return self.user_id


@dataclass(frozen=True, slots=True)
class DeactivateUser(Command[User]):
    permission: ClassVar[Permission] = Permission.USERS_WRITE
    user_id: str
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class ReactivateUser(Command[User]):
    permission: ClassVar[Permission] = Permission.USERS_WRITE
    user_id: str
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class DeleteUser(Command[User]):
    permission: ClassVar[Permission] = Permission.USERS_WRITE
    user_id: str
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class AssignRole(Command[User]):
    """An admin sets a user's role by hand (role origin becomes manual)."""

    permission: ClassVar[Permission] = Permission.ROLES_ASSIGN
    user_id: str
    role: str
    expected_version: int | None = None


# --- custom roles -------------------------------------------------------------------------


class RoleChange(Command[Role]):
    """A change to the organization's roles: this process reads roles afresh after it (others
    within `domain.roles.ROLE_SECONDS`)."""

    __slots__ = ()

    def committed(self) -> None:
        forget_roles()


@dataclass(frozen=True, slots=True)
class CreateCustomRole(RoleChange):
    permission: ClassVar[Permission] = Permission.ROLES_MANAGE
    name: str
    permission_level: str
    description: str = ""
    restricted_apps: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UpdateCustomRole(RoleChange):
    permission: ClassVar[Permission] = Permission.ROLES_MANAGE
    role_id: str
    name: str | None = None
    permission_level: str | None = None
    description: str | None = None
    restricted_apps: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class DeleteCustomRole(RoleChange):
    """Delete a custom role; its users (and the default, if it is) move to `replacement`."""

    permission: ClassVar[Permission] = Permission.ROLES_MANAGE
    role_id: str
    replacement: str | None = None


# --- tokens -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssueScimToken(Command[IssuedToken]):
    permission: ClassVar[Permission] = Permission.SCIM_TOKENS_MANAGE
    name: str = "SCIM token"


@dataclass(frozen=True, slots=True)
class RevokeScimToken(Command[Token]):
    """Revoke by id or by the prefix that lists show."""

    permission: ClassVar[Permission] = Permission.SCIM_TOKENS_MANAGE
    token: str


@dataclass(frozen=True, slots=True)
class IssueApiToken(Command[IssuedToken]):
    """A personal token for scripts; it acts as the admin who issues it."""

    permission: ClassVar[Permission] = Permission.API_TOKENS_MANAGE
    name: str = "API token"


@dataclass(frozen=True, slots=True)
class RevokeApiToken(Command[Token]):
    permission: ClassVar[Permission] = Permission.API_TOKENS_MANAGE
    token: str


TOKEN_KINDS: dict[type[Command[Any]], TokenKind] = {
    IssueScimToken: TokenKind.SCIM,
    RevokeScimToken: TokenKind.SCIM,
    IssueApiToken: TokenKind.API,
    RevokeApiToken: TokenKind.API,
}


# --- provisioning --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PauseProvisioning(Command[Organization]):
    """Refuse the identity provider's writes until resumed (it retries them); its reads
    still answer."""

    permission: ClassVar[Permission | None] = Permission.PROVISIONING_MANAGE

    def committed(self) -> None:
        provisioning.forget()


@dataclass(frozen=True, slots=True)
class ResumeProvisioning(Command[Organization]):
    permission: ClassVar[Permission | None] = Permission.PROVISIONING_MANAGE

    def committed(self) -> None:
        provisioning.forget()


@dataclass(frozen=True, slots=True)
class ConfirmHeldChanges(Command[int]):
    """Apply every change the circuit breaker holds, as the identity provider sent it, in the
    order it was sent; close the breaker and start its window again. Returns how many were
    applied."""

    permission: ClassVar[Permission | None] = Permission.PROVISIONING_MANAGE

    def committed(self) -> None:
        provisioning.forget()


@dataclass(frozen=True, slots=True)
class RejectHeldChanges(Command[int]):
    """Apply none of the held changes (their users stay as they are) and close the breaker;
    the same change for the same user, sent again, is held again. Returns how many."""

    permission: ClassVar[Permission | None] = Permission.PROVISIONING_MANAGE

    def committed(self) -> None:
        provisioning.forget()


@dataclass(frozen=True, slots=True)
class SetDeprovisioningGuard(Command[Organization]):
    """Turn the circuit breaker on or off, or change its threshold: more than `percent` of the
    active users and at least `minimum` people within `minutes`."""

    permission: ClassVar[Permission | None] = Permission.PROVISIONING_MANAGE
    enabled: bool
    percent: int | None = None
    minimum: int | None = None
    minutes: int | None = None

    def committed(self) -> None:
        provisioning.forget()


@dataclass(frozen=True, slots=True)
class SetRequestLogRedaction(Command[Organization]):
    """Name the SCIM attributes whose values the organization's provisioning log never keeps
    (`name`, `phoneNumbers`, `urn:…:enterprise:2.0:User:manager`), besides passwords, always,
    and those the installation names. It holds for the requests logged from then on."""

    permission: ClassVar[Permission | None] = Permission.PROVISIONING_MANAGE
    attributes: tuple[str, ...]

    def committed(self) -> None:
        provisioning.forget()


# --- single sign-on ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfigureOidcConnection(Command[SsoConnection]):
    """Set the organization's OpenID Connect connection (creating it, or changing it): the
    issuer, the endpoints its discovery document gives (`provider`, read by the door), and
    Roster's client there. The client secret comes sealed by the served application (the
    domain never sees it), with the last characters to show; None keeps the one the
    connection has."""

    permission: ClassVar[Permission | None] = Permission.SSO_MANAGE
    issuer: str
    provider: Mapping[str, str | None]
    client_id: str
    client_secret_sealed: str | None
    client_secret_hint: str | None = None


@dataclass(frozen=True, slots=True)
class ConfigureSamlConnection(Command[SsoConnection]):
    """Set the organization's SAML connection (creating it, or changing it): the identity
    provider's entity ID, single sign-on URL and metadata, read and checked by the door, and
    the URL the metadata came from when it was not pasted."""

    permission: ClassVar[Permission | None] = Permission.SSO_MANAGE
    entity_id: str
    sso_url: str
    metadata_xml: str
    metadata_url: str | None = None


@dataclass(frozen=True, slots=True)
class SetSsoEnforced(Command[Organization]):
    """Turn password sign-in off for everyone but one named break-glass super-admin (who can
    still get in when the identity provider cannot), or back on. Refused until a connection
    has signed someone in."""

    permission: ClassVar[Permission | None] = Permission.SSO_MANAGE
    enforced: bool
    break_glass_user_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeleteSsoConnection(Command[SsoConnection]):
    permission: ClassVar[Permission | None] = Permission.SSO_MANAGE
    connection_id: str


# --- sessions of the settings page --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartSession(Command[IssuedToken]):
    """Open a browser session for the acting admin (after `domain.sessions.sign_in` checked
    the password, or `domain.sso.sign_in` the identity provider's answer)."""

    permission: ClassVar[Permission | None] = None
    via: str = "password"  # or the single sign-on protocol: "oidc", "saml"


@dataclass(frozen=True, slots=True)
class EndSession(Command[Token]):
    """Sign out: the session stops working at once."""

    permission: ClassVar[Permission | None] = None
    session_id: str


# --- groups -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewMember:
    """A user named as a member: its id, and the name the identity provider shows for it."""

    user_id: str
    display: str | None = None


@dataclass(frozen=True, slots=True)
class MembersChange:
    """One change to a group's members, applied in the order its command lists them: `add`
    these users, `remove` these (those who are not members are left alone), or `replace` the
    members with exactly these (none: the group is emptied)."""

    kind: Literal["add", "remove", "replace"]
    members: tuple[NewMember, ...] = ()


class GroupChange(Command[Group]):
    """A change to one of the organization's groups. This process reads afresh whether the
    organization has groups after it (others within `domain.roles.ROLE_SECONDS`)."""

    __slots__ = ()

    def committed(self) -> None:
        forget_group_presence()


@dataclass(frozen=True, slots=True)
class CreateGroup(GroupChange):
    permission: ClassVar[Permission] = Permission.GROUPS_WRITE
    display_name: str
    external_id: str | None = None
    members: tuple[NewMember, ...] = ()


@dataclass(frozen=True, slots=True)
class ReplaceGroup(GroupChange):
    """Replace the group's name, external id and members."""

    permission: ClassVar[Permission] = Permission.GROUPS_WRITE
    group_id: str
    display_name: str
    external_id: str | None = None
    members: tuple[NewMember, ...] = ()
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class UpdateGroup(GroupChange):
    """Change some of the group: `changes` maps `display_name` and `external_id` to new
    values; `members` are applied in order, each as one statement whatever its size."""

    permission: ClassVar[Permission] = Permission.GROUPS_WRITE
    group_id: str
    changes: dict[str, str | None] = field(default_factory=dict)
    members: tuple[MembersChange, ...] = ()
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class SetGroupRole(GroupChange):
    """Give the group's members a role (`role`: a built-in key or a custom role's ID; None
    takes it away). Members whose role the identity provider states keep theirs."""

    permission: ClassVar[Permission] = Permission.ROLES_ASSIGN
    group_id: str
    role: str | None
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class DeleteGroup(GroupChange):
    """Delete the group; its members stay users of the organization."""

    permission: ClassVar[Permission] = Permission.GROUPS_WRITE
    group_id: str
    expected_version: int | None = None
