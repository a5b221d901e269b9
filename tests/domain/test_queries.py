"""Reading users, roles and tokens: filters, sorting and both kinds of paging; the targets of
audit events."""

from __future__ import annotations

import pytest
from pypika_tortoise.terms import ValueWrapper
from tortoise.expressions import Q

from domain import bus, queries
from domain.actors import Actor, ActorKind
from domain.commands import (
    AssignRole,
    CreateCustomRole,
    CreateOrganization,
    DeactivateUser,
    Email,
    IssueScimToken,
    UpdateUser,
)
from domain.errors import InvalidValue, NotFound, PermissionDenied
from domain.models import Channel, RoleOrigin
from domain.paging import KeysetPage, OffsetPage
from domain.permissions import Permission
from domain.queries import UserFilter
from domain.user_filters import with_value
from tests.conftest import provision


async def seed(scim, count: int) -> list[str]:
    names = [f"user{index:03d}@acme.test" for index in range(count)]
    for name in names:
        await provision(scim, name)
    return names


async def walk(operator, **kwargs) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = await queries.list_users(operator, page=KeysetPage(cursor, 7), **kwargs)
        seen += [user.user_name for user in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen


@pytest.mark.parametrize("sort", ["id", "user_name", "created_at", "updated_at"])
@pytest.mark.parametrize("descending", [False, True])
async def test_a_keyset_walk_sees_every_user_once_in_order(operator, scim, sort, descending):
    names = await seed(scim, 23)

    seen = await walk(operator, sort=sort, descending=descending)

    assert sorted(seen) == names
    everything = await queries.list_users(
        operator, page=OffsetPage(0, 100), sort=sort, descending=descending
    )
    assert seen == [user.user_name for user in everything.items]


async def test_offset_pages_follow_the_same_stable_order(operator, scim):
    await seed(scim, 10)

    whole = [
        u.user_name for u in (await queries.list_users(operator, page=OffsetPage(0, 10))).items
    ]
    first = await queries.list_users(operator, page=OffsetPage(0, 4))
    second = await queries.list_users(operator, page=OffsetPage(4, 4))

    assert [u.user_name for u in first.items + second.items] == whole[:8]
    assert first.total == 10


async def test_user_name_sort_ignores_case(operator, scim):
    for name in ["bob@x.test", "Alice@x.test", "carol@x.test"]:
        await provision(scim, name)

    page = await queries.list_users(operator, sort="user_name")

    assert [u.user_name for u in page.items] == ["Alice@x.test", "bob@x.test", "carol@x.test"]


async def test_count_zero_gives_the_total_only(operator, scim):
    await seed(scim, 3)
    page = await queries.list_users(operator, page=OffsetPage(0, 0))
    assert (page.items, page.total) == ([], 3)


@pytest.mark.parametrize(
    ("page", "shown"),
    [
        (OffsetPage(0, 4), 4),  # more follow
        (OffsetPage(8, 4), 2),  # the last page, short
        (OffsetPage(6, 4), 4),  # the last page, full
        (OffsetPage(10, 4), 0),  # beyond the end
        (OffsetPage(0, 20), 10),  # everything
        (KeysetPage(None, 20), 10),
        (KeysetPage(None, 3), 3),
    ],
)
async def test_every_page_tells_the_total_of_the_whole_listing(operator, scim, page, shown):
    await seed(scim, 10)

    listed = await queries.list_users(operator, page=page)

    assert (len(listed.items), listed.total) == (shown, 10)


async def test_a_page_after_a_cursor_tells_the_total_of_the_whole_listing(operator, scim):
    await seed(scim, 10)
    first = await queries.list_users(operator, page=KeysetPage(None, 7))

    rest = await queries.list_users(operator, page=KeysetPage(first.next_cursor, 7))

    assert (len(rest.items), rest.total, rest.next_cursor) == (3, 10, None)


async def test_search_matches_a_substring_of_name_or_email_whatever_its_case(operator, scim):
    await provision(scim, "jdoe@acme.test", given_name="Jane", family_name="Doe")
    await provision(scim, "bob@acme.test", given_name="Bob", family_name="Smith")
    await provision(scim, "x1@acme.test", display_name="Xavier DOEBLER")

    found = await queries.list_users(operator, UserFilter(search="doe"))

    assert sorted(u.user_name for u in found.items) == ["jdoe@acme.test", "x1@acme.test"]


async def test_search_looks_in_every_email_and_folds_case_beyond_ascii(operator, scim):
    emails = (Email("anna@acme.test", "work", primary=True), Email("anna@home.test", "home"))
    anna = await provision(scim, "anna@acme.test", emails=emails, family_name="Straße")
    await provision(scim, "bob@acme.test", family_name="Strand")

    at_home = await queries.list_users(operator, UserFilter(search="@HOME."))
    street = await queries.list_users(operator, UserFilter(search="STRASSE"))

    assert [u.id for u in at_home.items] == [u.id for u in street.items] == [anna.id]


async def test_search_follows_the_changes_of_the_searched_values(operator, scim):
    jane = await provision(scim, "jane@acme.test", family_name="Doe")
    await bus.handle(UpdateUser(str(jane.id), {"family_name": "Roe"}), scim)

    assert (await queries.list_users(operator, UserFilter(search="doe"))).items == []
    assert len((await queries.list_users(operator, UserFilter(search="roe"))).items) == 1


async def test_filters_by_active_role_and_role_origin(operator, scim):
    jane = await provision(scim, "jane@acme.test", role="admin")
    john = await provision(scim, "john@acme.test")
    await provision(scim, "joan@acme.test")
    await bus.handle(DeactivateUser(str(john.id)), scim)
    await bus.handle(AssignRole(str(jane.id), "super-admin"), operator)

    def names(page):
        return sorted(u.user_name for u in page.items)

    assert names(await queries.list_users(operator, UserFilter(active=False))) == ["john@acme.test"]
    assert names(await queries.list_users(operator, UserFilter(role="SUPER-ADMIN"))) == [
        "jane@acme.test"
    ]
    no_role_from_okta = UserFilter(role_origin=RoleOrigin.DEFAULT)
    assert names(await queries.list_users(operator, no_role_from_okta)) == [
        "joan@acme.test",
        "john@acme.test",
    ]


async def test_a_facade_may_add_its_own_translated_filter(operator, scim):
    await provision(scim, "jane@acme.test", external_id="00uJANE")
    await provision(scim, "john@acme.test", external_id="00uJOHN")

    page = await queries.list_users(operator, UserFilter(where=Q(external_id="00uJOHN")))

    assert [u.user_name for u in page.items] == ["john@acme.test"]


async def test_a_user_name_names_its_user_whatever_its_case(operator, scim):
    await seed(scim, 5)

    page = await queries.list_users(operator, UserFilter(user_name="USER003@acme.TEST"))

    assert ([u.user_name for u in page.items], page.total) == (["user003@acme.test"], 1)
    assert page.items[0].role.key == "basic-user"  # with its role, as every listing


@pytest.mark.parametrize(
    "page",
    [
        OffsetPage(0, 100),
        OffsetPage(0, 1),
        OffsetPage(0, 0),
        OffsetPage(1, 100),
        OffsetPage(7, 2),
        KeysetPage(None, 100),
        KeysetPage(None, 0),
    ],
)
@pytest.mark.parametrize("name", ["user003@acme.test", "User003@ACME.test", "nobody@acme.test"])
@pytest.mark.parametrize("sort", ["created_at", "user_name"])
async def test_a_named_user_is_listed_as_the_general_filter_lists_it(
    operator, scim, page, name, sort
):
    await seed(scim, 5)

    named = await queries.list_users(operator, UserFilter(user_name=name), page=page, sort=sort)
    general = await queries.list_users(
        operator, UserFilter(where=Q(user_name_key=name.casefold())), page=page, sort=sort
    )

    assert [u.id for u in named.items] == [u.id for u in general.items]
    assert (named.total, named.next_cursor) == (general.total, general.next_cursor)


async def test_a_named_user_after_a_cursor_is_listed_only_after_it(operator, scim):
    await seed(scim, 5)
    everyone = await queries.list_users(operator, sort="user_name")
    before, named, after = everyone.items[1:4]
    filters = UserFilter(user_name=named.user_name)

    pages = [
        await queries.list_users(
            operator,
            filters,
            page=KeysetPage(queries.user_cursor(user, "user_name")),
            sort="user_name",
        )
        for user in (before, named, after)
    ]

    assert [[u.id for u in page.items] for page in pages] == [[named.id], [], []]
    assert [page.total for page in pages] == [1, 1, 1]


async def test_a_named_user_meets_the_other_conditions_too(operator, scim):
    jane = await provision(scim, "jane@acme.test")
    await bus.handle(DeactivateUser(str(jane.id)), scim)

    active = await queries.list_users(operator, UserFilter(user_name="jane@acme.test", active=True))
    inactive = await queries.list_users(
        operator, UserFilter(user_name="jane@acme.test", active=False)
    )

    assert (active.items, active.total) == ([], 0)
    assert ([u.id for u in inactive.items], inactive.total) == ([jane.id], 1)


@pytest.mark.parametrize("name", ["a" * 600, "nul\x00@acme.test", ""])
async def test_a_user_name_no_user_can_have_names_nobody(operator, scim, name):
    await seed(scim, 2)

    page = await queries.list_users(operator, UserFilter(user_name=name))

    assert (page.items, page.total) == ([], 0)


async def test_a_named_user_of_another_organization_is_never_listed(operator, scim):
    other = await bus.handle(CreateOrganization("globex", "Globex"), Actor.operator())
    await provision(Actor.scim_token("okta-globex", "Okta", other.id), "jane@acme.test")

    page = await queries.list_users(operator, UserFilter(user_name="jane@acme.test"))

    assert (page.items, page.total) == ([], 0)


async def test_an_email_names_the_users_who_have_it_whatever_its_case(operator, scim):
    await provision(scim, "jane@acme.test", emails=(Email("Shared@Acme.test", "work"),))
    await provision(scim, "john@acme.test", emails=(Email("shared@acme.test", "home"),))
    await provision(scim, "ann@acme.test")
    other = await bus.handle(CreateOrganization("globex", "Globex"), Actor.operator())
    await provision(
        Actor.scim_token("okta-globex", "Okta", other.id),
        "jane@globex.test",
        emails=(Email("shared@acme.test", "work"),),
    )

    page = await queries.list_users(
        operator, UserFilter(email="SHARED@acme.test"), sort="created_at"
    )

    assert ([u.user_name for u in page.items], page.total) == (
        ["jane@acme.test", "john@acme.test"],
        2,
    )


@pytest.mark.parametrize("page", [OffsetPage(0, 100), OffsetPage(1, 1), KeysetPage(None, 1)])
@pytest.mark.parametrize("email", ["user003@acme.test", "a" * 600, "nobody@acme.test"])
async def test_an_email_lists_its_users_as_the_general_filter_lists_them(
    operator, scim, page, email
):
    await seed(scim, 5)
    general = UserFilter(where=with_value("emails", Q(value_key=ValueWrapper(email.casefold()))))

    named = await queries.list_users(operator, UserFilter(email=email), page=page)
    everyone = await queries.list_users(operator, general, page=page)

    assert [u.id for u in named.items] == [u.id for u in everyone.items]
    assert (named.total, named.next_cursor) == (everyone.total, everyone.next_cursor)


async def test_users_of_other_organizations_are_never_listed(operator, scim):
    other = await bus.handle(CreateOrganization("globex", "Globex"), Actor.operator())
    await provision(Actor.scim_token("x", "Okta", other.id), "theirs@globex.test")
    await provision(scim, "ours@acme.test")

    page = await queries.list_users(operator)

    assert [u.user_name for u in page.items] == ["ours@acme.test"]
    with pytest.raises(NotFound):
        await queries.get_user(Actor.operator(other.id), str(page.items[0].id))


@pytest.mark.parametrize("cursor", ["garbage", "e30", "WzEsMiwzXQ"])
async def test_a_cursor_the_server_did_not_issue_is_refused(operator, cursor):
    with pytest.raises(InvalidValue):
        await queries.list_users(operator, page=KeysetPage(cursor), sort="user_name")


async def test_an_unknown_sort_is_refused(operator):
    with pytest.raises(InvalidValue):
        await queries.list_users(operator, sort="password_hash")


async def test_roles_list_built_ins_in_order_then_custom_roles_with_user_counts(operator, scim):
    finance = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)
    await bus.handle(CreateCustomRole("Accounting", "limited-user"), operator)
    await provision(scim, "a@acme.test", role=finance.key)
    await provision(scim, "b@acme.test", role=finance.key)
    await provision(scim, "c@acme.test")

    views = await queries.list_roles(operator)

    assert [v.role.name for v in views] == [
        "Super Admin",
        "Application Admin",
        "Basic User",
        "Limited Plus User",
        "Limited User",
        "Appstore User",
        "Accounting",
        "Finance",
    ]
    counts = {v.role.key: v.user_count for v in views}
    assert (counts[finance.key], counts["basic-user"], counts["admin"]) == (2, 1, 0)
    assert (await queries.get_role(operator, finance.key)).user_count == 2


