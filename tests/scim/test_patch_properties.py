"""Property: a PATCH (RFC 7644 §3.5.2; Okta's and Entra ID's shapes; valid or not) is applied
whole or not at all, and never answers 5xx.

- 200: the response is the stored resource; the version went up by one if anything changed
  (and stayed if nothing did); one audit event; where every operation is a plain set or
  removal of a simple attribute, the resource is what a Python reading of the RFC expects.
- 4xx: a SCIM error; the resource, its version and lastModified unchanged; no audit event
  but, when the provider sent a value Roster cannot take, one `user.update_failed`."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.models import AuditEvent, User
from tests.scim.conftest import ERROR_SCHEMA, okta_user
from tests.strategies.bodies import encode
from tests.strategies.patches import SIMPLE_PATHS, patch_bodies, patch_operations
from tests.strategies.values import ALPHABET, CORE, ENTERPRISE, PATCH_SCHEMA

PROPERTY = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TAKEN = "taken@acme.test"
WORDS = st.text(ALPHABET.replace(" ", ""), min_size=1, max_size=12)
SETS = ("add", "replace")
# path (lower case, without the core URN) -> where the value sits in the resource
SIMPLE = {path.lower(): tuple(path.split(".")) for path in SIMPLE_PATHS}
COLUMNS = {
    ("displayName",): "display_name",
    ("nickName",): "nick_name",
    ("title",): "title",
    ("userType",): "user_type",
    ("preferredLanguage",): "preferred_language",
    ("locale",): "locale",
    ("timezone",): "timezone",
    ("externalId",): "external_id",
    ("name", "givenName"): "given_name",
    ("name", "familyName"): "family_name",
    ("name", "middleName"): "middle_name",
    ("name", "formatted"): "formatted_name",
    ("name", "honorificPrefix"): "honorific_prefix",
    ("name", "honorificSuffix"): "honorific_suffix",
}


UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class Refused(Exception):
    """The model says the patch must be refused: a value longer than its column (unless a
    later operation replaces it), or holding NUL or a lone surrogate (anywhere in the body)."""


class Unstorable(Refused):
    pass


BODY = ("<the body>",)  # what `refused` holds when the body itself is refused


def _start(user_name: str) -> dict[str, Any]:
    return okta_user(
        user_name,
        title="CTO",
        nickName="JD",
        permissionsRole="admin",
        phoneNumbers=[{"value": "+1 555 0100", "type": "mobile"}],
        addresses=[{"type": "work", "locality": "Paris"}],
        schemas=[
            "urn:ietf:params:scim:schemas:core:2.0:User",
            ENTERPRISE,
        ],
        **{ENTERPRISE: {"department": "R&D", "manager": {"value": "boss-1"}}},
    )


@pytest.fixture
async def taken(client) -> str:
    response = await client.post("/Users", json=okta_user(TAKEN))
    assert response.status_code == 201, response.text
    return TAKEN


def _state(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without what every change moves (version, lastModified)."""
    meta = {k: v for k, v in resource["meta"].items() if k not in ("version", "lastModified")}
    return {**resource, "meta": meta}


def _get(resource: dict[str, Any], where: tuple[str, ...]) -> Any:
    value: Any = resource
    for key in where:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _simple_path(path: Any) -> tuple[str, ...] | None:
    if not isinstance(path, str):
        return None
    low = path.lower()
    prefix = f"{CORE.lower()}:"
    low = low.removeprefix(prefix)
    return SIMPLE.get(low) or (("active",) if low == "active" else None)


def _set_value(where: tuple[str, ...], value: Any) -> Any:
    """The value a set stores, or raise LookupError when the model does not say."""
    if where == ("active",):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise LookupError
    if isinstance(value, str) and value.strip() and value == value.strip():
        if UNSTORABLE.search(value):
            raise Unstorable
        column = User._meta.fields_map[COLUMNS[where]]
        if len(value) > getattr(column, "max_length", len(value)):
            raise Refused
        return value
    raise LookupError


def expected(before: dict[str, Any], body: Any) -> dict[tuple[str, ...], Any] | None:
    """What the simple attributes become, or None when the patch is not one the model reads:
    every operation a set or removal of one simple attribute by path, or a path-less set of
    top-level simple attributes. Raises Refused for a patch that must be refused."""
    if not isinstance(body, dict) or body.get("schemas") != [PATCH_SCHEMA]:
        return None
    operations = body.get("Operations")
    if not isinstance(operations, list) or not operations:
        return None
    values = {where: _get(before, where) for where in [*SIMPLE.values(), ("active",)]}
    refused: set[tuple[str, ...]] = set()  # values refused unless a later operation replaces them
    try:
        for operation in operations:
            if not isinstance(operation, dict) or not isinstance(operation.get("op"), str):
                return None
            op = operation["op"].lower()
            if op not in ("add", "replace", "remove"):
                return None
            if "path" not in operation:
                if op == "remove" or not isinstance(operation.get("value"), dict):
                    return None
                for key, value in operation["value"].items():
                    where = _simple_path(key)
                    if where is None or len(where) != 1:
                        return None
                    _apply(values, refused, where, value)
                continue
            where = _simple_path(operation["path"])
            if where is None:
                return None
            if op == "remove":
                if "value" in operation or where == ("active",):
                    return None
                values[where] = None
                refused.discard(where)
            else:
                _apply(values, refused, where, operation.get("value"))
    except LookupError:
        return None
    if refused:
        raise Refused
    return values


