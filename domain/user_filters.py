"""What a door needs, beyond plain `Q`s on the user's columns, to translate its own filter
language (SCIM's) into a filter over users that the database evaluates: conditions on the
users' multi-valued attributes (emails, phoneNumbers, one row per value) and case-insensitive
ordering. Each returns a `Q` over users, or over value rows where it says so."""

from __future__ import annotations

from typing import Any, Literal

from pypika_tortoise.terms import ValueWrapper
from tortoise.expressions import Q, Subquery
from tortoise.functions import Upper
from tortoise.models import Model

from domain.models import User, UserValue

MultiValued = Literal["emails", "phone_numbers"]
# A condition on value rows names their columns: `value_key` (the value, casefolded), `type`,
# `primary`.


def with_value(attribute: MultiValued, condition: Q | None = None) -> Q:
    """Users with at least one value of `attribute` (that meets `condition`, a `Q` over value
    rows, when given)."""
    rows = UserValue.filter(attribute=attribute)
    if condition is not None:
        rows = rows.filter(condition)
    return Q(id__in=Subquery(rows.values("user_id")))


def folded(column: str, lookup: str, value: str, *, of_values: bool = False) -> Q:
    """`UPPER(column) <lookup> UPPER(value)` (lookup: gt, gte, lt, lte): an ordering that
    ignores case, as `iexact` does for equality. Over users, or over value rows."""
    model: type[Model] = UserValue if of_values else User
    wanted: dict[str, Any] = {f"folded__{lookup}": Upper(ValueWrapper(value))}
    rows = model.annotate(folded=Upper(column)).filter(**wanted)
    return Q(id__in=Subquery(rows.values("id")))
