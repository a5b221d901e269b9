"""Hot statements, built once.

Tortoise builds a statement's SQL text anew for each query (its filters, then pypika's text):
on a read by primary key that costs more CPU than the round trip to the database. A
`Statement` builds its text once per database dialect, from the Tortoise query `build` makes of
the first call's arguments, and later runs that text with each call's `values`. Building checks
that the query's parameters are exactly `values` of the same arguments, so a statement cannot
run with a value in the wrong place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

M = TypeVar("M", bound=Model)
P = ParamSpec("P")


class Statement(Generic[P, M]):
    def __init__(
        self,
        model: type[M],
        build: Callable[P, QuerySet[M]],
        values: Callable[P, list[object]],
    ) -> None:
        self._model = model
        self._build = build
        self._values = values
        self._texts: dict[str, str] = {}  # dialect -> SQL text with placeholders

    async def rows(self, *args: P.args, **kwargs: P.kwargs) -> list[M]:
        """The rows the query selects for these arguments, as models."""
        db = self._model._meta.db  # the current transaction's connection, if any
        values = self._values(*args, **kwargs)
        text = self._texts.get(db.capabilities.dialect)
        if text is None:
            text = _text(self._build(*args, **kwargs), values)
            self._texts[db.capabilities.dialect] = text
        _, rows = await db.execute_query(text, values)
        return [self._model._init_from_db(**row) for row in rows]


def _text(query: QuerySet[M], values: list[object]) -> str:
    text = query.sql()
    _, parameters = query.query.get_parameterized_sql()
    if parameters != values:
        raise ValueError(f"the statement's parameters {parameters!r} are not {values!r}")
    return text
