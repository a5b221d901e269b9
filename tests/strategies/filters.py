"""SCIM filters (RFC 7644 §3.4.2.2), valid with their meaning (so that a test can evaluate them
itself), invalid (each must be answered 400 invalidFilter), and of every sort."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from hypothesis import strategies as st

from tests.strategies.values import CORE, ENTERPRISE, texts

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


SAMPLES = Samples()  # the samples of a data set nobody described


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
def filters(draw: st.DrawFn, samples: Samples = SAMPLES, max_leaves: int = 6) -> FilterCase:
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
def invalid_filters(draw: st.DrawFn, samples: Samples = SAMPLES) -> str:
    """A filter that is not one: malformed grammar, a wrong operator or value type, a string
    Roster cannot hold (NUL, lone surrogates), or a valid filter broken on purpose."""
    if draw(st.booleans()):
        return draw(st.sampled_from(MALFORMED_FILTERS))
    case = draw(filters(samples, max_leaves=3))
    return str(draw(st.sampled_from(_BREAKERS))(case.text))


@st.composite
def any_filters(draw: st.DrawFn, samples: Samples = SAMPLES) -> str:
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
