"""Tortoise models: the tables of Roster. Changes here need `make migrations`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, TypeVar, overload

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class RoleOrigin(StrEnum):
    """Where a user's role came from."""

    IDENTITY_PROVIDER = "identity_provider"  # the IdP sent a role string (permissionsRole)
    GROUP = "group"  # the IdP sent none: the highest role among the user's groups' roles
    MANUAL = "manual"  # an admin set it by hand (and no group of the user carries a role)
    DEFAULT = "default"  # none of those: the organization's default role


class TokenKind(StrEnum):
    SCIM = "scim"  # an organization's provisioning token (Okta, Entra)
    API = "api"  # an admin's personal token for scripts
    SESSION = "session"  # a signed-in browser (the settings page)


class Channel(StrEnum):
    """The door a command came through."""

    SCIM = "SCIM"
    GRAPHQL = "GRAPHQL"
    CLI = "CLI"


_Text = TypeVar("_Text", str, str | None)


class BoundedText(fields.CharField[_Text]):
    """Text of at most `max_length` characters, checked before it is written (Tortoise's
    validator, and `domain.text.require_fit` where a value is refused with a reason), stored as
    TEXT on PostgreSQL.

    Not VARCHAR(n) there: until a table is first analyzed, PostgreSQL estimates its rows from
    its size and its declared row width, taking a VARCHAR(256..512) as 516 bytes. The users
    row, with two dozen such columns, was estimated wider than a page, so an unanalyzed users
    table (a new deployment right after its first import) looked empty at any size: every index
    of the organization then costs the same, and a lookup by id or userName could walk the
    whole organization through whichever index was created last. As TEXT the row is estimated
    at about 1 KB, the table at its size, and a unique index wins the lookups it serves."""

    @overload
    def __init__(
        self: BoundedText[str], max_length: int, *, null: Literal[False] = False, **kwargs: Any
    ) -> None: ...

    @overload
    def __init__(
        self: BoundedText[str | None], max_length: int, *, null: Literal[True], **kwargs: Any
    ) -> None: ...

    def __init__(self, max_length: int, **kwargs: Any) -> None:
        # CharField's overloads bind `self` to CharField[str] or CharField[str | None], which
        # mypy cannot match with BoundedText[_Text] itself; the overloads above type the fields
        super().__init__(max_length, **kwargs)  # type: ignore[misc]

    class _db_postgres:
        SQL_TYPE = "TEXT"


class Organization(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200)
    default_role_key = fields.CharField(max_length=64, default="basic-user")
    # password sign-in is off for everyone but the break-glass super-admin: people sign in
    # through the identity provider
    sso_enforced = fields.BooleanField(default=False)
    break_glass_user_id = fields.UUIDField(null=True)
    # the identity provider's writes are refused (and retried by it) since then, by whom
    provisioning_paused_at = fields.DatetimeField(null=True)
    provisioning_paused_by = fields.CharField(max_length=200, null=True)
    # the mass-deactivation circuit breaker: the identity provider's deactivations and deletes
    # are held for review once, within the window, they would take more than `percent` of the
    # active users and at least `minimum` people (off: never held)
    deprovisioning_guard = fields.BooleanField(default=True)
    deprovisioning_guard_percent = fields.SmallIntField(default=10)
    deprovisioning_guard_minimum = fields.IntField(default=20)
    deprovisioning_guard_minutes = fields.IntField(default=60)
    deprovisioning_guard_tripped_at = fields.DatetimeField(null=True)  # holding since
    deprovisioning_guard_reset_at = fields.DatetimeField(null=True)  # counts start after it
    # SCIM attributes whose values the provisioning log never keeps, as the organization's
    # admin named them (besides passwords, always, and those the installation names); null:
    # none (the organizations that were there before it was asked have no value to give it)
    request_log_redacted: Any = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "organizations"


