"""Property: any valid SCIM filter selects the users a plain Python reading of RFC 7644 §3.4.2.2
selects from the same people; anything that is not a filter is a 400 invalidFilter, never a 5xx.

The people differ in the ways filters get wrong: only by case (caseExact attributes keep it,
the others ignore it), quotes, backslashes and LIKE's wildcards in values, letters outside
ASCII, missing and empty values, inactive users, several emails.

Case folding of `text` attributes (names, displayName, title, department) is done by the
database's UPPER(): PostgreSQL folds every letter, SQLite only ASCII ones; the reference folds
as the database under test does. userName and emails are compared on Python-casefolded copies,
the same on both."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import bus
from domain.commands import DeactivateUser, Email
from domain.models import RoleOrigin, User
from tests.conftest import provision
from tests.scim.conftest import assert_scim_error
from tests.strategies.filters import (
    Attribute,
    Compare,
    EmailsWhere,
    FilterCase,
    Logical,
    Negation,
    Node,
    Present,
    Samples,
    any_filters,
    filters,
    invalid_filters,
)

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# user name -> attributes (domain names); role; active
PEOPLE: list[tuple[str, dict[str, Any], str | None, bool]] = [
    (
        "Jane.Doe@acme.test",
        {
            "given_name": "Jane",
            "family_name": "Doe",
            "display_name": "Jane Doe",
            "title": "CTO",
            "external_id": "00uJANE",
            "department": "Engineering",
            "emails": (
                Email("Jane.Doe@acme.test", "work", primary=True),
                Email("jane@home.test", "home"),
            ),
        },
        "admin",
        True,
    ),
    (
        "jane@globex.test",
        {
            "given_name": "jane",
            "family_name": "DOE",
            "display_name": "jane doe",
            "title": "cto",
            "external_id": "00ujane",
            "department": "engineering",
            "emails": (Email("JANE@globex.test", "Work", primary=True),),
        },
        "ADMIN",
        False,
    ),
    (
        'quote"d@acme.test',
        {
            "given_name": 'Say "hi"',
            "family_name": "O'Brien",
            "display_name": 'back\\slash "quoted"',
            "external_id": 'ext"\\id',
            "emails": (Email('quote"d@acme.test', "work"),),
        },
        None,
        True,
    ),
    (
        "percent@acme.test",
        {
            "given_name": "100%_sure",
            "family_name": "under_score",
            "display_name": "50% off",
            "title": "a_b%c",
            "external_id": "x%_\\y",
            "emails": (Email("percent@acme.test", None, primary=True),),
        },
        "basic-user",
        True,
    ),
    (
        "élodie@acme.test",
        {
            "given_name": "Élodie",
            "family_name": "Ærø",
            "display_name": "Élodie Ærø",
            "title": "Ingénieure",
            "external_id": "00uÉLODIE",
            "department": "R&D",
            "emails": (Email("Élodie@acme.test", "work", primary=True),),
        },
        None,
        True,
    ),
    (
        "ELODIE@acme.test",
        {
            "given_name": "élodie",
            "family_name": "ærø",
            "display_name": "élodie ærø",
            "external_id": "00uélodie",
            "emails": (Email("elodie@home.test", "home"),),
        },
        "super-admin",
        True,
    ),
    (
        "strasse@acme.test",
        {
            "given_name": "Straße",
            "family_name": "STRASSE",
            "display_name": "Σίσυφος",
            "title": "ΣΊΣΥΦΟΣ",
            "external_id": "STRASSE",
            "emails": (Email("Straße@acme.test", "work", primary=True),),
        },
        None,
        False,
    ),
    (
        "li@acme.test",
        {
            "given_name": "李",
            "family_name": "🙂 smile",
            "display_name": "\u202e\u05e9\u05dc\u05d5\u05dd",  # RTL override, Hebrew
            "title": "",
            "external_id": "李🙂",
            "emails": (
                Email("li@acme.test", "work"),
                Email("LI@home.test", "home", primary=True),
                Email("li@other.test", "other"),
            ),
        },
        None,
        True,
    ),
    (
        "bare@acme.test",
        {
            "given_name": None,
            "family_name": None,
            "display_name": None,
            "external_id": None,
            "emails": (),
        },
        None,
        True,
    ),
    (
        "blank@acme.test",
        {
            "given_name": "",
            "family_name": " ",
            "display_name": "",
            "title": " ",
            "external_id": "",
            "department": "",
            "emails": (Email("blank@acme.test", "", primary=True),),
        },
        None,
        False,
    ),
    (
        "zed@acme.test",
        {
            "given_name": "Zed",
            "family_name": "Zulu",
            "display_name": "zed",
            "title": "Z",
            "external_id": "zz",
            "emails": (Email("zed@acme.test", "work"),),
        },
        "limited-user",
        True,
    ),
    (
        "Amy@ACME.test",
        {
            "given_name": "amy",
            "family_name": "Adams",
            "display_name": "AMY ADAMS",
            "title": "Engineer",
            "external_id": "AA",
            "department": "Engineering",
            "emails": (Email("amy@acme.test", "WORK", primary=True),),
        },
        None,
        True,
    ),
    (
        "back\\slash@acme.test",
        {
            "given_name": "back\\slash",
            "family_name": "\\",
            "display_name": "C:\\Users\\amy",
            "external_id": "\\",
            "emails": (Email("back\\slash@acme.test", "work", primary=True),),
        },
        None,
        True,
    ),
    (
        "tab@acme.test",
        {
            "given_name": "Tab\tbed",
            "family_name": "new\nline",
            "display_name": "Tab",
            "external_id": "tab",
            "emails": (Email("tab@acme.test", "work", primary=True),),
        },
        "admin",
        False,
    ),
]


def _samples(people: dict[str, dict[str, Any]]) -> Samples:
    strings = {str(value) for person in people.values() for value in person["strings"]}
    return Samples(
        strings=tuple(sorted(strings)),
        instants=tuple(sorted(p[key] for p in people.values() for key in ("created", "modified"))),
        ids=tuple(sorted(person["id"] for person in people.values())),
    )


class People(dict[str, dict[str, Any]]):
    """The reference's view of the users, by id (shown briefly when an example fails)."""

    def __repr__(self) -> str:
        return f"<{len(self)} people>"


