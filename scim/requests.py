"""Reading a SCIM request: who sends it (its bearer token), the JSON body (within limits),
ETags, paging, sorting and the attributes the response is to show."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scim2_models import (
    Context,
    InvalidValueException,
    Resource,
    ResponseParameters,
    SearchRequest,
)
from starlette.requests import Request

from domain.actors import Actor
from domain.authentication import authenticate_scim
from domain.errors import InvalidToken
from domain.paging import OffsetPage
from domain.shared_store import SharedStore
from domain.text import holds_unstorable
from scim.errors import ScimProblem
from scim.request_log import Recorder

MAX_BODY_BYTES = 1024 * 1024
_MAX_START_INDEX = 2**31  # past every resource, and an OFFSET any database takes (2**63 is not)
_JSON_TYPES = {"application/scim+json", "application/json"}
_ETAG_VERSION = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')
# UTF-8 JSON carries NUL and surrogates only as escapes: look further only when one is there.
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


@dataclass(frozen=True, slots=True)
class ScimConfig:
    base_url: str  # e.g. https://roster.example.com/scim/v2
    max_results: int = 1000
    shared: SharedStore | None = None  # where walk positions are shared; None: this process
    recorder: Recorder | None = None  # the provisioning request log; None: off


def config_of(request: Request) -> ScimConfig:
    config: ScimConfig = request.app.state.scim
    return config


async def authenticate(request: Request, bearer: str | None) -> Actor | None:
    """The identity provider behind the request's bearer token (None without one); an
    unknown, revoked or non-SCIM token is InvalidToken."""
    actor = None if bearer is None else await authenticate_scim(bearer)
    request.state.scim_actor = actor
    return actor


def actor_of(request: Request) -> Actor:
    """The identity provider `authenticate` found behind the request; InvalidToken when the
    request carried no token."""
    actor: Actor | None = getattr(request.state, "scim_actor", None)
    if actor is None:
        raise InvalidToken()
    return actor


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object. 413 beyond 1 MiB (read no further), 415 for a media type
    that is not JSON, 400 invalidSyntax for anything but a JSON object."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type not in _JSON_TYPES:
        raise ScimProblem(
            415, f"send the body as application/scim+json or application/json, not {media_type}"
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ScimProblem(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ScimProblem(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise ScimProblem(400, "the request has no body; send a JSON object", "invalidSyntax")
    encoding = json.detect_encoding(raw)
    try:  # decoded strictly: json.loads(bytes) lets UTF-8-encoded lone surrogates through
        body = json.loads(raw.decode(encoding))
    except (ValueError, RecursionError) as error:
        raise ScimProblem(400, f"the body is not valid JSON: {error}", "invalidSyntax") from error
    if not isinstance(body, dict):
        raise ScimProblem(400, "the body must be a JSON object", "invalidSyntax")
    escaped = encoding != "utf-8" or _UNSTORABLE_ESCAPE.search(raw)
    if escaped and holds_unstorable(body):
        raise ScimProblem(
            400, "the body holds a NUL character or a lone surrogate: no value can", "invalidValue"
        )
    return body


def if_match_version(request: Request) -> int | None:
    """The version an If-Match header asks for: None when absent or `*`; 412 when it names
    no version of ours."""
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    match = _ETAG_VERSION.match(header.split(",")[0])
    if match is None:
        raise ScimProblem(412, f"If-Match {header!r} names no version of this resource")
    return int(match.group(1))


def if_none_match(request: Request) -> set[str]:
    header = request.headers.get("if-none-match")
    if not header:
        return set()
    return {tag.strip() for tag in header.split(",")}


def page_size(value: Any, maximum: int) -> int:
    """The page size: `count` within 0..maximum; without it, every user up to the maximum (as
    conformance tools and most servers do: one page holds the whole listing)."""
    if value is None or value == "":
        return maximum
    try:
        count = int(value)
    except (TypeError, ValueError) as error:
        raise InvalidValueException(detail=f"count must be an integer, not {value!r}") from error
    return max(0, min(count, maximum))


def first_index(value: Any) -> int:
    if value is None or value == "":
        return 1
    try:
        return max(1, int(value))
    except (TypeError, ValueError) as error:
        raise InvalidValueException(
            detail=f"startIndex must be an integer, not {value!r}"
        ) from error


def offset_page(start_index: int, count: int) -> OffsetPage:
    """The page from the 1-based `startIndex` (a page past every resource is empty)."""
    return OffsetPage(offset=min(start_index, _MAX_START_INDEX) - 1, count=count)


def response_parameters(
    resource: type[Resource[Any]], values: Mapping[str, Any]
) -> ResponseParameters[Any] | None:
    """The `attributes` and `excludedAttributes` of a request, if it names any."""
    chosen = {k: values[k] for k in ("attributes", "excludedAttributes") if values.get(k)}
    if not chosen:
        return None
    parameters: ResponseParameters[Any] = ResponseParameters[resource].model_validate(  # type: ignore[valid-type]
        chosen
    )
    return parameters


def sort_order(
    search: type[SearchRequest[Any]],
    resource: type[Resource[Any]],
    sorts: Mapping[str, str],
    values: Mapping[str, Any],
) -> tuple[str, bool]:
    """The domain's sort key and direction for a request's `sortBy` and `sortOrder` (by
    creation when it names none); `sorts` maps each attribute's URN to its key."""
    read = search.model_validate(values, scim_ctx=Context.SEARCH_REQUEST) if values else None
    if read is None:
        return "created_at", False
    descending = str(read.sort_order).lower() == "descending"
    if read.sort_by is None:
        return "created_at", descending
    binding = read.sort_binding(resource)
    if binding is None or binding.urn not in sorts:
        names = ", ".join(urn.rsplit(":", 1)[1] for urn in dict.fromkeys(sorts))
        raise InvalidValueException(
            detail=f"sortBy {read.sort_by!s} is not supported; sort by one of: {names}"
        )
    return sorts[binding.urn], descending
