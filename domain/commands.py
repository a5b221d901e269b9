"""The commands: every change to the domain is one of these, handled by `domain.bus.handle`.

Each names the permission it needs. `expected_version`, where present, makes the change
conditional on the user's current version (optimistic concurrency, for ETags and GraphQL)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from domain.credentials import IssuedToken
from domain.models import Organization, Role, Token, TokenKind, User
from domain.permissions import Permission

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
class ProvisionUser(Command[User]):
    """Create a user. `role` is the identity provider's role string; None means it sent none,
    and the organization's default role applies."""

    permission: ClassVar[Permission] = Permission.USERS_WRITE
    attributes: UserAttributes
    role: str | None = None


@dataclass(frozen=True, slots=True)
class ReplaceUser(Command[User]):
    """Replace every attribute the identity provider owns. A role set by hand is kept when no
    role string is sent; otherwise no role string means the organization's default."""

    permission: ClassVar[Permission] = Permission.USERS_WRITE
    user_id: str
    attributes: UserAttributes
    role: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class UpdateUser(Command[User]):
    """Change some attributes: `changes` maps UserAttributes field names to new values.
    `role`, when given, is a role string from the identity provider; `clear_role` means the
    provider removed it (the organization's default applies)."""

    permission: ClassVar[Permission] = Permission.USERS_WRITE
    user_id: str
    changes: dict[str, Any] = field(default_factory=dict)
    role: str | None = None
    clear_role: bool = False
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class EditUser(Command[User]):
    """Change a user by a rule that depends on its current state (a SCIM PATCH): `edit` is
    called with the user as it stands, locked for the transaction, and returns the UpdateUser
    to apply. Concurrent edits queue instead of failing; `expected_version` still applies."""

    permission: ClassVar[Permission] = Permission.USERS_WRITE
    user_id: str
    edit: Callable[[User], UpdateUser]
    expected_version: int | None = None


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


@dataclass(frozen=True, slots=True)
class CreateCustomRole(Command[Role]):
    permission: ClassVar[Permission] = Permission.ROLES_MANAGE
    name: str
    permission_level: str
    description: str = ""
    restricted_apps: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UpdateCustomRole(Command[Role]):
    permission: ClassVar[Permission] = Permission.ROLES_MANAGE
    role_id: str
    name: str | None = None
    permission_level: str | None = None
    description: str | None = None
    restricted_apps: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class DeleteCustomRole(Command[Role]):
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


# --- sessions of the settings page --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartSession(Command[IssuedToken]):
    """Open a browser session for the acting admin (after `domain.sessions.sign_in` checked
    the password)."""

    permission: ClassVar[Permission | None] = None


@dataclass(frozen=True, slots=True)
class EndSession(Command[Token]):
    """Sign out: the session stops working at once."""

    permission: ClassVar[Permission | None] = None
    session_id: str
