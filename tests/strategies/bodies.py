"""Request bodies: users as Okta and Entra ID send them and hostile ones, bodies for POST
/Users/.search, and what goes on the wire (JSON bytes, raw bytes, a Content-Type)."""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import strategies as st

from tests.strategies.filters import SAMPLES, Samples, any_filters
from tests.strategies.values import (
    CORE,
    ENTERPRISE,
    SEARCH_SCHEMA,
    edge_strings,
    huge_strings,
    json_values,
    nested,
    scalars,
    texts,
)

USER_FIELDS = (
    "userName",
    "externalId",
    "displayName",
    "nickName",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
    "name",
    "emails",
    "phoneNumbers",
    "addresses",
    "roles",
    "permissionsRole",
    "profileUrl",
    "password",
    "groups",
    "meta",
    "id",
    "schemas",
    ENTERPRISE,
)


@st.composite
def valid_user_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A user as Okta or Entra ID sends it (to POST /Users, or to PUT as the whole profile)."""
    local = draw(st.text(string.ascii_lowercase + string.digits + "._-", min_size=1, max_size=12))
    user_name = f"{local}@{draw(st.sampled_from(['acme.test', 'okta.local', 'EXAMPLE.com']))}"
    body: dict[str, Any] = {
        "schemas": [CORE],
        "userName": user_name,
        "name": {"givenName": draw(texts), "familyName": draw(texts)},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": draw(texts),
        "active": draw(st.booleans()),
        "externalId": draw(texts),
    }
    if draw(st.booleans()):
        body["schemas"].append(ENTERPRISE)
        body[ENTERPRISE] = {"department": draw(texts), "manager": {"value": draw(texts)}}
    if draw(st.booleans()):
        body["permissionsRole"] = draw(st.sampled_from(["admin", "basic-user", "nope", ""]))
    return body


@st.composite
def hostile_user_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A user body with some attributes of the wrong type, null, huge, nested deep, or holding
    NUL and lone surrogates; sometimes with attributes no schema has."""
    body = draw(valid_user_bodies())
    for field in draw(st.lists(st.sampled_from(USER_FIELDS), min_size=1, max_size=4)):
        body[field] = draw(
            st.one_of(
                json_values,
                edge_strings,
                huge_strings,
                st.sampled_from([10, 100, 400]).map(nested),
                st.builds(lambda s: [{"value": s, "type": s, "display": s}], edge_strings),
                st.builds(
                    lambda s: [{"value": "a@b.test", "type": "work", "display": s}], huge_strings
                ),
                st.builds(lambda s: [{"value": "a@b.test", "type": s}], huge_strings),
                st.builds(lambda s: {"givenName": s}, edge_strings | huge_strings),
                st.builds(lambda s: [{"formatted": s}], huge_strings),
                st.builds(lambda s: {"manager": s, "department": s}, edge_strings | huge_strings),
            )
        )
    if draw(st.integers(0, 4)) == 0:
        body[draw(texts)] = draw(json_values)
    return body


# --- searches -----------------------------------------------------------------------------


@st.composite
def search_bodies(draw: st.DrawFn, samples: Samples = SAMPLES) -> Any:
    """A body for POST /Users/.search: filter, paging, sorting and projection, any of them
    of the wrong type."""
    body: dict[str, Any] = {"schemas": [SEARCH_SCHEMA]}
    if draw(st.booleans()):
        body["filter"] = draw(any_filters(samples) | json_values)
    if draw(st.booleans()):
        body["startIndex"] = draw(st.integers(-5, 10**20) | json_values)
    if draw(st.booleans()):
        body["count"] = draw(st.integers(-5, 10**20) | json_values)
    if draw(st.booleans()):
        body["sortBy"] = draw(
            st.sampled_from(["userName", "meta.created", "emails.value", "x", ""]) | json_values
        )
    if draw(st.booleans()):
        body["sortOrder"] = draw(
            st.sampled_from(["ascending", "descending", "sideways"]) | json_values
        )
    if draw(st.booleans()):
        body["attributes"] = draw(
            st.sampled_from([["userName"], ["name.givenName", "emails"], "userName", ["nope"]])
            | json_values
        )
    if draw(st.booleans()):
        body["excludedAttributes"] = draw(st.sampled_from([["emails"], "meta"]) | json_values)
    if draw(st.integers(0, 9)) == 0:
        body["cursor"] = draw(texts | json_values)
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    return body


# --- raw bodies ---------------------------------------------------------------------------

CONTENT_TYPES = (
    "application/scim+json",
    "application/json",
    "application/scim+json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    "",
)


def encode(body: Any, *, ascii_only: bool = True) -> bytes:
    """JSON bytes of `body`; lone surrogates travel as escapes."""
    text = json.dumps(body, ensure_ascii=ascii_only)
    return text.encode("utf-8", errors="surrogatepass")


@st.composite
def raw_bodies(draw: st.DrawFn, valid: st.SearchStrategy[Any]) -> bytes:
    """Bytes that are not quite a JSON object: random bytes, truncated or doubled JSON, JSON
    nested far too deep, other encodings, a byte-order mark, JSON that is not an object."""
    choice = draw(st.integers(0, 8))
    if choice == 0:
        return draw(st.binary(max_size=200))
    encoded = encode(draw(valid))
    if choice == 1:
        return encoded[: draw(st.integers(0, max(0, len(encoded) - 1)))]
    if choice == 2:
        return encoded + encoded
    if choice == 3:
        depth = draw(st.sampled_from([100, 1000, 100_000]))
        return b"[" * depth + b"]" * depth
    if choice == 4:
        depth = draw(st.sampled_from([100, 1000, 50_000]))
        return b'{"userName":"deep@x.test","name":' + b'{"a":' * depth + b"1" + b"}" * (depth + 1)
    if choice == 5:
        return json.dumps(draw(valid)).encode(
            draw(st.sampled_from(["utf-16", "utf-32", "latin-1"])), errors="replace"
        )
    if choice == 6:
        return b"\xef\xbb\xbf" + encoded
    if choice == 7:
        return encode(draw(scalars | st.lists(scalars)))
    return encoded.replace(b'"', b"", 1)


@st.composite
def wire_requests(draw: st.DrawFn, bodies: st.SearchStrategy[Any]) -> tuple[bytes, str]:
    """What goes on the wire: bytes and a Content-Type. Mostly JSON of `bodies` (escaped to
    ASCII or as UTF-8), sometimes raw bytes, sometimes a media type that is not JSON."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        content = draw(raw_bodies(bodies))
    else:
        content = encode(draw(bodies), ascii_only=choice % 2 == 0)
    media = CONTENT_TYPES[0] if draw(st.integers(0, 5)) else draw(st.sampled_from(CONTENT_TYPES))
    return content, media
