"""Errors of the GraphQL door.

Expected outcomes of a mutation are members of its result union (`NotFoundError`,
`PermissionDeniedError`, `ValidationError`, `ConflictError`, `VersionConflictError`,
`AuthenticationError`), each with a `message`: the schema's exception handlers (Strawberry's)
turn a domain error a mutation raises into its member. Queries return no error unions, so their
expected failures (not signed in, not allowed, a bad argument) are GraphQL errors with a `code`
extension. Both come from one table, `GRAPHQL_ERRORS`. A database that went away fails the
whole request (503 with Retry-After and the code `DATABASE_UNAVAILABLE`, answered by the
edge). Anything else is a bug: masked to a generic message with an error id that is logged
with the trace."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from domain.database import DATABASE_UNAVAILABLE
from domain.errors import (
    Conflict,
    DeprovisioningHeld,
    DomainError,
    ErrorTable,
    InvalidCredentials,
    InvalidToken,
    InvalidValue,
    NotFound,
    PermissionDenied,
    ProvisioningPaused,
    SignInThrottled,
    SsoRefused,
    SsoRequired,
    VersionMismatch,
    narrowed,
)

logger = logging.getLogger("roster.graphql")
DATABASE_DOWN_MESSAGE = "The database is unavailable; retry shortly."
COMMIT_UNCONFIRMED_MESSAGE = (
    "The database went away before this change's outcome could be read, so it may have been "
    "applied: read it back before sending it again."
)
NOT_SIGNED_IN = "Sign in first (or send a personal API token)."


@strawberry.interface(description="An expected way for a mutation to fail.")
class Error:
    message: str


@strawberry.type
class NotFoundError(Error):
    pass


@strawberry.type
class PermissionDeniedError(Error):
    pass


@strawberry.type
class ValidationError(Error):
    field: str


@strawberry.type
class ConflictError(Error):
    pass


@strawberry.type
class VersionConflictError(Error):
    expected_version: int
    current_version: int


@strawberry.type
class AuthenticationError(Error):
    retry_after_seconds: int | None = None


# Every mutation's result union holds all of these (login's holds AuthenticationError only), so
# clients can select `... on Error { message }`.
MutationError = (
    NotFoundError | PermissionDeniedError | ValidationError | ConflictError | VersionConflictError
)
E = TypeVar("E", bound=DomainError)
M = TypeVar("M", bound=Error)


class Outcome:
    """A domain error in the GraphQL door. In a query: a GraphQL error with `code` and the
    `message`. In a mutation whose result union holds `member`: that member, by default with
    the message alone (`build` makes one that says more); with no member, the error is a bug
    in a mutation (masked)."""

    def __init__(
        self,
        error: type[E],
        code: str,
        member: type[M] | None = None,
        *,
        message: Callable[[E], str] = str,
        build: Callable[[E], M] | None = None,
    ) -> None:
        self.error: type[DomainError] = error
        self.code = code
        self.member: type[Error] | None = member
        self.message = narrowed(error, message)
        self.build: Callable[[DomainError], Error] | None = None
        if build is not None:
            self.build = narrowed(error, build)
        elif member is not None:
            self.build = lambda e: member(message=self.message(e))


def _not_allowed(error: PermissionDenied) -> str:
    return f"You are not allowed to {error.action}."


def _version_conflict(error: VersionMismatch) -> VersionConflictError:
    return VersionConflictError(
        message=str(error), expected_version=error.expected, current_version=error.actual
    )


def _invalid(error: InvalidValue) -> ValidationError:
    return ValidationError(message=str(error), field=error.field)


def _wrong_password(error: InvalidCredentials) -> AuthenticationError:
    return AuthenticationError(message="Wrong email or password.")


def _throttled(error: SignInThrottled) -> AuthenticationError:
    return AuthenticationError(message=str(error), retry_after_seconds=error.retry_after)


def _sso_required(error: SsoRequired) -> AuthenticationError:
    return AuthenticationError(
        message="Your organization signs in through its identity provider: use "
        "\u201cSign in with SSO\u201d."
    )


GRAPHQL_ERRORS = ErrorTable(
    Outcome(NotFound, "NOT_FOUND", NotFoundError),
    Outcome(PermissionDenied, "FORBIDDEN", PermissionDeniedError, message=_not_allowed),
    Outcome(Conflict, "BAD_REQUEST", ConflictError),
    Outcome(VersionMismatch, "BAD_REQUEST", VersionConflictError, build=_version_conflict),
    Outcome(InvalidValue, "BAD_REQUEST", ValidationError, build=_invalid),
    Outcome(InvalidToken, "UNAUTHENTICATED", message=lambda _: NOT_SIGNED_IN),
    Outcome(InvalidCredentials, "BAD_REQUEST", AuthenticationError, build=_wrong_password),
    Outcome(SignInThrottled, "BAD_REQUEST", AuthenticationError, build=_throttled),
    Outcome(SsoRequired, "BAD_REQUEST", AuthenticationError, build=_sso_required),
    # single sign-on happens outside GraphQL (web.sso): a refusal reaching here is a bug
    Outcome(SsoRefused, "BAD_REQUEST"),
    # only an identity provider's writes are paused, and none comes through GraphQL
    Outcome(ProvisioningPaused, "BAD_REQUEST"),
    Outcome(DeprovisioningHeld, "BAD_REQUEST"),  # (an admin's deactivations are not held)
)


@dataclass(frozen=True)
class _AsMember:
    """Strawberry's exception handler for one entry of the table: on a field whose result
    union holds the entry's member, the entry's errors become that member."""

    exception_type: type[DomainError]
    error_type: type[Error]
    build: Callable[[DomainError], Error]

    def handle(self, exception: DomainError, *, field: StrawberryField, info: Info) -> Error:
        return self.build(exception)


def exception_handlers() -> list[_AsMember]:
    """The schema's exception handlers. Strawberry takes the first whose exception type
    matches, so each entry comes before its bases': an error becomes the member of its
    nearest entry that the field's union holds."""
    return [
        _AsMember(outcome.error, outcome.member, outcome.build)
        for outcome in GRAPHQL_ERRORS.most_specific_first()
        if outcome.member is not None and outcome.build is not None
    ]


