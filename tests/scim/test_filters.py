"""SCIM filters become database queries: every operator, precedence, value paths, errors."""

from __future__ import annotations

import pytest
from scim2_models import InvalidFilterException

from domain import bus, queries
from domain.commands import DeactivateUser, Email, PhoneNumber
from domain.queries import UserFilter
from scim.filters import by_grammar, to_query, user_filter
from scim.resources import ENTERPRISE
from tests.conftest import provision


@pytest.fixture
async def people(scim):
    jane = await provision(
        scim,
        "Jane.Doe@acme.test",
        given_name="Jane",
        family_name="Doe",
        display_name="Jane Doe",
        title="CTO",
        external_id="00uJANE",
        role="admin",
        emails=(
            Email("Jane.Doe@acme.test", "work", primary=True),
            Email("jane@home.test", "home"),
        ),
        phone_numbers=(PhoneNumber("+1 555 0100", "mobile"),),
        department="Engineering",
        manager_id="boss-1",
    )
    john = await provision(
        scim,
        "john@acme.test",
        given_name="John",
        family_name="Smith",
        display_name="John Smith",
        title=None,
        external_id="00uJOHN",
        emails=(Email("john@home.test", "home"),),
    )
    ann = await provision(
        scim,
        "ann@globex.test",
        given_name="Ann",
        family_name="Doering",
        display_name=None,
        title="",
        external_id="00uANN",
        emails=(),
    )
    await bus.handle(DeactivateUser(str(john.id)), scim)
    return {"jane": jane, "john": john, "ann": ann}


async def matching(operator, people, text: str) -> set[str]:
    page = await queries.list_users(operator, UserFilter(where=to_query(text)))
    by_id = {str(user.id): name for name, user in people.items()}
    return {by_id[str(user.id)] for user in page.items}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "jane.doe@ACME.test"', {"jane"}),
        ('USERNAME EQ "john@acme.test"', {"john"}),
        ('userName ne "john@acme.test"', {"jane", "ann"}),
        ('userName co "ACME"', {"jane", "john"}),
        ('userName sw "j"', {"jane", "john"}),
        ('userName ew "globex.test"', {"ann"}),
        ('userName gt "j"', {"jane", "john"}),
        ('userName lt "b"', {"ann"}),
        ('externalId eq "00uJANE"', {"jane"}),
        ('externalId eq "00ujane"', set()),
        ('name.givenName eq "jane"', {"jane"}),
        ('name.familyName sw "doe"', {"jane", "ann"}),
        ('displayName co "smith"', {"john"}),
        ("displayName pr", {"jane", "john"}),
        ("title pr", {"jane"}),
        ("not (title pr)", {"john", "ann"}),
        ('title ne "CTO"', {"john", "ann"}),
        ('not (title eq "cto")', {"john", "ann"}),
        ("active eq true", {"jane", "ann"}),
        ("active eq false", {"john"}),
        ('permissionsRole eq "ADMIN"', {"jane"}),
        ('permissionsRole eq "basic-user"', set()),
        ("permissionsRole pr", {"jane"}),
        ('permissionsRole ne "admin"', {"john", "ann"}),
        ('emails co "home.test"', {"jane", "john"}),
        ('emails.value eq "JOHN@home.test"', {"john"}),
        ('emails[type eq "work"].value eq "jane.doe@acme.test"', {"jane"}),
        ('emails[type eq "work" and value co "@acme.test"]', {"jane"}),
        ('emails[type eq "home" and value co "@acme.test"]', set()),
        ('emails.type eq "home"', {"jane", "john"}),
        ("emails pr", {"jane", "john"}),
        ("not (emails pr)", {"ann"}),
        ('phoneNumbers.value eq "+1 555 0100"', {"jane"}),
        (
            f'{ENTERPRISE}:department eq "engineering"',
            {"jane"},
        ),
        (
            'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "boss-1"',
            {"jane"},
        ),
        ('meta.created gt "2000-01-01T00:00:00Z"', {"jane", "john", "ann"}),
        ('meta.lastModified lt "2000-01-01T00:00:00Z"', set()),
        ('userName sw "j" and active eq true', {"jane"}),
        ('userName sw "a" or userName sw "john" and active eq true', {"ann"}),
        ('(userName sw "a" or userName sw "john") and active eq false', {"john"}),
        ('not (userName sw "j") or title eq "CTO"', {"ann", "jane"}),
        ('nickName eq "x" or not (nickName pr)', {"jane", "john", "ann"}),
        ('addresses.locality eq "Paris"', set()),
        ("x509Certificates pr", set()),
    ],
)
async def test_a_filter_selects_the_users_it_describes(operator, people, text, expected):
    assert await matching(operator, people, text) == expected


