"""Hypothesis strategies for SCIM traffic, valid and hostile: filters (with their meaning, so a
test can evaluate them itself), PATCH bodies (RFC 7644 §3.5.2, Okta's and Entra ID's shapes),
JSON bodies for every endpoint, and raw bytes. The property tests (tests/scim/test_*_properties.py,
test_body_fuzz.py) and the stress suite's `fuzz` scenario draw from the same strategies.

Bodies are plain JSON values; send them with `encode(...)`, which keeps lone surrogates as
`\\ud800` escapes (httpx's own `json=` would fail to encode them)."""

from __future__ import annotations

import functools
import json
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from hypothesis import strategies as st

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

# Characters that break naive code: quotes and backslashes (string escapes), LIKE's wildcards,
# letters whose case differs (also outside ASCII: accents, Greek's three sigmas, the sharp s
# that upper-cases to SS), a right-to-left override, Hebrew, CJK, an emoji beyond the BMP.
TRICKY = '"\\%_@.-+ éÉßñΣσςЖж李\u202eש🙂'
ALPHABET = string.ascii_letters + string.digits + TRICKY
texts = st.text(ALPHABET, max_size=12)
# Strings a server must refuse or survive: control characters, NUL, lone surrogates.
EDGE_STRINGS = (
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\ud800",
    "\udfff",
    "x\ud83d",
    "\u202egnp.exe",
    "🙂" * 3,
    "\n\t\r",
    "null",
    "true",
    "1e999",
    "%s%n",
    "' OR 1=1 --",
    "<script>",
    "../../etc/passwd",
)
edge_strings = st.sampled_from(EDGE_STRINGS) | st.text(max_size=20)


# --- filters ------------------------------------------------------------------------------

Kind = Literal["key", "text", "exact", "bool", "datetime", "id", "role"]
ORDERING = ("gt", "ge", "lt", "le")
SUBSTRING = ("co", "sw", "ew")
OPERATORS: dict[str, tuple[str, ...]] = {
    "key": ("eq", "ne", *SUBSTRING, *ORDERING),
    "text": ("eq", "ne", *SUBSTRING, *ORDERING),
    "exact": ("eq", "ne", *SUBSTRING, *ORDERING),
    "role": ("eq", "ne", *SUBSTRING),
    "bool": ("eq", "ne"),
    "datetime": ("eq", "ne", *ORDERING),
    "id": ("eq", "ne"),
}


@dataclass(frozen=True, slots=True)
class Attribute:
    """An attribute a filter may name. `path` is how the filter writes it (`name.givenName`),
    `kind` how it compares (RFC 7643 caseExact: `key` and `text` ignore case, Roster keeps a
    casefolded copy of `key` ones; `exact` keeps it), `multi` the multi-valued attribute it is
    a sub-attribute of (`emails`), `schema` the URN that may (enterprise: must) prefix it."""

    path: str
    kind: Kind
    multi: str | None = None
    schema: str = CORE
    urn_required: bool = False


USER_NAME = Attribute("userName", "key")
SINGULAR = (
    USER_NAME,
    Attribute("name.givenName", "text"),
    Attribute("name.familyName", "text"),
    Attribute("displayName", "text"),
    Attribute("title", "text"),
    Attribute("externalId", "exact"),
    Attribute("active", "bool"),
    Attribute("meta.created", "datetime"),
    Attribute("meta.lastModified", "datetime"),
    Attribute("id", "id"),
    Attribute("permissionsRole", "role"),
    Attribute("department", "text", schema=ENTERPRISE, urn_required=True),
)
EMAIL_VALUE = Attribute("emails.value", "key", multi="emails")
MULTI = (EMAIL_VALUE, Attribute("emails.type", "text", multi="emails"))
# inside `emails[...]`: the sub-attributes of one email
EMAIL_SUB = (
    Attribute("value", "key", multi="emails"),
    Attribute("type", "text", multi="emails"),
    Attribute("primary", "bool", multi="emails"),
)


@dataclass(frozen=True, slots=True)
class Compare:
    attribute: Attribute
    op: str
    value: str | bool | None  # dateTimes as the filter writes them


@dataclass(frozen=True, slots=True)
class Present:
    attribute: Attribute | None  # None: `emails pr`


