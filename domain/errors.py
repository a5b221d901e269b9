"""The domain's errors: one tree, the outcomes a command or a query names when it refuses.
Nothing here knows about HTTP; each door maps the tree once, with an `ErrorTable` (SCIM to
RFC 7644 error bodies in `scim.errors`, GraphQL to result union members and error codes in
`api.errors`), and a test checks that every class below has an entry in each door's table,
its own or a base's.

    DomainError
    ├── NotFound(kind, id)                 the thing does not exist in the actor's organization
    ├── Conflict
    │   ├── UserNameTaken(user_name)       userName already used in the organization (any case)
    │   ├── GroupNameTaken(display_name)   a group's name already used in the organization
    │   ├── SlugTaken(slug)                organization slug already used
    │   ├── VersionMismatch(expected, actual)  the caller's version is not the current one
    │   └── RoleInUse(role_id, user_count) custom role still held; name a replacement
    ├── InvalidValue(field, reason)        a value the domain cannot accept
    │   ├── InvalidRole(value, allowed)    a role string that names no role of the organization
    │   └── InvalidCursor()                a paging cursor this server did not issue
    ├── PermissionDenied(action)           the actor may not do this
    ├── InvalidToken()                     missing, malformed, unknown or revoked token
    ├── InvalidCredentials()               wrong email or password (never says which)
    ├── SignInThrottled(retry_after)       too many failed sign-ins: wait before trying again
    ├── SsoRequired(organization)          the organization signs in through its provider only
    ├── SsoRefused(reason, detail)         a single sign-on that signs no one in, and why
    ├── ProvisioningPaused(since, by)      the admin paused provisioning: the provider retries
    └── DeprovisioningHeld(user_name, why) the circuit breaker holds a mass deactivation

Not in this tree, because no command or query names them as its outcome:
- the database's failures, raised while connecting or querying whatever the command:
  `DatabaseUnreachable`, `DatabaseMissing`, `DatabaseNotMigrated` (`domain.database`: the
  command line and the readiness check name them) and `DatabaseBusy`, `DatabaseFileMissing`,
  `TableMissing` (`domain.sqlite`: Tortoise's `DBConnectionError`, so that the edge answers
  them as any database that went away, 503 with Retry-After);
- what a door or the edge finds before the domain is asked: an unreadable SCIM request
  (`scim.errors.ScimProblem`), a rate limit spent (`web.rate_limits.RateLimited`), a bad
  setting or command line (`web.settings.SettingsError`, `web.cli.CliError`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Generic, Protocol, TypeVar


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""


class NotFound(DomainError):
    def __init__(self, kind: str, id: str) -> None:
        self.kind = kind
        self.id = id
        super().__init__(f"{kind} {id!r} not found")


class Conflict(DomainError):
    """The request clashes with the current state."""


class UserNameTaken(Conflict):
    def __init__(self, user_name: str) -> None:
        self.user_name = user_name
        super().__init__(f"userName {user_name!r} is already taken in this organization")


class GroupNameTaken(Conflict):
    def __init__(self, display_name: str) -> None:
        self.display_name = display_name
        super().__init__(
            f"a group named {display_name!r} already exists in this organization (in any case)"
        )


class SlugTaken(Conflict):
    def __init__(self, slug: str) -> None:
        self.slug = slug
        super().__init__(f"an organization with slug {slug!r} already exists")


class VersionMismatch(Conflict):
    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"version {expected} is not current (the resource is at version {actual}); "
            "read it again and retry"
        )


class RoleInUse(Conflict):
    def __init__(self, role_id: str, user_count: int, is_default: bool) -> None:
        self.role_id = role_id
        self.user_count = user_count
        self.is_default = is_default
        held = f"{user_count} user(s) hold it" if user_count else "it is the default role"
        super().__init__(
            f"custom role {role_id!r} cannot be deleted: {held}; name the role to move them to"
        )


class InvalidValue(DomainError):
    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class InvalidRole(InvalidValue):
    def __init__(self, value: str, allowed: Sequence[str]) -> None:
        self.value = value
        self.allowed = tuple(allowed)
        super().__init__(
            "role",
            f"unknown role {value!r}; accepted values are: {', '.join(self.allowed)}",
        )


class InvalidCursor(InvalidValue):
    def __init__(self) -> None:
        super().__init__("cursor", "not a cursor this server issued")


class PermissionDenied(DomainError):
    def __init__(self, action: str) -> None:
        self.action = action
        super().__init__(f"not allowed to {action}")


class InvalidToken(DomainError):
    def __init__(self) -> None:
        super().__init__("the token is missing, malformed, unknown or revoked")


class InvalidCredentials(DomainError):
    def __init__(self) -> None:
        super().__init__("wrong email or password")


class SignInThrottled(DomainError):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed sign-ins; try again in {retry_after} seconds")


class ProvisioningPaused(DomainError):
    """The organization's admin paused provisioning: the identity provider's writes wait
    (it retries them after `RETRY_AFTER_SECONDS`); reads still answer."""

    RETRY_AFTER_SECONDS = 120

    def __init__(self, since: datetime, by: str) -> None:
        self.since = since
        self.by = by
        super().__init__(
            f"provisioning is paused by the organization's admin ({by}, since "
            f"{since.isoformat(timespec='seconds')}); retry later"
        )


class DeprovisioningHeld(DomainError):
    """The circuit breaker holds this deactivation or delete for an admin's review: it would
    take more of the organization's people within the window than its threshold allows, or
    the breaker is open already. The identity provider retries it (after
    `RETRY_AFTER_SECONDS`); it is applied once an admin confirms the held changes."""

    RETRY_AFTER_SECONDS = 300

    def __init__(self, user_name: str, why: str) -> None:
        self.user_name = user_name
        self.why = why
        super().__init__(
            f"deactivating {user_name} is held for review by the organization's admin: {why}; "
            "it is applied once they confirm it"
        )


class SsoRequired(DomainError):
    def __init__(self, organization: str) -> None:
        self.organization = organization
        super().__init__(
            "your organization signs in through its identity provider: use Sign in with SSO"
        )


class SsoRefused(DomainError):
    """A single sign-on that signs no one in. `reason` is one of `REASONS`' keys, `detail`
    says what was wrong, for the audit log (never a secret, a token or an assertion)."""

    REASONS = {
        "no_connection": "Single sign-on is not set up for this organization.",
        "flow_mismatch": "This sign-in was not started in this browser, or took too long.",
        "idp_error": "Your identity provider did not sign you in.",
        "token_rejected": "Your identity provider's answer could not be verified.",
        "assertion_rejected": "Your identity provider's answer could not be verified.",
        "replayed": "This sign-in has been used already: sign in again.",
        "unavailable": "Single sign-on is not available on this server right now.",
        "unknown_user": "Your administrator has not assigned you Roster in your identity "
        "provider, so Roster has no account for you.",
        "inactive_user": "Your Roster account is deactivated.",
    }

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")

    @property
    def message(self) -> str:
        """What the person signing in is told."""
        return self.REASONS.get(self.reason, "Single sign-on failed.")


# --- how a door maps the tree ----------------------------------------------------------------

E = TypeVar("E", bound=DomainError)
T = TypeVar("T")


class Entry(Protocol):
    """A door's entry for one class of the tree."""

    @property
    def error(self) -> type[DomainError]: ...