class Role(Model):
    """A role of an organization: one row per built-in role, plus the custom roles.

    `key` is the string an identity provider sends: a built-in key such as `basic-user`, or a
    custom role's opaque ID (`cr_...`)."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="roles", on_delete=fields.CASCADE
    )
    organization_id: int
    key = fields.CharField(max_length=64)
    builtin = fields.BooleanField(default=False)
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    permission_level = fields.CharField(max_length=64)
    restricted_apps: Any = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "roles"
        unique_together = (("organization", "key"),)


@dataclass(frozen=True, slots=True)
class GroupRef:
    """A group a user belongs to, as reads of the user show it."""

    id: uuid.UUID
    display_name: str


class User(Model):
    """A person of an organization, as provisioned by the identity provider."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="users", on_delete=fields.CASCADE
    )
    organization_id: int
    user_name = BoundedText(max_length=512)
    # user_name.casefold(): the unique key that makes userName case-insensitive, in every database.
    user_name_key = BoundedText(max_length=512)
    external_id = BoundedText(max_length=512, null=True)
    given_name = BoundedText(max_length=256, null=True)
    family_name = BoundedText(max_length=256, null=True)
    middle_name = BoundedText(max_length=256, null=True)
    formatted_name = BoundedText(max_length=512, null=True)
    honorific_prefix = BoundedText(max_length=64, null=True)
    honorific_suffix = BoundedText(max_length=64, null=True)
    display_name = BoundedText(max_length=512, null=True)
    nick_name = BoundedText(max_length=256, null=True)
    title = BoundedText(max_length=256, null=True)
    user_type = BoundedText(max_length=64, null=True)
    preferred_language = BoundedText(max_length=64, null=True)
    locale = BoundedText(max_length=64, null=True)
    timezone = BoundedText(max_length=64, null=True)
    emails: Any = fields.JSONField(default=list)  # [{"value", "type", "primary"}]
    phone_numbers: Any = fields.JSONField(default=list)  # [{"value", "type", "primary"}]
    # profile attributes kept as sent and returned as they were (addresses, ims, photos,
    # entitlements, roles, x509Certificates, profileUrl): Roster does not interpret them
    extras: Any = fields.JSONField(default=dict)
    # primary (else first) email, casefolded: for lookups
    email_key = BoundedText(max_length=512, null=True)
    # what a search looks in (see `domain.user_search`), casefolded, one line per value; on
    # PostgreSQL a trigram index over (organization_id, search_key) answers any substring
    search_key = fields.TextField(null=True)
    # the enterprise extension (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User)
    employee_number = BoundedText(max_length=128, null=True)
    cost_center = BoundedText(max_length=128, null=True)
    organization_name = BoundedText(max_length=256, null=True)
    division = BoundedText(max_length=256, null=True)
    department = BoundedText(max_length=256, null=True)
    manager_id = BoundedText(max_length=512, null=True)
    active = fields.BooleanField(default=True)
    role: fields.ForeignKeyRelation[Role] = fields.ForeignKeyField(
        "models.Role", related_name="users", on_delete=fields.RESTRICT
    )
    role_id: int
    role_origin = fields.CharEnumField(RoleOrigin, max_length=32)
    # the group whose role the user has (role_origin "group")
    role_group: fields.ForeignKeyNullableRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="role_holders", null=True, on_delete=fields.SET_NULL
    )
    role_group_id: uuid.UUID | None
    # the role an admin last set by hand, kept while an identity provider's or a group's role
    # ranks above it
    manual_role: fields.ForeignKeyNullableRelation[Role] = fields.ForeignKeyField(
        "models.Role", related_name="manual_holders", null=True, on_delete=fields.SET_NULL
    )
    manual_role_id: int | None
    password_hash = BoundedText(max_length=256, null=True)  # admins of the settings page
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    # the user's groups, where a query loaded them (`domain.group_queries.with_groups`)
    group_refs: tuple[GroupRef, ...] | None = None

    class Meta:
        table = "users"
        unique_together = (("organization", "user_name_key"),)
        indexes = (
            Index(fields=("organization_id", "external_id"), name="users_org_external_id"),
            Index(fields=("organization_id", "id"), name="users_org_id"),
            Index(fields=("organization_id", "email_key"), name="users_org_email"),
            # listings in creation order (SCIM's default) and their keyset walks
            Index(fields=("organization_id", "created_at", "id"), name="users_org_created"),
            Index(fields=("organization_id", "updated_at", "id"), name="users_org_updated"),
        )


class UserCount(Model):
    """How many users an organization has, deactivated ones included, kept by the database
    itself and never written by Roster's code. Triggers (see the migrations that made this
    table and split it into slots) add or take away users as rows of `users` are inserted or
    deleted, in the transaction that does it, whoever writes them. A listing with no filter
    reads its total here instead of counting every user of the organization (the first page of
    Okta's import walk, of the settings page).

    The count is the sum of the organization's rows. On PostgreSQL each user counts in one of
    64 rows chosen by a hash of its id: a single row would be locked by every
    transaction that creates a user until it commits, so the organization's creates would wait
    on each other. SQLite serializes its writers anyway and keeps one row, slot 0."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="user_counts", on_delete=fields.CASCADE
    )
    organization_id: int
    slot = fields.SmallIntField(default=0)
    users = fields.IntField(default=0)

    class Meta:
        table = "user_counts"
        unique_together = (("organization", "slot"),)


class UserValue(Model):
    """One row per value of a user's multi-valued attributes (emails, phoneNumbers): what
    filters such as `emails[type eq "work" and value co "@acme.com"]` search. The `emails` and
    `phone_numbers` columns of the user stay the source that reads return."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="values", on_delete=fields.CASCADE
    )
    user_id: uuid.UUID
    attribute = fields.CharField(max_length=32)  # "emails" or "phone_numbers"
    value = fields.CharField(max_length=512)
    value_key = fields.CharField(max_length=512)  # value.casefold()
    type = fields.CharField(max_length=64, null=True)
    primary = fields.BooleanField(default=False)

    class Meta:
        table = "user_values"
        indexes = (
            Index(fields=("attribute", "value_key"), name="user_values_lookup"),
            Index(fields=("user_id",), name="user_values_user"),
        )