class ClientError(GraphQLError):
    """An expected failure of a query, told to the client as is."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def not_signed_in() -> ClientError:
    return ClientError(NOT_SIGNED_IN, "UNAUTHENTICATED")


def query_error(error: DomainError) -> ClientError:
    outcome = GRAPHQL_ERRORS[type(error)]
    return ClientError(outcome.message(error), outcome.code)


def is_expected(error: GraphQLError) -> bool:
    """Ours (a ClientError) or GraphQL's own refusal of a document (syntax, validation) or of
    its variables (values that do not fit their types): the client's mistake, not ours."""
    original = error.original_error
    if original is None or isinstance(original, ClientError):
        return True
    return error.path is None and isinstance(original, GraphQLError)


def log_error(error: GraphQLError) -> None:
    """Log an error of a request once (the schema's `process_errors` calls this for each,
    before masking): an expected one at INFO by its message and place only (a GraphQL error's
    text quotes the document around its place, and a document may hold a password: a client
    that writes it into its sign-in instead of passing it as a variable), anything else at
    ERROR with its trace and a new error id, kept for the masked answer; but not a database
    that went away: the edge logs and answers that."""
    original = error.original_error
    if is_expected(error):
        places = ", ".join(f"{p.line}:{p.column}" for p in error.locations or ())
        code = (error.extensions or {}).get("code")
        logger.info(
            "GraphQL error: %s%s",
            error.message,
            f" (at {places})" if places else "",
            extra={"code": code} if code else None,
        )
    elif not isinstance(original, DATABASE_UNAVAILABLE):  # (the edge logs and answers it)
        error_id = uuid.uuid4().hex[:12]
        error.extensions = {**(error.extensions or {}), "errorId": error_id}
        logger.error("GraphQL error %s", error_id, exc_info=original, extra={"error_id": error_id})


def should_mask(error: GraphQLError) -> bool:
    """Mask everything but expected errors (ours and GraphQL's own: validation, syntax) and a
    database that went away; a masked error keeps the error id it was logged with."""
    if is_expected(error):
        return False
    if isinstance(error.original_error, DATABASE_UNAVAILABLE):
        return False  # not a bug: the door fails the whole request with it (process_result)
    if "errorId" not in (error.extensions or {}):  # (not seen by process_errors)
        log_error(error)
    return True