EntryT = TypeVar("EntryT", bound=Entry)


class ErrorTable(Generic[EntryT]):
    """A door's entries, at most one per class of the tree. An error takes the entry of its
    class or, when its class has none, of its nearest base along its MRO: a subclass the door
    need not tell apart from its base needs no entry of its own."""

    def __init__(self, *entries: EntryT) -> None:
        self._entries: dict[type, EntryT] = {}
        for entry in entries:
            if entry.error in self._entries:
                raise ValueError(f"two entries for {entry.error.__name__}")
            self._entries[entry.error] = entry

    def __getitem__(self, error: type[DomainError]) -> EntryT:
        """The entry for errors of this class; LookupError when neither the class nor any of
        its bases has one."""
        for cls in error.__mro__:
            if cls in self._entries:
                return self._entries[cls]
        raise LookupError(f"no entry for {error.__name__} or any of its bases")

    def most_specific_first(self) -> list[EntryT]:
        """The entries, each before those of its bases: the order for a search that takes the
        first entry whose class the error is an instance of (Strawberry's exception handlers)."""
        return sorted(self._entries.values(), key=lambda e: len(e.error.__mro__), reverse=True)


def narrowed(error: type[E], function: Callable[[E], T]) -> Callable[[DomainError], T]:
    """`function` of an `error`, callable with any domain error that a table resolved to its
    entry (so, an instance of `error`): how an entry keeps its class's fields typed."""

    def call(instance: DomainError) -> T:
        if not isinstance(instance, error):
            raise TypeError(f"{type(instance).__name__} is not a {error.__name__}")
        return function(instance)

    return call