class Group(Model):
    """A group of an organization's users, as the identity provider pushes it (SCIM's Group)."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="groups", on_delete=fields.CASCADE
    )
    organization_id: int
    display_name = BoundedText(max_length=512)
    # display_name.casefold(): the unique key that makes displayName case-insensitive
    display_name_key = BoundedText(max_length=512)
    external_id = BoundedText(max_length=512, null=True)
    # the role the group gives its members (an admin sets it); None: none
    role: fields.ForeignKeyNullableRelation[Role] = fields.ForeignKeyField(
        "models.Role", related_name="groups", null=True, on_delete=fields.SET_NULL
    )
    role_id: int | None
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "groups"
        unique_together = (("organization", "display_name_key"),)
        indexes = (
            Index(fields=("organization_id", "external_id"), name="groups_org_external_id"),
            Index(fields=("organization_id", "created_at", "id"), name="groups_org_created"),
        )


class GroupMember(Model):
    """A user's membership of a group.

    One row each, so that adding or removing members is a statement over their rows whatever
    the group's size, and concurrent changes to one group's members do not overwrite each
    other. Rows go with their user or their group."""

    id = fields.BigIntField(primary_key=True)
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="memberships", on_delete=fields.CASCADE
    )
    group_id: uuid.UUID
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="memberships", on_delete=fields.CASCADE
    )
    user_id: uuid.UUID
    # the member's name as the identity provider sent it, shown back as sent
    display = BoundedText(max_length=512, null=True)

    class Meta:
        table = "group_members"
        unique_together = (("group", "user"),)
        indexes = (Index(fields=("user_id",), name="group_members_user"),)


class SsoProtocol(StrEnum):
    OIDC = "oidc"
    SAML = "saml"


class SsoConnection(Model):
    """An organization's single sign-on through its identity provider: at most one per
    protocol. For OpenID Connect, the issuer, what its discovery document says, and the client
    Roster is there; the client secret is kept sealed (only the served application holds the
    key) with its last characters to show. For SAML, the identity provider's entity ID as the
    issuer, and its metadata (with the URL it was read from, if any) as the provider."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="sso_connections", on_delete=fields.CASCADE
    )
    organization_id: int
    protocol = fields.CharEnumField(SsoProtocol, max_length=16)
    issuer = fields.CharField(max_length=512)
    client_id = fields.CharField(max_length=512, null=True)
    client_secret_sealed = fields.TextField(null=True)
    client_secret_hint = fields.CharField(max_length=16, null=True)
    # OIDC: the provider's endpoints as its discovery document gave them; SAML: its metadata
    provider: Any = fields.JSONField(default=dict)
    tested_at = fields.DatetimeField(null=True)  # when a sign-in through it last succeeded
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "sso_connections"
        unique_together = (("organization", "protocol"),)


class SsoLink(Model):
    """A user as the identity provider knows them: the subject it signs them in as. The first
    sign-in that matches a provisioned user by userName or email links the two; later ones
    find the user by the subject alone."""

    id = fields.BigIntField(primary_key=True)
    connection: fields.ForeignKeyRelation[SsoConnection] = fields.ForeignKeyField(
        "models.SsoConnection", related_name="links", on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID
    subject = fields.CharField(max_length=512)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sso_links", on_delete=fields.CASCADE
    )
    user_id: uuid.UUID
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sso_links"
        unique_together = (("connection", "subject"),)