@dataclass(frozen=True, slots=True)
class Logical:
    op: Literal["and", "or"]
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Negation:
    inner: Node


@dataclass(frozen=True, slots=True)
class EmailsWhere:
    """`emails[inner]`: users with one email that meets `inner`."""

    inner: Node


Node = Compare | Present | Logical | Negation | EmailsWhere


@dataclass(frozen=True, slots=True)
class FilterCase:
    text: str
    node: Node


@dataclass(frozen=True, slots=True)
class Samples:
    """Values to compare with, taken from the data set so that filters hit something."""

    strings: tuple[str, ...] = ("jane", "doe", "acme", "work")
    instants: tuple[datetime, ...] = ()
    ids: tuple[str, ...] = ()
    roles: tuple[str, ...] = ("admin", "basic-user", "super-admin")


_SHIFTS = st.sampled_from([0, 0, 1, -1, 1000, -1000, 10**6, -(10**6), 3600 * 10**6])
_OFFSETS = st.sampled_from([0, 0, 120, -330, 840])
_INSTANTS = st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))
_NEVER_SEEN_IDS = st.uuids().map(str) | texts


def _vary_case(draw: st.DrawFn, value: str) -> str:
    return (value, value.upper(), value.lower(), value.swapcase())[draw(st.integers(0, 3))]


def _sample(draw: st.DrawFn, values: Sequence[Any]) -> Any:
    return values[draw(st.integers(0, len(values) - 1))]


def _string_value(draw: st.DrawFn, samples: Samples) -> str:
    """A piece of one of the samples, in some case, or a string of tricky characters."""
    if samples.strings and draw(st.integers(0, 3)) > 0:
        value: str = _sample(draw, samples.strings)
        start = draw(st.integers(0, len(value)))
        end = draw(st.integers(start, len(value)))
        value = (value, value[start:end], value[:end], value[start:])[draw(st.integers(0, 3))]
        return _vary_case(draw, value)
    return draw(texts)