async def test_an_unknown_id_matches_nothing(operator, people):
    assert await matching(operator, people, 'id eq "not-a-uuid"') == set()
    assert await matching(operator, people, f'id eq "{people["ann"].id}"') == {"ann"}


@pytest.mark.parametrize(
    "text",
    [
        "userName eq",
        'userName xx "a"',
        '(userName eq "a"',
        "active gt true",
        'active eq "maybe"',
        'meta.created gt "yesterday"',
        "",
        '"just a string"',
        'emails[type eq "work"',
    ],
)
def test_a_malformed_filter_is_an_invalid_filter_error(text):
    with pytest.raises(InvalidFilterException):
        to_query(text)


def test_a_very_long_filter_is_refused():
    with pytest.raises(InvalidFilterException, match="longer"):
        to_query('userName eq "' + "a" * 5000 + '"')


@pytest.mark.parametrize(
    "text",
    [
        'userName eq "jane.doe@ACME.test"',
        'USERNAME Eq "john@acme.test"',
        '  urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ann@globex.test" ',
        'userName eq "nobody@acme.test"',
        'userName eq "j\\u0061ne.doe@acme.test"',
        'userName eq "quote\\"d@acme.test"',
        'userName eq ""',
    ],
)
async def test_okta_s_user_name_lookup_matches_what_the_grammar_would(operator, people, text):
    """Okta asks `userName eq "…"` before every create; it is read without the grammar."""
    general = by_grammar(text)
    page = await queries.list_users(operator, UserFilter(where=general))

    assert await matching(operator, people, text) == {
        name for name, user in people.items() if user.id in {u.id for u in page.items}
    }


@pytest.mark.parametrize(
    ("text", "user_name"),
    [
        ('userName eq "Jane.Doe@ACME.test"', "Jane.Doe@ACME.test"),
        ('  urn:ietf:params:scim:schemas:core:2.0:User:userName EQ "a\\"b" ', 'a"b'),
        ('userName eq ""', ""),
    ],
)
def test_okta_s_user_name_lookup_names_one_user_to_the_domain(text, user_name):
    chosen = user_filter(text)

    assert (chosen.user_name, chosen.where, chosen.where_text) == (user_name, None, text)


@pytest.mark.parametrize(
    "text",
    [
        'userName ne "a@acme.test"',
        'userName eq "a" or userName eq "b"',
        'emails[type eq "work"]',
        'emails[value eq "a@acme.test" and primary eq true]',
    ],
)
def test_any_other_filter_is_translated_by_the_grammar(text):
    chosen = user_filter(text)

    assert chosen.user_name is None
    assert chosen.where is not None
    assert chosen.where_text == text


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ('emails[value eq "Jane@Home.test"]', "Jane@Home.test"),
        ('emails.value EQ "jane@home.test"', "jane@home.test"),
        ('urn:ietf:params:scim:schemas:core:2.0:User:emails[ value eq "a\\"b" ]', 'a"b'),
    ],
)
def test_a_lookup_by_email_names_its_address_to_the_domain(text, email):
    chosen = user_filter(text)

    assert (chosen.email, chosen.where, chosen.where_text) == (email, None, text)


@pytest.mark.parametrize(
    "text",
    [
        'emails[value eq "jane@home.test"]',
        'EMAILS[VALUE EQ "JANE.DOE@acme.TEST"]',
        'emails.value eq "john@home.test"',
        'urn:ietf:params:scim:schemas:core:2.0:User:emails.value eq "ann@globex.test"',
        'emails[value eq "nobody@acme.test"]',
        'emails[value eq "j\\u0061ne@home.test"]',
        'emails[value eq ""]',
    ],
)
async def test_a_lookup_by_email_matches_what_the_grammar_would(operator, people, text):
    general = by_grammar(text)
    expected = await queries.list_users(operator, UserFilter(where=general))
    found = await queries.list_users(operator, user_filter(text))

    assert [user.id for user in found.items] == [user.id for user in expected.items]
    assert found.total == expected.total


async def test_a_lookup_by_email_finds_the_users_with_that_address_whatever_its_case(
    operator, people
):
    assert await named(operator, people, user_filter('emails[value eq "JANE@home.test"]')) == {
        "jane"
    }
    assert await named(operator, people, user_filter('emails.value eq "john@HOME.test"')) == {
        "john"
    }


async def named(operator, people, chosen: UserFilter) -> set[str]:
    page = await queries.list_users(operator, chosen)
    by_id = {str(user.id): name for name, user in people.items()}
    return {by_id[str(user.id)] for user in page.items}
