"""Errors of the GraphQL door.

Expected outcomes of a mutation are members of its result union (`NotFoundError`,
`PermissionDeniedError`, `ValidationError`, `ConflictError`, `VersionConflictError`,
`AuthenticationError`), each with a `message`. Queries return no error unions, so their expected
failures (not signed in, not allowed, a bad argument) are GraphQL errors with a `code`
extension. A database that went away fails the whole request (503 with Retry-After and the
code `DATABASE_UNAVAILABLE`, answered by the edge). Anything else is a bug: masked to a
generic message with an error id that is logged with the trace."""

from __future__ import annotations

import logging
import uuid

import strawberry
from graphql import GraphQLError

from domain.database import DATABASE_UNAVAILABLE
from domain.errors import (
    Conflict,
    DomainError,
    InvalidCredentials,
    InvalidRole,
    InvalidToken,
    InvalidValue,
    NotFound,
    PermissionDenied,
    SignInThrottled,
    VersionMismatch,
)

logger = logging.getLogger("roster.graphql")
DATABASE_DOWN_MESSAGE = "The database is unavailable; retry shortly."


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


MutationError = (
    NotFoundError | PermissionDeniedError | ValidationError | ConflictError | VersionConflictError
)


def as_error(error: DomainError) -> MutationError:
    """The union member for an expected domain error."""
    if isinstance(error, NotFound):
        return NotFoundError(message=str(error))
    if isinstance(error, PermissionDenied):
        return PermissionDeniedError(message=f"You are not allowed to {error.action}.")
    if isinstance(error, VersionMismatch):
        return VersionConflictError(
            message=str(error), expected_version=error.expected, current_version=error.actual
        )
    if isinstance(error, Conflict):
        return ConflictError(message=str(error))
    if isinstance(error, InvalidRole):
        return ValidationError(message=str(error), field="role")
    if isinstance(error, InvalidValue):
        return ValidationError(message=str(error), field=error.field)
    raise error


def as_authentication_error(error: InvalidCredentials | SignInThrottled) -> AuthenticationError:
    if isinstance(error, SignInThrottled):
        return AuthenticationError(message=str(error), retry_after_seconds=error.retry_after)
    return AuthenticationError(message="Wrong email or password.")


class ClientError(GraphQLError):
    """An expected failure of a query, told to the client as is."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def not_signed_in() -> ClientError:
    return ClientError("Sign in first (or send a personal API token).", "UNAUTHENTICATED")


def query_error(error: DomainError) -> ClientError:
    if isinstance(error, PermissionDenied):
        return ClientError(f"You are not allowed to {error.action}.", "FORBIDDEN")
    if isinstance(error, NotFound):
        return ClientError(str(error), "NOT_FOUND")
    if isinstance(error, InvalidToken):
        return not_signed_in()
    return ClientError(str(error), "BAD_REQUEST")


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
