"""Every error a SCIM request can meet, mapped once to an RFC 7644 error response: the domain's
errors by the table `SCIM_ERRORS`, scim2-models' and pydantic's by the scimType they carry,
the door's own `ScimProblem`; `refuse` renders the edge's refusals (bad token, over the limit,
database unavailable) the same way."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from pydantic import ValidationError
from scim2_models import Error, SCIMException
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from domain.errors import (
    Conflict,
    DeprovisioningHeld,
    DomainError,
    ErrorTable,
    GroupNameTaken,
    InvalidCredentials,
    InvalidCursor,
    InvalidToken,
    InvalidValue,
    NotFound,
    PermissionDenied,
    ProvisioningPaused,
    SignInThrottled,
    SsoRefused,
    SsoRequired,
    UserNameTaken,
    VersionMismatch,
    narrowed,
)
from scim.responses import error_response

TOKEN_REFUSED = "the bearer token is missing, malformed, unknown or revoked"
COMMIT_UNCONFIRMED = (
    "the database went away before this change's outcome could be read, so it may have been "
    "applied: read the resource back before sending it again"
)
E = TypeVar("E", bound=DomainError)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="roster"'}
# Domain field names as an identity provider's admin knows them.
_SCIM_NAMES = {
    "role": "role (permissionsRole, the primary roles value)",
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
    """An error found by the SCIM door itself (a bad header, an unreadable body): the request
    never reached the domain, so this is no domain error but SCIM's own, with its status and
    scimType."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        super().__init__(detail)


class ScimError:
    """A domain error as an RFC 7644 error: its status, scimType and `detail` (the error's own
    message unless the entry says otherwise), and headers."""

    def __init__(
        self,
        error: type[E],
        status: int,
        scim_type: str | None = None,
        *,
        detail: Callable[[E], str] = str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.error: type[DomainError] = error
        self.status = status
        self.scim_type = scim_type
        self.detail = narrowed(error, detail)
        self.headers = headers

    def response(self, error: DomainError) -> Response:
        return error_response(self.status, self.detail(error), self.scim_type, self.headers)


def _invalid_value(error: InvalidValue) -> str:
    return f"{_scim_name(error.field)}: {error.reason}"


SCIM_ERRORS = ErrorTable(
    ScimError(NotFound, 404, detail=lambda e: f"{e.kind.capitalize()} {e.id!r} not found"),
    ScimError(Conflict, 409),
    ScimError(UserNameTaken, 409, "uniqueness"),
    ScimError(GroupNameTaken, 409, "uniqueness"),
    ScimError(VersionMismatch, 412, detail=lambda e: f"If-Match does not match: {e}"),
    ScimError(InvalidValue, 400, "invalidValue", detail=_invalid_value),
    ScimError(InvalidCursor, 400, "invalidCursor", detail=_invalid_value),
    ScimError(PermissionDenied, 403, detail=lambda e: f"this token may not {e.action}"),
    ScimError(InvalidToken, 401, detail=lambda _: TOKEN_REFUSED, headers=CHALLENGE),
    # Okta and Entra ID retry a 503 later, as they do a 429: nothing the provider sent is lost
    ScimError(
        DeprovisioningHeld,
        503,
        headers={"Retry-After": str(DeprovisioningHeld.RETRY_AFTER_SECONDS)},
    ),
    ScimError(
        ProvisioningPaused,
        503,
        headers={"Retry-After": str(ProvisioningPaused.RETRY_AFTER_SECONDS)},
    ),
    # (no one signs in through SCIM)
    ScimError(InvalidCredentials, 400),
    ScimError(SignInThrottled, 400),
    ScimError(SsoRefused, 400),
    ScimError(SsoRequired, 400),
)


def refuse(status: int, code: str, headers: dict[str, str]) -> Response:
    """The edge's refusal of a SCIM request (by the edge's code) as a SCIM error."""
    retry_after = headers.get("Retry-After")
    details = {
        "UNAUTHENTICATED": TOKEN_REFUSED,
        "RATE_LIMITED": f"too many requests with this token; retry in {retry_after} seconds",
        "DATABASE_UNAVAILABLE": "the database is unavailable; retry shortly",
        "COMMIT_UNCONFIRMED": COMMIT_UNCONFIRMED,
    }
    return error_response(
        status, details.get(code, "the server failed; retry later"), headers=headers
    )


def _from_error(error: Error) -> Response:
    status = int(error.status or 400)
    return error_response(status, error.detail or "invalid request", error.scim_type or None)


# what the metrics count these as (their 503 alone would read as the database unavailable)
_OUTCOMES: dict[type[DomainError], str] = {DeprovisioningHeld: "held", ProvisioningPaused: "paused"}


async def handle_domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    outcome = _OUTCOMES.get(type(error))
    if outcome is not None:
        request.state.outcome = outcome  # (web.metrics.OUTCOME_KEY)
    return SCIM_ERRORS[type(error)].response(error)


async def handle_scim_exception(request: Request, error: Exception) -> Response:
    assert isinstance(error, SCIMException)
    return _from_error(error.to_error())


async def handle_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ValidationError)
    errors = Error.from_validation_errors(error)
    return _from_error(errors[0]) if errors else error_response(400, str(error), "invalidValue")


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