def _instant_text(draw: st.DrawFn, samples: Samples) -> str:
    """A dateTime as a filter may write it: RFC 3339 with Z or an offset, with or without
    fractions of a second; near the data's own instants."""
    if samples.instants and draw(st.booleans()) is True:
        base: datetime = _sample(draw, samples.instants)
        instant = base + timedelta(microseconds=draw(_SHIFTS))
    else:
        instant = draw(_INSTANTS)
    shown = instant.astimezone(timezone(timedelta(minutes=draw(_OFFSETS))))
    if draw(st.booleans()):
        shown = shown.replace(microsecond=(shown.microsecond // 1000) * 1000)
    text = shown.isoformat()
    return text.replace("+00:00", "Z") if draw(st.booleans()) else text


def _comparison(draw: st.DrawFn, attribute: Attribute, samples: Samples) -> Compare:
    operators = OPERATORS[attribute.kind]
    op = _sample(draw, operators)
    value: str | bool | None
    if op in ("eq", "ne") and draw(st.integers(0, 9)) == 0:
        value = None
    elif attribute.kind == "bool":
        value = draw(st.booleans())
    elif attribute.kind == "datetime":
        value = _instant_text(draw, samples)
    elif attribute.kind == "id":
        seen = bool(samples.ids) and draw(st.integers(0, 2)) > 0
        value = _vary_case(draw, _sample(draw, samples.ids) if seen else draw(_NEVER_SEEN_IDS))
    elif attribute.kind == "role":
        value = _vary_case(draw, _sample(draw, samples.roles)) if draw(st.integers(0, 3)) else ""
    else:
        value = _string_value(draw, samples)
    return Compare(attribute, op, value)


@st.composite
def _leaves(
    draw: st.DrawFn, attributes: tuple[Attribute, ...], samples: Samples, emails: bool
) -> Node:
    """A comparison or `pr` on one of the attributes (or `emails pr`)."""
    attribute: Attribute = _sample(draw, attributes)
    choice = draw(st.integers(0, 4))
    if choice == 0 and emails:
        return Present(None)
    if choice == 1:
        return Present(attribute)
    return _comparison(draw, attribute, samples)


def _tree(leaf: st.SearchStrategy[Node], max_leaves: int) -> st.SearchStrategy[Node]:
    def extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        logical = st.builds(Logical, st.sampled_from(["and", "or"]), children, children)
        return st.one_of(logical, st.builds(Negation, children))

    return st.recursive(leaf, extend, max_leaves=max_leaves)


@functools.cache
def filter_nodes(samples: Samples, max_leaves: int = 6) -> st.SearchStrategy[Node]:
    """A valid filter's meaning: comparisons, `pr`, `and`, `or`, `not` and `emails[...]`."""
    inner = _tree(_leaves(EMAIL_SUB, samples, emails=False), 3)
    leaf = st.one_of(_leaves(SINGULAR + MULTI, samples, emails=True), st.builds(EmailsWhere, inner))
    return _tree(leaf, max_leaves)


def _name(draw: st.DrawFn, attribute: Attribute | None) -> str:
    path = "emails" if attribute is None else attribute.path
    if draw(st.integers(0, 3)) == 0:  # attribute names are case-insensitive
        path = "".join(c.upper() if draw(st.booleans()) else c for c in path)
    schema = CORE if attribute is None else attribute.schema
    top_level = attribute is None or attribute.multi is None or "." in attribute.path
    if top_level and (
        (attribute is not None and attribute.urn_required) or not draw(st.integers(0, 4))
    ):
        path = f"{schema}:{path}"
    return path


def _literal(draw: st.DrawFn, value: str | bool | None) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=draw(st.booleans()))


def _render(draw: st.DrawFn, node: Node, parent: str | None = None) -> str:
    if isinstance(node, Compare):
        op = node.op if draw(st.integers(0, 3)) else node.op.upper()
        return f"{_name(draw, node.attribute)} {op} {_literal(draw, node.value)}"
    if isinstance(node, Present):
        return f"{_name(draw, node.attribute)} {draw(st.sampled_from(['pr', 'PR', 'Pr']))}"
    if isinstance(node, Negation):
        return f"not ({_render(draw, node.inner)})"
    if isinstance(node, EmailsWhere):
        return f"{_name(draw, None)}[{_render(draw, node.inner)}]"
    op = node.op if draw(st.integers(0, 3)) else node.op.upper()
    text = f"{_render(draw, node.left, node.op)} {op} {_render(draw, node.right, node.op)}"
    # `and` binds tighter than `or`: an `or` inside an `and` needs its parentheses
    needed = parent == "and" and node.op == "or"
    return f"({text})" if needed or (parent is not None and draw(st.booleans())) else text


@st.composite
def filters(draw: st.DrawFn, samples: Samples = Samples(), max_leaves: int = 6) -> FilterCase:
    """A valid filter: its text (names in any case, URN prefixes, escapes, unicode) and its
    meaning."""
    node = draw(filter_nodes(samples, max_leaves))
    return FilterCase(_render(draw, node), node)


# What makes a valid filter invalid: each of these must be answered 400 invalidFilter.
_BREAKERS = (
    lambda text: "(" + text,
    lambda text: text + ")",
    lambda text: text + " and",
    lambda text: "and " + text,
    lambda text: text + " or or " + text,
    lambda text: "not " + text.replace("(", "").replace(")", "") + " ]",
    lambda text: text + ' eq "x"',
    lambda text: text.replace('"', "'", 2) if '"' in text else text + " eq",
)
MALFORMED_FILTERS = (
    " ",
    "userName",
    "userName eq",
    'userName xx "a"',
    'userName === "a"',
    'userName eq "unterminated',
    'userName eq "bad \\escape"',
    "userName eq 'single quoted'",
    'userName eq "a" and',
    '(userName eq "a"',
    'userName eq "a")',
    "not userName pr",
    "active gt true",
    'active co "t"',
    'active eq "maybe"',
    'meta.created gt "yesterday"',
    'meta.created co "2020"',
    'id gt "x"',
    "userName eq 5",
    "displayName eq false",
    'emails[type eq "work"',
    'emails[type eq "work"]]',
    'name[givenName eq "x"]',
    "emails[]",
    '"just a string"',
    "()",
    "pr",
    'userName eq "\\u0000"',
    'userName eq "a\\u0000"',
    'name.givenName eq "\\ud800"',
    'displayName co "\\udfff x"',
    'externalId eq "\\ud83d"',
)


@st.composite
def invalid_filters(draw: st.DrawFn, samples: Samples = Samples()) -> str:
    """A filter that is not one: malformed grammar, a wrong operator or value type, a string
    Roster cannot hold (NUL, lone surrogates), or a valid filter broken on purpose."""
    if draw(st.booleans()):
        return draw(st.sampled_from(MALFORMED_FILTERS))
    case = draw(filters(samples, max_leaves=3))
    return str(draw(st.sampled_from(_BREAKERS))(case.text))


@st.composite
def any_filters(draw: st.DrawFn, samples: Samples = Samples()) -> str:
    """Filter text of every sort: random text, truncated filters, unknown attributes, long
    ones. Each gets 200 or 400 invalidFilter, never a 5xx."""
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return draw(st.text(max_size=60))
    if choice == 1:
        text = draw(filters(samples)).text
        return text[: draw(st.integers(0, len(text)))]
    if choice == 2:
        name = draw(st.from_regex(r"[A-Za-z][A-Za-z0-9.:_-]{0,30}", fullmatch=True))
        return f'{name} {draw(st.sampled_from(list(OPERATORS["text"])))} "x"'
    if choice == 3:  # long: around the 4 KiB limit, or far beyond it
        text = draw(filters(samples)).text
        length = draw(st.sampled_from([4000, 4096, 4097, 20_000]))
        return (f"({text}) or " * (length // (len(text) + 6) + 1))[:length]
    if choice == 4:
        return draw(invalid_filters(samples))
    return draw(filters(samples)).text


# --- JSON values and bodies ---------------------------------------------------------------

scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    edge_strings,
    texts,
)
_KEYS = st.sampled_from(["value", "type", "primary", "x"]) | texts


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=4)


json_values: st.SearchStrategy[Any] = st.recursive(scalars, _containers, max_leaves=12)


def nested(depth: int) -> Any:
    """A list nested `depth` deep."""
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


huge_strings = st.sampled_from([600, 5_000, 70_000, 900_000]).map(lambda n: "x" * n)
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


# --- PATCH --------------------------------------------------------------------------------

SIMPLE_PATHS = (
    "displayName",
    "nickName",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "externalId",
    "name.givenName",
    "name.familyName",
    "name.middleName",
    "name.formatted",
    "name.honorificPrefix",
    "name.honorificSuffix",
)
PATHS = (
    *SIMPLE_PATHS,
    "active",
    "userName",
    "name",
    "emails",
    "phoneNumbers",
    "permissionsRole",
    "addresses",
    'emails[type eq "work"].value',
    'emails[type eq "work"]',
    "emails[primary eq true].value",
    'emails[value co "@"].type',
    'phoneNumbers[type eq "mobile"].value',
    'addresses[type eq "work"].locality',
    'addresses[type eq "work"].streetAddress',
    f"{CORE}:title",
    f"{CORE}:name.givenName",
    f"{ENTERPRISE}:department",
    f"{ENTERPRISE}:employeeNumber",
    f"{ENTERPRISE}:manager",
    f"{ENTERPRISE}:manager.value",
)
# paths Roster must refuse: unknown, read-only, malformed
BAD_PATHS = (
    "id",
    "meta.created",
    "schemas",
    "groups",
    "shoeSize",
    "name.",
    "emails[",
    'emails[type eq "work"',
    'title[value eq "x"]',
    "urn:example:unknown:attr",
    "",
)
OPS = ("add", "replace", "remove", "Add", "Replace", "Remove", "ADD")
BAD_OPS = ("move", "copy", "", "test", "delete")
PATHLESS_KEYS = (
    "active",
    "title",
    "displayName",
    "name.givenName",
    "name",
    "emails",
    "userName",
    "externalId",
    f"{ENTERPRISE}:department",
    f"{ENTERPRISE}:manager",
    ENTERPRISE,
)
hostile_values = st.one_of(json_values, edge_strings, huge_strings)


def _path_variant(draw: st.DrawFn, path: str) -> str:
    """Attribute names are case-insensitive: the part before any `[` in random case."""
    if path and draw(st.integers(0, 4)) == 0:
        head, bracket, tail = path.partition("[")
        return "".join(c.upper() if draw(st.booleans()) else c for c in head) + bracket + tail
    return path


def _well_typed(draw: st.DrawFn, path: str) -> Any:
    low = path.lower()
    if low.endswith("active"):
        return draw(st.sampled_from([True, False, "true", "False", "TRUE", "yes", 1, None]))
    if low in ("emails", "phonenumbers"):
        kind = draw(st.sampled_from(["work", "home"]))
        return [{"value": draw(texts) + "@x.test", "type": kind, "primary": draw(st.booleans())}]
    if low == "name":
        return {"givenName": draw(texts), "familyName": draw(texts)}
    if low.endswith(":manager"):
        return draw(st.sampled_from(["boss-1", "", {"value": "boss-2"}, [{"value": "boss-3"}]]))
    if low.endswith(ENTERPRISE.lower()):
        return {
            "department": draw(texts),
            "manager": draw(st.sampled_from(["b-1", {"value": "b"}])),
        }
    if low.endswith("permissionsrole"):
        return draw(st.sampled_from(["admin", "basic-user", "ADMIN", "no-such-role", ""]))
    return draw(texts)


def patch_values(path: str, hostile: bool = False) -> st.SearchStrategy[Any]:
    """A value for `path`: well-typed, or (hostile) of the wrong type, null, huge, NUL."""
    if hostile:
        return hostile_values
    return st.composite(lambda draw: _well_typed(draw, path))()


@st.composite
def pathless_values(draw: st.DrawFn, hostile: bool = False) -> dict[str, Any]:
    """Okta's and Entra ID's path-less operations: `{"active": false}`, a few attributes."""
    keys = draw(st.lists(st.sampled_from(PATHLESS_KEYS), min_size=1, max_size=3, unique=True))
    if hostile and draw(st.booleans()):
        keys.append(draw(st.sampled_from(["id", "nope", "meta", "schemas"]) | texts))
    value: dict[str, Any] = {}
    for key in keys:
        value[key] = (
            draw(hostile_values) if hostile and draw(st.booleans()) else _well_typed(draw, key)
        )
    return value


@st.composite
def patch_operations(draw: st.DrawFn, hostile: bool = False) -> Any:
    """One operation: a set or removal by path, or a path-less set; hostile ones may have an
    unknown op, a path Roster refuses, a value of the wrong type, no op, or be no object."""
    if hostile and draw(st.integers(0, 9)) == 0:
        return draw(json_values)  # not an operation at all
    bad = hostile and draw(st.booleans())
    op = draw(st.sampled_from(BAD_OPS if bad and draw(st.booleans()) else OPS))
    if draw(st.integers(0, 3)) == 0:  # path-less
        operation: dict[str, Any] = {"op": op, "value": draw(pathless_values(hostile))}
    else:
        paths = BAD_PATHS if bad and draw(st.booleans()) else PATHS
        path = _path_variant(draw, draw(st.sampled_from(paths)))
        operation = {"op": op, "path": path}
        if op.lower() != "remove" or draw(st.integers(0, 3)) == 0:
            operation["value"] = draw(patch_values(path, bad))
    if bad and draw(st.integers(0, 4)) == 0:
        del operation["op"]
    return operation


@st.composite
def patch_bodies(draw: st.DrawFn) -> Any:
    """A PATCH body: mostly a PatchOp of 1 to 4 operations, valid or not; sometimes without its
    schema, with `operations` in lower case, an empty list, or not a PatchOp at all."""
    hostile = draw(st.integers(0, 9)) < 4
    operations = draw(st.lists(patch_operations(hostile), min_size=1, max_size=4))
    body: dict[str, Any] = {"schemas": [PATCH_SCHEMA], "Operations": operations}
    variant = draw(st.integers(0, 29)) if hostile else 10
    if variant == 0:
        body["Operations"] = []
    elif variant == 1:
        body = {"schemas": [PATCH_SCHEMA], "operations": operations}
    elif variant == 2:
        del body["schemas"]
    elif variant == 3:
        body["schemas"] = draw(json_values)
    elif variant == 4:
        return draw(json_values)
    return body


# --- searches -----------------------------------------------------------------------------


@st.composite
def search_bodies(draw: st.DrawFn, samples: Samples = Samples()) -> Any:
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