@pytest.fixture
async def people(scim, db) -> People:
    """The users, and what the reference reads of each (by user id)."""
    for user_name, values, role, active in PEOPLE:
        user = await provision(scim, user_name, role=role, **values)
        if not active:
            await bus.handle(DeactivateUser(str(user.id)), scim)
    fold = _upper if db.db().capabilities.dialect == "postgres" else _ascii_upper
    found = People()
    for user in await User.all().prefetch_related("role"):
        emails = [dict(email) for email in user.emails]
        found[str(user.id)] = {
            "id": str(user.id),
            "fold": fold,
            "userName": user.user_name,
            "name.givenName": user.given_name,
            "name.familyName": user.family_name,
            "displayName": user.display_name,
            "title": user.title,
            "externalId": user.external_id,
            "department": user.department,
            "active": user.active,
            "created": user.created_at,
            "modified": user.updated_at,
            "meta.created": user.created_at,
            "meta.lastModified": user.updated_at,
            "permissionsRole": None if user.role_origin is RoleOrigin.DEFAULT else user.role.key,
            "emails": emails,
            "strings": [
                user.user_name,
                user.given_name or "",
                user.family_name or "",
                user.display_name or "",
                user.external_id or "",
                *(email["value"] for email in emails),
                *(email["type"] or "" for email in emails),
            ],
        }
    return found


# --- the reference ------------------------------------------------------------------------


def _upper(text: str) -> str:
    """What PostgreSQL's UPPER() does: each letter to its upper case when that is one letter."""
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in text)


def _ascii_upper(text: str) -> str:
    """What SQLite's UPPER() does: ASCII letters only."""
    return "".join(c.upper() if c.isascii() else c for c in text)