def _apply(
    values: dict[tuple[str, ...], Any],
    refused: set[tuple[str, ...]],
    where: tuple[str, ...],
    value: Any,
) -> None:
    try:
        values[where] = _set_value(where, value)
        refused.discard(where)
    except Unstorable:
        refused.add(BODY)
    except Refused:
        refused.add(where)


def _expected(before: dict[str, Any], body: Any) -> Any:
    try:
        return expected(before, body)
    except Refused:
        return Refused


def _if_match(draw: Any, version: str) -> dict[str, str]:
    choice = draw(st.sampled_from(["none", "none", "current", "*", "stale", "garbage"]))
    return {
        "none": {},
        "current": {"If-Match": version},
        "*": {"If-Match": "*"},
        "stale": {"If-Match": 'W/"999"'},
        "garbage": {"If-Match": "not-an-etag"},
    }[choice]


async def _audit(user_id: str) -> tuple[int, int]:
    events = await AuditEvent.filter(target_id=user_id).values_list("action", flat=True)
    failed = sum(1 for action in events if str(action).endswith("_failed"))
    return len(events) - failed, failed


@st.composite
def simple_patches(draw: st.DrawFn) -> dict[str, Any]:
    """Patches the model reads: sets and removals of simple attributes, by path (any case,
    with or without the core URN) or path-less; some values too long or unstorable."""
    operations: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["add", "replace", "remove", "Add", "Replace", "Remove"]))
        path = draw(st.sampled_from([*SIMPLE_PATHS, "active"]))
        value: Any = draw(
            WORDS | st.sampled_from(["x" * 65, "x" * 257, "x" * 513, "a\x00", "\ud800"])
        )
        if path == "active":
            value = draw(st.sampled_from([True, False, "True", "false"]))
        if op.lower() == "remove":
            operation: dict[str, Any] = {"op": op, "path": path}
        elif "." not in path and draw(st.booleans()):
            operation = {"op": op, "value": {path: value}}
        else:
            operation = {"op": op, "path": path, "value": value}
        if "path" in operation and draw(st.integers(0, 3)) == 0:
            operation["path"] = f"{CORE}:{path}" if draw(st.booleans()) else path.upper()
        operations.append(operation)
    return {"schemas": [PATCH_SCHEMA], "Operations": operations}


@pytest.mark.slow
@PROPERTY
@given(data=st.data())
async def test_a_patch_applies_whole_or_not_at_all(client, taken, data):
    created = await client.post("/Users", json=_start(f"{uuid.uuid4().hex[:12]}@acme.test"))
    assert created.status_code == 201, created.text
    before = created.json()
    path = f"/Users/{before['id']}"
    body = data.draw(simple_patches() | patch_bodies(), label="body")
    if data.draw(st.integers(0, 9), label="rename onto a taken userName") == 0:
        body = {
            "schemas": [PATCH_SCHEMA],
            "Operations": [
                data.draw(patch_operations()),
                {"op": "replace", "path": "userName", "value": taken.upper()},
            ],
        }
    headers = _if_match(data.draw, before["meta"]["version"])
    events = await _audit(before["id"])

    response = await client.patch(path, content=encode(body), headers=headers)
    after = (await client.get(path)).json()
    events_after = await _audit(before["id"])

    assert response.status_code < 500, response.text
    model = _expected(before, body)
    event(
        f"{response.status_code} {'refused' if model is Refused else 'modelled' if model else ''}"
    )
    if response.status_code == 200:
        assert response.json() == after
        version = int(before["meta"]["version"][3:-1])
        changed = _state(after) != _state(before)
        assert after["meta"]["version"] == f'W/"{version + changed}"'
        assert events_after == (events[0] + 1, events[1])
        assert headers.get("If-Match") in (None, "*", before["meta"]["version"])
        values = model
        assert values is not Refused, "a patch with a value too long for its column applied"
        if isinstance(values, dict):
            assert {where: _get(after, where) for where in values} == values
            for key in ("userName", "emails", "phoneNumbers", "permissionsRole", ENTERPRISE):
                assert after.get(key) == before.get(key), key
    else:
        assert 400 <= response.status_code < 500
        error = response.json()
        assert error["schemas"] == [ERROR_SCHEMA]
        assert error["status"] == str(response.status_code)
        assert after == before
        assert events_after[0] == events[0]
        recorded = events_after[1] - events[1]
        assert recorded == 0 or (recorded == 1 and response.status_code in (400, 409))
        if headers.get("If-Match") in (None, "*", before["meta"]["version"]):
            if model is Refused:
                assert (response.status_code, error.get("scimType")) == (400, "invalidValue")
            elif model is not None:
                pytest.fail(f"a patch the model applies was refused: {response.text}")
