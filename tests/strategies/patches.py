"""SCIM PATCH bodies (RFC 7644 §3.5.2) in Okta's and Entra ID's shapes, valid and hostile:
operations by path and path-less, values well-typed or not, bodies that are not a PatchOp."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.strategies.values import (
    CORE,
    ENTERPRISE,
    PATCH_SCHEMA,
    edge_strings,
    huge_strings,
    json_values,
    texts,
)

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