def _instant(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ordered(op: str, stored: Any, wanted: Any) -> bool:
    if op == "eq":
        return bool(stored == wanted)
    if op == "ne":
        return bool(stored != wanted)
    if op == "co":
        return bool(wanted in stored)
    if op == "sw":
        return bool(stored.startswith(wanted))
    if op == "ew":
        return bool(stored.endswith(wanted))
    if op == "gt":
        return bool(stored > wanted)
    if op == "ge":
        return bool(stored >= wanted)
    if op == "lt":
        return bool(stored < wanted)
    return bool(stored <= wanted)


def _compare(kind: str, op: str, stored: Any, wanted: Any, fold: Any) -> bool:
    """One value against the filter's: absent values match only `ne` (and `eq null`)."""
    if wanted is None:
        return (stored is None) == (op == "eq")
    if stored is None:
        return op == "ne"
    if kind == "key":
        stored, wanted = stored.casefold(), wanted.casefold()
    elif kind == "text":
        stored, wanted = fold(stored), fold(wanted)
    elif kind == "datetime":
        wanted = _instant(wanted)
    elif kind == "id":
        try:
            wanted = str(uuid.UUID(wanted))
        except ValueError:
            return op == "ne"
    return _ordered(op, stored, wanted)


def _present(kind: str, stored: Any) -> bool:
    if kind in ("key", "text", "exact", "role"):
        return stored is not None and stored != ""
    return stored is not None


def _email_holds(node: Node, email: dict[str, Any], fold: Any) -> bool:
    if isinstance(node, Logical):
        left, right = _email_holds(node.left, email, fold), _email_holds(node.right, email, fold)
        return (left and right) if node.op == "and" else (left or right)
    if isinstance(node, Negation):
        return not _email_holds(node.inner, email, fold)
    assert isinstance(node, Compare | Present)
    assert node.attribute is not None
    attribute = node.attribute
    stored = email[attribute.path.rpartition(".")[2]]
    if isinstance(node, Present):
        return _present(attribute.kind, stored)
    return _compare(attribute.kind, node.op, stored, node.value, fold)


def holds(node: Node, person: dict[str, Any]) -> bool:
    """Does the filter select this person?"""
    fold = person["fold"]
    if isinstance(node, Logical):
        left, right = holds(node.left, person), holds(node.right, person)
        return (left and right) if node.op == "and" else (left or right)
    if isinstance(node, Negation):
        return not holds(node.inner, person)
    if isinstance(node, EmailsWhere):
        return any(_email_holds(node.inner, email, fold) for email in person["emails"])
    attribute: Attribute | None = node.attribute
    if attribute is None:  # `emails pr`
        return bool(person["emails"])
    if attribute.multi is not None:  # any of the user's emails
        return any(_email_holds(node, email, fold) for email in person["emails"])
    stored = person[attribute.path]
    if isinstance(node, Present):
        return _present(attribute.kind, stored)
    if attribute.kind == "role":  # only a stated role is shown, and so filtered on
        return _compare("text", node.op, stored, node.value, fold)
    return _compare(attribute.kind, node.op, stored, node.value, fold)


# --- the properties -----------------------------------------------------------------------


async def _selected(client, text: str, by_post: bool) -> set[str]:
    if by_post:
        response = await client.post(
            "/Users/.search", json={"schemas": [SEARCH], "filter": text, "count": 100}
        )
    else:
        response = await client.get("/Users", params={"filter": text, "count": 100})
    assert response.status_code == 200, response.text
    return {resource["id"] for resource in response.json()["Resources"]}


@pytest.mark.slow
@PROPERTY
@given(data=st.data())
async def test_a_valid_filter_selects_what_the_rfc_says(client, people, data):
    case: FilterCase = data.draw(filters(_samples(people)), label="filter")
    by_post = data.draw(st.integers(0, 4).map(lambda n: n == 0), label="POST /Users/.search")
    expected = {user_id for user_id, person in people.items() if holds(case.node, person)}
    selected = await _selected(client, case.text, by_post)
    names = {user_id: person["userName"] for user_id, person in people.items()}
    assert sorted(names[i] for i in selected) == sorted(names[i] for i in expected), case.text


@pytest.mark.slow
@PROPERTY
@given(text=invalid_filters())
async def test_anything_but_a_filter_is_an_invalid_filter_error(client, text):
    response = await client.get("/Users", params={"filter": text})
    assert_scim_error(response, 400, "invalidFilter")


@pytest.mark.slow
@PROPERTY
@given(text=any_filters())
async def test_any_filter_text_gets_200_or_invalid_filter_never_a_server_error(client, text):
    response = await client.get("/Users", params={"filter": text})
    if response.status_code != 200:
        assert_scim_error(response, 400, "invalidFilter")


async def test_a_filter_longer_than_4_kib_is_an_invalid_filter(client):
    text = 'userName eq "' + "a" * 4096 + '"'
    detail = assert_scim_error(await client.get("/Users", params={"filter": text}), 400)
    assert "longer" in detail
    response = await client.post("/Users/.search", json={"schemas": [SEARCH], "filter": text})
    assert_scim_error(response, 400, "invalidFilter")
