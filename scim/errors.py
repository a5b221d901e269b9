"""Every error a SCIM request can meet, mapped once to an RFC 7644 error response; `refuse`
renders the edge's refusals (bad token, over the limit, database unavailable) the same way."""

from __future__ import annotations

from pydantic import ValidationError
from scim2_models import Error, SCIMException
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from domain.errors import (
    Conflict,
    DomainError,
    InvalidRole,
    InvalidToken,
    InvalidValue,
    NotFound,
    PermissionDenied,
    UserNameTaken,
    VersionMismatch,
)
from scim.responses import error_response

TOKEN_REFUSED = "the bearer token is missing, malformed, unknown or revoked"
# Domain field names as an identity provider's admin knows them.
_SCIM_NAMES = {
    "role": "permissionsRole",
    "given_name": "name.givenName",
    "family_name": "name.familyName",
    "middle_name": "name.middleName",
    "formatted_name": "name.formatted",
    "honorific_prefix": "name.honorificPrefix",
    "honorific_suffix": "name.honorificSuffix",
}


def _scim_name(field: str) -> str:
    """A domain field as the SCIM attribute an identity provider's admin knows:
    `display_name` -> `displayName`, `given_name` -> `name.givenName`."""
    if field in _SCIM_NAMES:
        return _SCIM_NAMES[field]
    head, *rest = field.split("_")
    return head + "".join(part.capitalize() for part in rest)


class ScimProblem(Exception):
    """An error found by the SCIM door itself (a bad header, an unreadable body)."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        super().__init__(detail)


def unauthorized(detail: str) -> Response:
    return error_response(401, detail, headers={"WWW-Authenticate": 'Bearer realm="roster"'})


def refuse(status: int, code: str, headers: dict[str, str]) -> Response:
    """The edge's refusal of a SCIM request (by the edge's code) as a SCIM error."""
    retry_after = headers.get("Retry-After")
    details = {
        "UNAUTHENTICATED": TOKEN_REFUSED,
        "RATE_LIMITED": f"too many requests with this token; retry in {retry_after} seconds",
        "DATABASE_UNAVAILABLE": "the database is unavailable; retry shortly",
    }
    return error_response(
        status, details.get(code, "the server failed; retry later"), headers=headers
    )


def from_domain(error: DomainError) -> Response:
    if isinstance(error, NotFound):
        return error_response(404, f"{error.kind.capitalize()} {error.id!r} not found")
    if isinstance(error, UserNameTaken):
        return error_response(409, str(error), "uniqueness")
    if isinstance(error, VersionMismatch):
        return error_response(412, f"If-Match does not match: {error}")
    if isinstance(error, Conflict):
        return error_response(409, str(error))
    if isinstance(error, InvalidRole):
        return error_response(
            400,
            f"permissionsRole: unknown role {error.value!r}; accepted values are: "
            f"{', '.join(error.allowed)}",
            "invalidValue",
        )
    if isinstance(error, InvalidValue) and error.field == "cursor":
        return error_response(400, f"cursor: {error.reason}", "invalidCursor")
    if isinstance(error, InvalidValue):
        field = _scim_name(error.field)
        return error_response(400, f"{field}: {error.reason}", "invalidValue")
    if isinstance(error, PermissionDenied):
        return error_response(403, f"this token may not {error.action}")
    if isinstance(error, InvalidToken):
        return unauthorized(TOKEN_REFUSED)
    return error_response(400, str(error))


def from_scim(error: SCIMException) -> Response:
    return _from_error(error.to_error())


def from_validation(error: ValidationError) -> Response:
    errors = Error.from_validation_errors(error)
    return _from_error(errors[0]) if errors else error_response(400, str(error), "invalidValue")


def _from_error(error: Error) -> Response:
    status = int(error.status or 400)
    return error_response(status, error.detail or "invalid request", error.scim_type or None)


async def handle_domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    return from_domain(error)


async def handle_scim_exception(request: Request, error: Exception) -> Response:
    assert isinstance(error, SCIMException)
    return from_scim(error)


async def handle_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ValidationError)
    return from_validation(error)


async def handle_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, ScimProblem)
    return error_response(error.status, error.detail, error.scim_type)


async def handle_http_exception(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 404:
        return error_response(404, f"no SCIM endpoint at {request.url.path}")
    if error.status_code == 405:
        return error_response(405, f"{request.method} is not allowed on {request.url.path}")
    return error_response(error.status_code, str(error.detail))


EXCEPTION_HANDLERS = {
    DomainError: handle_domain_error,
    SCIMException: handle_scim_exception,
    ValidationError: handle_validation_error,
    ScimProblem: handle_problem,
    HTTPException: handle_http_exception,
}
