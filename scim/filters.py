"""SCIM filters (RFC 7644 §3.4.2.2) as Tortoise queries: scim2-models parses and types the
filter, this visitor turns its tree into a `Q` the database evaluates. Nothing is filtered in
Python.

Comparisons on nullable columns are written `column IS NOT NULL AND column op value`, so that
`not (...)` and `ne` also match users who lack the attribute, as SCIM's logic wants."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from pypika_tortoise.terms import ValueWrapper
from scim2_models import InvalidFilterException, Resource, ScimFilter
from scim2_models.path import (
    AttributeBinding,
    AttrPath,
    CompareOperator,
    Comparison,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
    coerce_value,
)
from tortoise.expressions import Q

from domain.group_queries import with_member
from domain.queries import UserFilter
from domain.roles import role_stated
from domain.text import storable
from domain.user_filters import MultiValued, folded, with_value
from scim.group_resources import GROUP, Group
from scim.resources import CORE, ENTERPRISE, User

MAX_FILTER_LENGTH = 4096

# attribute URN -> (column, nullable, kind); kind: "text", "key" (casefolded copy), "exact"
# (case-exact text), "bool", "datetime", "uuid"
_COLUMNS: dict[str, tuple[str, bool, str]] = {
    f"{CORE}:id": ("id", False, "uuid"),
    f"{CORE}:externalId": ("external_id", True, "exact"),
    f"{CORE}:userName": ("user_name_key", False, "key"),
    f"{CORE}:name.formatted": ("formatted_name", True, "text"),
    f"{CORE}:name.familyName": ("family_name", True, "text"),
    f"{CORE}:name.givenName": ("given_name", True, "text"),
    f"{CORE}:name.middleName": ("middle_name", True, "text"),
    f"{CORE}:name.honorificPrefix": ("honorific_prefix", True, "text"),
    f"{CORE}:name.honorificSuffix": ("honorific_suffix", True, "text"),
    f"{CORE}:displayName": ("display_name", True, "text"),
    f"{CORE}:nickName": ("nick_name", True, "text"),
    f"{CORE}:title": ("title", True, "text"),
    f"{CORE}:userType": ("user_type", True, "text"),
    f"{CORE}:preferredLanguage": ("preferred_language", True, "text"),
    f"{CORE}:locale": ("locale", True, "text"),
    f"{CORE}:timezone": ("timezone", True, "text"),
    f"{CORE}:active": ("active", False, "bool"),
    f"{CORE}:permissionsRole": ("role__key", False, "role"),
    f"{CORE}:meta.created": ("created_at", False, "datetime"),
    f"{CORE}:meta.lastModified": ("updated_at", False, "datetime"),
    f"{ENTERPRISE}:employeeNumber": ("employee_number", True, "text"),
    f"{ENTERPRISE}:costCenter": ("cost_center", True, "text"),
    f"{ENTERPRISE}:organization": ("organization_name", True, "text"),
    f"{ENTERPRISE}:division": ("division", True, "text"),
    f"{ENTERPRISE}:department": ("department", True, "text"),
    f"{ENTERPRISE}:manager.value": ("manager_id", True, "exact"),
}
# group attribute URN -> (column, nullable, kind), as for users
_GROUP_COLUMNS: dict[str, tuple[str, bool, str]] = {
    f"{GROUP}:id": ("id", False, "uuid"),
    f"{GROUP}:externalId": ("external_id", True, "exact"),
    f"{GROUP}:displayName": ("display_name_key", False, "key"),
    f"{GROUP}:meta.created": ("created_at", False, "datetime"),
    f"{GROUP}:meta.lastModified": ("updated_at", False, "datetime"),
}
# sub-attribute of emails and phoneNumbers -> (value row column, kind)
_VALUE_COLUMNS: dict[str, tuple[str, str]] = {
    "value": ("value_key", "key"),
    "type": ("type", "text"),
    "primary": ("primary", "bool"),
}
_NOTHING = Q(id__in=[])
_SUFFIX = {
    CompareOperator.co: "contains",
    CompareOperator.sw: "startswith",
    CompareOperator.ew: "endswith",
    CompareOperator.gt: "gt",
    CompareOperator.ge: "gte",
    CompareOperator.lt: "lt",
    CompareOperator.le: "lte",
}


def _values_of(attribute: MultiValued) -> _MultiValued:
    return _MultiValued(partial(with_value, attribute), _VALUE_COLUMNS)


_ORDERING = (CompareOperator.gt, CompareOperator.ge, CompareOperator.lt, CompareOperator.le)


def _q(lookup: str, value: Any) -> Q:
    condition: dict[str, Any] = {lookup: value}
    return Q(**condition)


def parse(text: str, resource: type[Resource[Any]] = User) -> ScimFilter[Any]:
    """The filter, typed against the resource's schema; InvalidFilterException if it is not
    one."""
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilterException(detail=f"the filter is longer than {MAX_FILTER_LENGTH} chars")
    try:
        return ScimFilter[resource](text)  # type: ignore[valid-type]
    except InvalidFilterException:
        raise
    except (ValueError, TypeError, RecursionError) as error:
        raise InvalidFilterException(detail=f"invalid filter: {error}") from error


# What Okta sends before every create ("does this user exist?"): read without the grammar.
_USER_NAME_EQ = re.compile(
    r'^\s*(?:urn:ietf:params:scim:schemas:core:2\.0:User:)?userName\s+eq\s+"((?:[^"\\\x00-\x1f]|\\.)*)"\s*$',
    re.IGNORECASE,
)
# A lookup by email address, `emails[value eq "…"]` or `emails.value eq "…"`: the same.
_EMAIL_EQ = re.compile(
    r"^\s*(?:urn:ietf:params:scim:schemas:core:2\.0:User:)?emails"
    r'(?:\[\s*value\s+eq\s+"((?:[^"\\\x00-\x1f]|\\.)*)"\s*\]|\.value\s+eq\s+"((?:[^"\\\x00-\x1f]|\\.)*)")\s*$',
    re.IGNORECASE,
)


def user_filter(text: str) -> UserFilter:
    """The domain's filter for a SCIM filter: `userName eq "…"` names one user, which the
    domain reads by its unique key, and an email lookup names the users with that address,
    which it finds in its index of emails; any other filter is translated by the grammar."""
    user_name = _looked_up(_USER_NAME_EQ, text)
    if user_name is not None:
        return UserFilter(user_name=user_name, where_text=text)
    email = _looked_up(_EMAIL_EQ, text)
    if email is not None:
        return UserFilter(email=email, where_text=text)
    return UserFilter(where=to_query(text), where_text=text)


def to_query(text: str) -> Q:
    """The `Q` that selects the users the filter matches."""
    user_name = _looked_up(_USER_NAME_EQ, text)
    if user_name is not None:
        return _q("user_name_key", _term(user_name.casefold()))
    return by_grammar(text)


def by_grammar(text: str) -> Q:
    """The `Q` that selects the users the filter matches, translated by the grammar alone
    (no lookup read ahead of it)."""
    scim_filter = parse(text)
    return _Translator(scim_filter, _USERS).visit(scim_filter.ast)


def _looked_up(lookup: re.Pattern[str], text: str) -> str | None:
    """The value a lookup filter compares with, read without the grammar; None for any other
    filter (or a value no database can hold, which the grammar refuses)."""
    match = lookup.match(text) if len(text) <= MAX_FILTER_LENGTH else None
    if match is None:
        return None
    quoted = next(group for group in match.groups() if group is not None)
    try:
        value = json.loads(f'"{quoted}"')
    except ValueError:
        return None  # not a JSON string after all: let the grammar say why
    return value if isinstance(value, str) and storable(value) else None


def _compare(
    column: str,
    kind: str,
    op: CompareOperator,
    value: Any,
    nullable: bool,
    of_values: bool = False,
) -> Q:
    if value is None:  # `x eq null`: absent; `x ne null`: present
        absent = ~role_stated() if kind == "role" else _q(f"{column}__isnull", True)
        return ~absent if op is CompareOperator.ne else absent
    if kind == "uuid":
        return _compare_uuid(column, op, value)
    if kind == "role":  # a role compares, like it reads, only where it was stated
        stated = role_stated()
        q = stated & _compare(column, "text", CompareOperator.eq, value, False)
        return (
            ~q if op is CompareOperator.ne else stated & _compare(column, "text", op, value, False)
        )
    if isinstance(value, str) and not storable(value):
        raise InvalidFilterException(detail="a filter value holds NUL or a lone surrogate")
    if kind == "key" and isinstance(value, str):
        value = value.casefold()
    if kind == "datetime" and isinstance(value, str):
        value = _datetime(value)
    if isinstance(value, datetime):  # SQLite compares the stored UTC text: compare in UTC
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    insensitive = kind == "text" and isinstance(value, str)
    if op in (CompareOperator.eq, CompareOperator.ne):
        lookup = f"{column}__iexact" if insensitive else column
        q = _q(lookup, value if insensitive else _term(value))
    elif insensitive and op in _ORDERING:  # caseExact false: UPPER() both sides, as iexact does
        q = folded(column, _SUFFIX[op], value, of_values=of_values)
    else:
        suffix = _SUFFIX[op]
        if insensitive and op in (CompareOperator.co, CompareOperator.sw, CompareOperator.ew):
            suffix = "i" + suffix
        q = Q(**{f"{column}__{suffix}": _term(value) if op in _ORDERING else value})
    if nullable:
        q = _q(f"{column}__isnull", False) & q
    return ~q if op is CompareOperator.ne else q


def _term(value: Any) -> Any:
    """A string as an SQL term: Tortoise validates a plain value as if it were to be stored and
    refuses one longer than the column, though `userName eq "<longer>"` just matches nothing."""
    return ValueWrapper(value) if isinstance(value, str) else value


def _compare_uuid(column: str, op: CompareOperator, value: Any) -> Q:
    try:
        parsed = uuid.UUID(str(value))
    except ValueError:
        parsed = None
    if op is CompareOperator.eq:
        return _q(column, parsed) if parsed else _NOTHING
    if op is CompareOperator.ne:
        return ~_q(column, parsed) if parsed else ~_NOTHING
    raise InvalidFilterException(detail=f"ids compare only with eq and ne, not {op.value}")


def _datetime(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidFilterException(detail=f"{value!r} is not a dateTime") from error


def _present(column: str, kind: str, nullable: bool) -> Q:
    if kind == "role":
        return role_stated()
    if not nullable:
        return ~_NOTHING
    q = _q(f"{column}__isnull", False)
    return q & ~_q(column, "") if kind in ("text", "exact", "key") else q


class _Logic(FilterVisitor[Q]):
    """`and`, `or` and `not`, the same at the top and inside `emails[...]`."""

    def visit_logical_expr(self, node: LogicalExpr) -> Q:
        join = "AND" if node.op is LogicalOperator.and_ else "OR"
        return Q(*(self.visit(term) for term in node.terms), join_type=join)

    def visit_not(self, node: Not) -> Q:
        return ~self.visit(node.expr)


@dataclass(frozen=True, slots=True)
class _MultiValued:
    """A multi-valued attribute: the rows holding its values, and their columns."""

    rows_with: Callable[[Q | None], Q]  # the resources with a value row meeting a condition
    columns: Mapping[str, tuple[str, str]]  # sub-attribute -> (value row column, kind)


@dataclass(frozen=True, slots=True)
class _Table:
    """How a resource's attributes map to the database: attribute URN -> (column, nullable,
    kind) for single values; attribute URN -> _MultiValued for multi-valued ones."""

    columns: Mapping[str, tuple[str, bool, str]]
    multi: Mapping[str, _MultiValued]


class _Translator(_Logic):
    """A filter over one resource type, by its table."""

    def __init__(self, scim_filter: ScimFilter[Any], table: _Table) -> None:
        self.filter = scim_filter
        self.table = table

    def _sub(self, binding: AttributeBinding) -> tuple[_MultiValued, str, str] | None:
        """The multi-valued attribute, value row column and kind `emails.value` names."""
        parent, _, sub = binding.urn.rpartition(".")
        multi = self.table.multi.get(parent)
        if multi is None or sub not in multi.columns:
            return None
        return multi, *multi.columns[sub]

    def visit_comparison(self, node: Comparison) -> Q:
        binding = self.filter.resolve_comparison(node.attr_path, strict=False)
        if binding is None:
            return _NOTHING  # an attribute we do not serve matches nothing
        value = _plain(coerce_value(binding, node.value, node.op))
        if binding.urn in self.table.columns:
            column, nullable, kind = self.table.columns[binding.urn]
            return _compare(column, kind, node.op, value, nullable)
        found = self._sub(binding)
        if found is None:
            return _NOTHING
        multi, column, kind = found
        return multi.rows_with(_compare(column, kind, node.op, value, True, True))

    def visit_present(self, node: Present) -> Q:
        binding = self.filter.resolve(node.attr_path, strict=False)
        if binding is None:
            return _NOTHING
        if binding.urn in self.table.columns:
            column, nullable, kind = self.table.columns[binding.urn]
            return _present(column, kind, nullable)
        if binding.urn in self.table.multi:
            return self.table.multi[binding.urn].rows_with(None)
        found = self._sub(binding)
        if found is None:
            return _NOTHING
        multi, column, kind = found
        return multi.rows_with(_present(column, kind, True))

    def visit_value_path(self, node: ValuePath) -> Q:
        binding = self.filter.resolve(node.attr_path, strict=False)
        multi = self.table.multi.get(binding.urn) if binding is not None else None
        if multi is None:
            return _NOTHING
        inner = _InnerTranslator(self.filter, node.attr_path, multi).visit(node.val_filter)
        return multi.rows_with(inner)


class _InnerTranslator(_Logic):
    """The filter inside `emails[...]`: every condition applies to the same value row."""

    def __init__(self, scim_filter: ScimFilter[Any], parent: AttrPath, multi: _MultiValued) -> None:
        self.filter = scim_filter
        self.parent = parent
        self.multi = multi

    def _column(self, path: AttrPath) -> tuple[AttributeBinding, str, str] | None:
        full = AttrPath(attr=self.parent.attr, sub_attr=path.attr, uri=self.parent.uri)
        binding = self.filter.resolve(full, strict=False)
        sub = binding.sub_field_name if binding is not None else None
        if binding is None or sub is None or sub not in self.multi.columns:
            return None
        column, kind = self.multi.columns[sub]
        return binding, column, kind

    def visit_comparison(self, node: Comparison) -> Q:
        found = self._column(node.attr_path)
        if found is None:
            return _NOTHING
        binding, column, kind = found
        value = coerce_value(binding, node.value, node.op)
        return _compare(column, kind, node.op, _plain(value), True, True)

    def visit_present(self, node: Present) -> Q:
        found = self._column(node.attr_path)
        if found is None:
            return _NOTHING
        _, column, kind = found
        return _present(column, kind, True)


def _plain(value: Any) -> Any:
    """Enum members (Email.Type.work) compare as their string value."""
    return getattr(value, "value", value) if not isinstance(value, (str, bool, int)) else value


def group_filter(text: str) -> Q:
    """The `Q` that selects the groups the filter matches: `displayName eq "…"` (in any
    case), `externalId eq "…"`, `members[value eq "…"]` (the groups a user belongs to) and
    their combinations."""
    scim_filter = parse(text, Group)
    return _Translator(scim_filter, _GROUPS).visit(scim_filter.ast)


_USERS = _Table(
    _COLUMNS,
    {f"{CORE}:emails": _values_of("emails"), f"{CORE}:phoneNumbers": _values_of("phone_numbers")},
)
# a member's value is a user's id
_GROUPS = _Table(
    _GROUP_COLUMNS, {f"{GROUP}:members": _MultiValued(with_member, {"value": ("user_id", "uuid")})}
)
