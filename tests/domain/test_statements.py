"""Hot statements are built once per dialect and refuse values out of their places."""

from __future__ import annotations

import uuid

import pytest
from tortoise.queryset import QuerySet

from domain.models import User
from domain.statements import Statement
from tests.conftest import QueryCounter, provision


def by_name(organization_id: int, user_name_key: str) -> QuerySet[User]:
    return User.filter(organization_id=organization_id, user_name_key=user_name_key)


async def test_a_statement_selects_what_its_query_selects(db, organization, scim):
    jane = await provision(scim, "jane@acme.test")
    await provision(scim, "john@acme.test")
    statement = Statement(User, by_name, lambda org, key: [org, key])

    first = await statement.rows(organization.id, "jane@acme.test")
    again = await statement.rows(organization.id, "john@acme.test")
    none = await statement.rows(organization.id + 1, "jane@acme.test")

    assert [u.id for u in first] == [jane.id]
    assert [u.user_name for u in again] == ["john@acme.test"]
    assert none == []


async def test_a_statement_runs_one_query_and_builds_its_text_once(db, organization, scim):
    await provision(scim, "jane@acme.test")
    statement = Statement(User, by_name, lambda org, key: [org, key])
    await statement.rows(organization.id, "jane@acme.test")

    with QueryCounter(db.db()) as counter:
        found = await statement.rows(organization.id, "jane@acme.test")

    assert (counter.count, len(found)) == (1, 1)
    assert len(statement._texts) == 1


async def test_a_statement_whose_values_are_out_of_place_is_refused(db, organization):
    statement = Statement(User, by_name, lambda org, key: [key, org])

    with pytest.raises(ValueError, match="parameters"):
        await statement.rows(organization.id, str(uuid.uuid4()))
