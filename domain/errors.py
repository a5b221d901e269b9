"""The domain's errors. Each facade maps this tree once (SCIM to RFC 7644 error bodies,
GraphQL to typed results); nothing here knows about HTTP.

    DomainError
    ├── NotFound(kind, id)                 the thing does not exist in the actor's organization
    ├── Conflict
    │   ├── UserNameTaken(user_name)       userName already used in the organization (any case)
    │   ├── SlugTaken(slug)                organization slug already used
    │   ├── VersionMismatch(expected, actual)  the caller's version is not the current one
    │   └── RoleInUse(role_id, user_count) custom role still held; name a replacement
    ├── InvalidValue(field, reason)        a value the domain cannot accept
    │   └── InvalidRole(value, allowed)    a role string that names no role of the organization
    ├── PermissionDenied(action)           the actor may not do this
    ├── InvalidToken()                     missing, malformed, unknown or revoked token
    ├── InvalidCredentials()               wrong email or password (never says which)
    └── SignInThrottled(retry_after)       too many failed sign-ins: wait before trying again
"""

from __future__ import annotations

from collections.abc import Sequence


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