class SsoAssertion(Model):
    """A SAML assertion a connection has accepted, kept until it expires: the same assertion
    posted again (a replay) is refused."""

    id = fields.BigIntField(primary_key=True)
    connection: fields.ForeignKeyRelation[SsoConnection] = fields.ForeignKeyField(
        "models.SsoConnection", related_name="assertions", on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID
    assertion_id = fields.CharField(max_length=256)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "sso_assertions"
        unique_together = (("connection", "assertion_id"),)


class Token(Model):
    """A bearer token, stored as its SHA-256 digest only.

    The token reads `rst_<kind>_<lookup><secret>`: `lookup` finds the row by index, then the
    digest of the whole token is compared in constant time."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="tokens", on_delete=fields.CASCADE
    )
    organization_id: int
    kind = fields.CharEnumField(TokenKind, max_length=16)
    lookup = fields.CharField(max_length=32, unique=True)
    digest = fields.CharField(max_length=64)
    name = fields.CharField(max_length=200)
    # the admin the token acts for (API tokens) or who created it (SCIM tokens)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tokens", null=True, on_delete=fields.SET_NULL
    )
    user_id: uuid.UUID | None
    created_by_label = fields.CharField(max_length=512)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "tokens"


class LoginFailure(Model):
    """A failed sign-in, kept for a while to slow down guessing per account and per address."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=600)  # "account:<email>" or "address:<ip>"
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "login_failures"
        indexes = (Index(fields=("key", "at"), name="login_failures_key_at"),)


class Deprovisioning(Model):
    """A user the identity provider deactivated or deleted, while active: what the
    mass-deactivation circuit breaker counts within its window."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="deprovisionings", on_delete=fields.CASCADE
    )
    organization_id: int
    user_id = fields.UUIDField()
    at = fields.DatetimeField()

    class Meta:
        table = "deprovisionings"
        indexes = (Index(fields=("organization_id", "at"), name="deprovisionings_org_at"),)


class HeldChangeStatus(StrEnum):
    HELD = "held"  # waiting for an admin to confirm or reject it
    REJECTED = "rejected"  # an admin rejected it: the same change is held again if it returns


class HeldChange(Model):
    """A change the identity provider sent that would deactivate or delete a user, held by the
    circuit breaker until an admin confirms (it is applied as sent) or rejects it. One per
    user: a later change to the same user supersedes it."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="held_changes", on_delete=fields.CASCADE
    )
    organization_id: int
    user_id = fields.UUIDField()
    user_name = fields.CharField(max_length=512)
    kind = fields.CharField(max_length=16)  # deactivate, delete, update or replace
    command: Any = fields.JSONField()  # the command as sent, to apply as it was
    token_id = fields.CharField(max_length=64, null=True)
    token_label = fields.CharField(max_length=512)
    held_at = fields.DatetimeField()
    status = fields.CharEnumField(HeldChangeStatus, max_length=16, default=HeldChangeStatus.HELD)

    class Meta:
        table = "held_changes"
        unique_together = (("organization", "user_id"),)


class ProvisioningRequest(Model):
    """One SCIM request an identity provider sent, as its organization's admins may read it:
    when, with which token, what was asked and answered, and how long it took. The bodies are
    kept with passwords and the configured attributes redacted, and the whole row only for the
    retention period."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="provisioning_requests", on_delete=fields.CASCADE
    )
    organization_id: int
    at = fields.DatetimeField()
    token_id = fields.UUIDField(null=True)
    token_name = fields.CharField(max_length=512)
    method = fields.CharField(max_length=8)
    path = fields.CharField(max_length=1024)
    query = fields.TextField(default="")
    status = fields.SmallIntField()
    duration_ms = fields.FloatField()
    user_id = fields.UUIDField(null=True)  # the user the request was about, if one
    request_body = fields.TextField(null=True)
    response_body = fields.TextField(null=True)
    request_id = fields.CharField(max_length=128, null=True)  # as its audit events hold it

    class Meta:
        table = "provisioning_requests"
        indexes = (
            Index(fields=("organization_id", "id"), name="provisioning_requests_org_id"),
            Index(fields=("organization_id", "user_id"), name="provisioning_requests_org_user"),
            Index(
                fields=("organization_id", "request_id"), name="provisioning_requests_org_request"
            ),
            Index(fields=("at",), name="provisioning_requests_at"),
        )


class AuditEvent(Model):
    """One row per command that changed something: who, through which door, what, which target,
    and the fields that changed (before/after, never secrets)."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="audit_events", null=True, on_delete=fields.CASCADE
    )
    organization_id: int | None
    at = fields.DatetimeField(auto_now_add=True)
    actor_kind = fields.CharField(max_length=32)
    actor_id = fields.CharField(max_length=64, null=True)
    actor_label = fields.CharField(max_length=512)
    channel = fields.CharEnumField(Channel, max_length=16)
    action = fields.CharField(max_length=64)
    target_type = fields.CharField(max_length=32)
    target_id = fields.CharField(max_length=64)
    changes: Any = fields.JSONField(default=dict)
    # the request the command served (domain.request_ids); none for the command line's
    request_id = fields.CharField(max_length=128, null=True)

    class Meta:
        table = "audit_events"
        indexes = (
            Index(fields=("organization_id", "id"), name="audit_org_id"),
            Index(fields=("organization_id", "target_id"), name="audit_org_target"),
        )