def reader_of(organization_id: int, *permissions: Permission) -> Actor:
    """An actor who may read the audit log and, of the rest, only `permissions`."""
    return Actor(
        kind=ActorKind.ADMIN,
        id=None,
        label="reader",
        channel=Channel.GRAPHQL,
        organization_id=organization_id,
        permissions=frozenset({Permission.AUDIT_READ, *permissions}),
    )


async def test_audit_targets_are_only_what_the_actor_may_see(organization, operator, scim):
    jane = await provision(scim, "jane@acme.test")
    role = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)
    scim_token = await bus.handle(IssueScimToken("Okta"), operator)
    keys = [("user", str(jane.id)), ("role", role.key), ("token", str(scim_token.token.id))]

    everything = await queries.audit_targets(operator, keys)
    assert [type(target).__name__ for target in everything] == ["User", "Role", "Token"]
    assert everything[0].role.key == "basic-user"  # with its role, loaded

    auditor = reader_of(organization.id)
    assert await queries.audit_targets(auditor, keys) == [None, None, None]
    users_only = await queries.audit_targets(
        reader_of(organization.id, Permission.USERS_READ), keys
    )
    assert [t is not None for t in users_only] == [True, False, False]
    api_tokens_only = reader_of(organization.id, Permission.API_TOKENS_MANAGE)
    assert await queries.audit_targets(api_tokens_only, keys) == [None, None, None]
    with pytest.raises(PermissionDenied):
        await queries.audit_targets(scim, keys)  # a SCIM token reads no audit log


async def test_audit_targets_take_ids_that_name_nothing(operator):
    keys = [("user", "olga@acme.test"), ("token", "?"), ("role", "x" * 65), ("organization", "1")]
    assert await queries.audit_targets(operator, keys) == [None, None, None, None]
