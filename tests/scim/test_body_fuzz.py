"""Property: whatever body reaches a SCIM endpoint (wrong types, nulls, huge strings, deep
nesting, NUL, lone surrogates, right-to-left marks, emoji, bytes that are not JSON, media types
that are not JSON), the answer is never a 5xx, and every error is an RFC 7644 error body.

And the limits: a filter longer than 4 KiB is an invalidFilter, a value longer than its column
an invalidValue; nothing is cut short and nothing huge is stored, audit log included."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise.fields import CharField

from domain.models import AuditEvent, User, UserValue
from tests.scim.conftest import ERROR_SCHEMA, SCIM_JSON, assert_scim_error, okta_user
from tests.strategies.bodies import (
    hostile_user_bodies,
    search_bodies,
    valid_user_bodies,
    wire_requests,
)
from tests.strategies.patches import patch_bodies
from tests.strategies.values import ENTERPRISE

PROPERTY = settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
        HealthCheck.data_too_large,
    ],
)
# the most a stored audit event may hold: a user's attributes before and after, each within
# its columns and 64 KiB of other attributes
MAX_AUDIT_BYTES = 192 * 1024


def answered_well(response: httpx.Response) -> None:
    """No 5xx; an error is an RFC 7644 error body; a success is JSON."""
    assert response.status_code < 500, response.text[:2000]
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(SCIM_JSON), response.text[:500]
        body = response.json()
        assert body["schemas"] == [ERROR_SCHEMA], body
        assert body["status"] == str(response.status_code)
        assert isinstance(body["detail"], str)
        assert body["detail"]
        assert len(response.content) < 16 * 1024, "an error echoes too much of the request"
    elif response.status_code != 204:
        response.json()


async def send(client, method: str, url: str, request: tuple[bytes, str]) -> httpx.Response:
    content, media = request
    headers = {"Content-Type": media} if media else {}
    response: httpx.Response = await client.request(method, url, content=content, headers=headers)
    return response


async def assert_nothing_huge_is_stored() -> None:
    """Every stored string within its column (SQLite would keep a longer one silently), other
    attributes and audit events within their bounds."""
    for model in (User, UserValue):
        for name, field in model._meta.fields_map.items():
            if isinstance(field, CharField):
                values = await model.all().values_list(name, flat=True)
                longest = max((len(v) for v in values if isinstance(v, str)), default=0)
                assert longest <= field.max_length, (model.__name__, name, longest)
    for user in await User.all():
        assert len(json.dumps(user.extras)) <= 64 * 1024
        assert len(json.dumps([user.emails, user.phone_numbers])) <= 2 * 100 * 2 * 1024
    for changes in await AuditEvent.all().values_list("changes", flat=True):
        assert len(json.dumps(changes)) <= MAX_AUDIT_BYTES


@pytest.fixture
async def target(client) -> str:
    response = await client.post("/Users", json=okta_user("target@acme.test"))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


bodies = st.one_of(valid_user_bodies(), hostile_user_bodies())


@pytest.mark.slow
@PROPERTY
@given(request=wire_requests(bodies))
async def test_post_users_never_fails_with_a_server_error(client, request):
    response = await send(client, "POST", "/Users", request)
    answered_well(response)
    if response.status_code == 201:
        await assert_nothing_huge_is_stored()


@pytest.mark.slow
@PROPERTY
@given(request=wire_requests(bodies))
async def test_put_users_never_fails_with_a_server_error(client, target, request):
    response = await send(client, "PUT", f"/Users/{target}", request)
    answered_well(response)
    if response.status_code == 200:
        await assert_nothing_huge_is_stored()


@pytest.mark.slow
@PROPERTY
@given(request=wire_requests(patch_bodies()))
async def test_patch_users_never_fails_with_a_server_error(client, target, request):
    answered_well(await send(client, "PATCH", f"/Users/{target}", request))


@pytest.mark.slow
@PROPERTY
@given(request=wire_requests(search_bodies()))
async def test_search_never_fails_with_a_server_error(client, target, request):
    answered_well(await send(client, "POST", "/Users/.search", request))


@pytest.mark.slow
@PROPERTY
@given(
    query=st.dictionaries(
        st.sampled_from(["filter", "startIndex", "count", "sortBy", "sortOrder", "attributes"]),
        st.text(max_size=30) | st.integers(-(10**30), 10**30).map(str),
    )
)
async def test_listing_with_any_query_never_fails_with_a_server_error(client, target, query):
    answered_well(await client.get("/Users", params=query))


# --- the limits ---------------------------------------------------------------------------

HUGE = "x" * 900_000
OVER = {
    "userName": "x" * 513 + "@acme.test",
    "displayName": "x" * 513,
    "name": {"givenName": "x" * 257},
    "externalId": "x" * 513,
    "title": "x" * 257,
    "locale": "x" * 65,
    "emails": [{"value": "x" * 513, "type": "work"}],
    "phoneNumbers": [{"value": "1" * 513}],
    "addresses": [{"formatted": "x" * 70_000}],
    ENTERPRISE: {"department": "x" * 257, "manager": {"value": "x" * 513}},
}


@pytest.mark.parametrize("attribute", sorted(OVER))
async def test_a_value_longer_than_its_column_is_an_invalid_value(client, target, attribute):
    body = okta_user("long@acme.test", **{attribute: OVER[attribute]})
    if attribute == ENTERPRISE:
        body["schemas"] = [*body["schemas"], ENTERPRISE]  # type: ignore[list-item]

    assert_scim_error(await client.post("/Users", json=body), 400, "invalidValue")
    assert_scim_error(await client.put(f"/Users/{target}", json=body), 400, "invalidValue")
    await assert_nothing_huge_is_stored()


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("userName", HUGE),
        ("displayName", HUGE),
        ("permissionsRole", HUGE),
        ("emails", [{"value": "a@acme.test", "display": HUGE}]),
        ("emails", [{"value": "a@acme.test", "display": "x" * 513}]),
        ("emails", [{"value": "a@acme.test", "type": HUGE}]),
        ("phoneNumbers", [{"value": "1", "type": "x" * 65}]),
        ("addresses", [{"formatted": HUGE}]),
        ("roles", [{"value": HUGE}]),
        ("entitlements", [{"value": "x" * 1000}] * 70),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 20 else "",
)
async def test_a_huge_value_is_refused_and_nothing_huge_is_stored(client, target, attribute, value):
    response = await client.post("/Users", json=okta_user("huge@acme.test", **{attribute: value}))
    assert_scim_error(response, 400, "invalidValue")
    assert len(response.content) < 16 * 1024
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {attribute: value}}],
    }
    response = await client.patch(f"/Users/{target}", json=patch)
    assert_scim_error(response, 400, "invalidValue")
    assert len(response.content) < 16 * 1024
    await assert_nothing_huge_is_stored()


@pytest.mark.parametrize(
    "text",
    [
        'userName eq "' + "a" * 4096 + '"',
        " or ".join(['userName eq "a"'] * 300),
    ],
)
async def test_a_filter_over_4_kib_is_an_invalid_filter(client, text):
    assert_scim_error(await client.get("/Users", params={"filter": text}), 400, "invalidFilter")
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": text}
    assert_scim_error(await client.post("/Users/.search", json=body), 400, "invalidFilter")


async def test_a_long_value_in_a_filter_matches_nothing_rather_than_failing(client, target):
    for text in [
        'userName eq "' + "a" * 600 + '"',
        'userName co "' + "a" * 600 + '"',
        'externalId sw "' + "a" * 600 + '"',
        'emails.value eq "' + "a" * 600 + '"',
        'name.givenName gt "' + "z" * 600 + '"',
    ]:
        response = await client.get("/Users", params={"filter": text})
        assert response.status_code == 200, response.text
        assert response.json()["totalResults"] == 0
    response = await client.get("/Users", params={"filter": 'userName lt "' + "z" * 600 + '"'})
    assert response.json()["totalResults"] == 1


@pytest.mark.parametrize(
    "content",
    [
        b'{"userName": "nul\\u0000@acme.test"}',
        b'{"userName": "lone\\ud800@acme.test"}',
        b'{"userName": "ok@acme.test", "displayName": "\\udfff"}',
        b'{"userName": "ok@acme.test", "addresses": [{"formatted": "a\\u0000b"}]}',
        b'{"userName": "ok@acme.test", "permissionsRole": "admin\\u0000"}',
        b'{"userName": "ok@acme.test", "emails": [{"value": "a@b.test", "type": "\\ud83d"}]}',
        '{"userName": "ok@acme.test", "nickName": "\\u0000"}'.encode("utf-16"),
        b'{"userName": "x\xed\xa0\xbd@acme.test"}',  # a surrogate encoded as if UTF-8
    ],
)
async def test_nul_and_lone_surrogates_are_invalid_values(client, content):
    response = await client.post("/Users", content=content)
    assert_scim_error(response, 400)
    assert await User.filter(user_name_key__not="target@acme.test").count() == 0


@pytest.mark.parametrize("start", ["9223372036854775808", str(10**30)])
async def test_a_start_index_past_any_database_integer_is_an_empty_page(client, target, start):
    response = await client.get("/Users", params={"startIndex": start})
    assert response.status_code == 200, response.text
    assert (response.json()["totalResults"], response.json()["Resources"]) == (1, [])
