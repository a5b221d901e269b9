"""Abuse limits on the schema, error masking, and a fixed number of queries per page."""

from __future__ import annotations

import pytest

from domain import bus
from domain.commands import DeactivateUser
from tests.api.conftest import queries_for
from tests.conftest import provision


async def test_a_query_deeper_than_ten_is_refused(root):
    nested = "{ viewer { organization { defaultRole { name } } } }"
    assert (await root(nested))["viewer"]
    too_deep = "query { " + "viewer { user { " * 6 + "id" + " } }" * 6 + " }"
    errors = await root.errors(too_deep)
    assert any(
        "depth" in e["message"].lower() or "cannot query" in e["message"].lower() for e in errors
    )


async def test_the_limits_hold_for_a_document_sent_again(root):
    """Parsed and validated documents are cached: a refusal is remembered, not forgotten."""
    aliases = "{ " + " ".join(f"a{i}: viewer {{ permissions }}" for i in range(16)) + " }"
    tokens = "{ " + " ".join(["__typename"] * 2100) + " }"
    for _ in range(3):
        assert "alias" in (await root.errors(aliases))[0]["message"].lower()
        assert "token" in (await root.errors(tokens))[0]["message"].lower()


async def test_a_document_over_two_thousand_tokens_is_refused(root):
    fields = " ".join(["__typename"] * 2100)
    errors = await root.errors("{ " + fields + " }")
    assert "token" in errors[0]["message"].lower()


async def test_more_than_fifteen_aliases_are_refused(root):
    aliases = " ".join(f"a{i}: viewer {{ permissions }}" for i in range(16))
    errors = await root.errors("{ " + aliases + " }")
    assert "alias" in errors[0]["message"].lower()


async def test_a_document_of_more_than_250_fields_is_refused_before_it_is_validated(anonymous):
    """Repeated fields within the token limit would cost seconds to validate; anyone may send
    a document, so they are counted first."""
    repeated = "{ " + " ".join(["viewer { permissions }"] * 400) + " }"
    errors = await anonymous.errors(repeated)
    assert errors == [{"message": "The document selects 800 fields; at most 250."}]


async def test_250_fields_are_fine(root):
    fields = "{ " + " ".join(["viewer { permissions }"] * 125) + " }"
    assert (await root(fields))["viewer"]["permissions"]


async def test_fifteen_aliases_are_fine(root):
    aliases = " ".join(f"a{i}: viewer {{ permissions }}" for i in range(15))
    assert len(await root("{ " + aliases + " }")) == 15


@pytest.mark.parametrize("first", [201, -1])
async def test_first_is_at_most_two_hundred(root, first):
    errors = await root.errors(
        "query($first: Int) { users(first: $first) { totalCount } }", first=first
    )
    assert errors[0]["extensions"]["code"] == "BAD_REQUEST"


async def test_introspection_is_for_signed_in_admins_only(root, admin, basic):
    query = "{ __schema { queryType { name } } }"
    assert (await root(query))["__schema"]["queryType"]["name"] == "Query"
    assert (await admin(query))["__schema"]["queryType"]["name"] == "Query"
    errors = await basic.errors(query)
    assert "introspection" in errors[0]["message"].lower()


async def test_an_unexpected_error_is_masked_with_an_error_id(root, monkeypatch, caplog):
    from domain import queries

    async def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(queries, "list_roles", broken)
    errors = await root.errors("{ roles { key } }")

    assert errors[0]["message"] == "Unexpected error."
    error_id = errors[0]["extensions"]["errorId"]
    assert error_id
    assert "secret internal detail" not in str(errors)
    assert error_id in caplog.text


USERS_WITH_ROLES = """query($first: Int) { users(first: $first) { totalCount edges { node {
  userName role { key name userCount } } } } }"""
EVENTS_WITH_ACTORS = """query($first: Int) { auditEvents(first: $first) { totalCount edges { node {
  action actor { kind label } } } } }"""


@pytest.mark.slow
async def test_listing_users_and_events_costs_the_same_queries_whatever_the_page_size(
    db, script, scim, operator
):
    for index in range(100):
        user = await provision(
            scim, f"user{index:03d}@acme.test", role="admin" if index % 2 else None
        )
        if index % 3 == 0:  # (by the operator: a third of the people, which SCIM would hold)
            await bus.handle(DeactivateUser(str(user.id)), operator)

    await script("{ viewer { user { id } } }")  # records the token's use (once a minute)
    small_users = await queries_for(db, script, USERS_WITH_ROLES, 5)
    large_users = await queries_for(db, script, USERS_WITH_ROLES, 100)
    small_events = await queries_for(db, script, EVENTS_WITH_ACTORS, 5)
    large_events = await queries_for(db, script, EVENTS_WITH_ACTORS, 100)

    assert small_users == large_users
    assert large_users <= 7  # the token, its admin and role; count, page, roles, user counts
    assert small_events == large_events
    assert large_events <= 5  # the token, its admin and role; count, page


async def test_a_graphql_request_is_logged_with_its_organization_and_actor(
    script, organization, caplog
):
    import logging

    caplog.set_level(logging.INFO, logger="roster.request")
    await script("{ viewer { permissions } }")

    (line,) = [r for r in caplog.records if r.name == "roster.request"]
    assert (line.path, line.organization, line.actor) == (
        "/graphql",
        organization.id,
        "api_token",
    )
