"""The Group resource: create, read, list and filter, replace, patch in Okta's and Entra ID's
forms, delete; members as users of the organization; each user's read-only groups."""

from __future__ import annotations

import asyncio

import pytest

from domain.models import AuditEvent, GroupMember
from tests.conftest import StatementCounter
from tests.scim.conftest import PATCH_SCHEMA, assert_scim_error, okta_user

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


def patch(*operations: dict[str, object]) -> dict[str, object]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


async def new_user(client, user_name: str) -> str:
    response = await client.post("/Users", json=okta_user(user_name))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def new_group(client, name: str = "Engineering", members: list[str] | None = None) -> dict:
    body: dict[str, object] = {"schemas": [GROUP_SCHEMA], "displayName": name}
    if members is not None:
        body["members"] = [{"value": member} for member in members]
    response = await client.post("/Groups", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def member_ids(client, group_id: str) -> list[str]:
    response = await client.get(f"/Groups/{group_id}")
    assert response.status_code == 200, response.text
    return [member["value"] for member in response.json().get("members", [])]


# --- create and read ------------------------------------------------------------------------


async def test_okta_creates_a_group_without_members(client):
    response = await client.post(
        "/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "Test SCIMv2", "members": []}
    )

    assert response.status_code == 201, response.text
    group = response.json()
    assert group["displayName"] == "Test SCIMv2"
    assert group["schemas"] == [GROUP_SCHEMA]
    assert "members" not in group
    assert response.headers["Location"] == group["meta"]["location"]
    assert response.headers["ETag"] == group["meta"]["version"] == 'W/"1"'
    assert group["meta"]["resourceType"] == "Group"


async def test_a_group_is_created_with_its_members_and_shows_them(client):
    ada = await new_user(client, "ada@example.com")
    bob = await new_user(client, "bob@example.com")

    group = await new_group(client, members=[ada, bob])

    assert [m["value"] for m in group["members"]] == [ada, bob]
    assert group["members"][0]["display"] == "Test User"
    assert group["members"][0]["type"] == "User"
    assert group["members"][0]["$ref"].endswith(f"/Users/{ada}")


async def test_a_display_name_taken_in_any_case_is_a_conflict(client):
    await new_group(client, "Engineering")

    response = await client.post(
        "/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "ENGINEERING"}
    )

    assert "already exists" in assert_scim_error(response, 409, "uniqueness")


async def test_a_member_that_is_no_user_of_the_organization_is_refused(client, other_client):
    stranger = (await other_client.post("/Users", json=okta_user("eve@globex.com"))).json()["id"]

    response = await client.post(
        "/Groups",
        json={"schemas": [GROUP_SCHEMA], "displayName": "Eng", "members": [{"value": stranger}]},
    )

    assert stranger in assert_scim_error(response, 400, "invalidValue")
    assert (await client.get("/Groups")).json()["totalResults"] == 0


async def test_a_group_without_a_display_name_is_refused(client):
    response = await client.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": " "})

    assert_scim_error(response, 400)


async def test_excluded_members_are_not_read(client, db):
    ada = await new_user(client, "ada@example.com")
    group = await new_group(client, members=[ada])

    with StatementCounter(db.db().capabilities.dialect) as counter:
        response = await client.get(f"/Groups/{group['id']}?excludedAttributes=members")

    assert response.status_code == 200
    assert "members" not in response.json()
    assert response.json()["displayName"] == "Engineering"
    assert not [s for s in counter.statements if "group_members" in s]


async def test_attributes_choose_what_a_group_shows(client):
    ada = await new_user(client, "ada@example.com")
    group = await new_group(client, members=[ada])

    response = await client.get(f"/Groups/{group['id']}?attributes=displayName")

    assert set(response.json()) == {"schemas", "id", "displayName"}


async def test_an_unknown_group_is_not_found(client):
    response = await client.get("/Groups/9f1c7e2a-0000-4000-8000-000000000000")

    assert_scim_error(response, 404)


async def test_another_organization_cannot_see_or_change_the_group(client, other_client):
    group = await new_group(client)

    assert (await other_client.get(f"/Groups/{group['id']}")).status_code == 404
    assert (await other_client.get("/Groups")).json()["totalResults"] == 0
    renamed = await other_client.patch(
        f"/Groups/{group['id']}",
        json=patch({"op": "replace", "path": "displayName", "value": "Mine"}),
    )
    assert renamed.status_code == 404
    assert (await other_client.delete(f"/Groups/{group['id']}")).status_code == 404


async def test_a_group_search_finds_only_the_organization_s_groups(client, other_client):
    ada = await new_user(client, "ada@example.com")
    ours = await new_group(client, "Engineering", [ada])
    await other_client.post(
        "/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "Engineering"}
    )

    for body in (
        {"filter": 'displayName eq "Engineering"'},
        {"filter": f'members[value eq "{ada}"]'},
        {},
    ):
        found = (await client.post("/Groups/.search", json=body)).json()
        assert [g["id"] for g in found["Resources"]] == [ours["id"]], body
    theirs = await other_client.post(
        "/Groups/.search", json={"filter": f'members[value eq "{ada}"]'}
    )
    assert theirs.json()["totalResults"] == 0


async def test_the_root_search_finds_users_and_groups(client):
    ada = await new_user(client, "ada@example.com")
    group = await new_group(client, "Engineering", [ada])

    found = (await client.post("/.search", json={"startIndex": 1, "count": 10})).json()
    second = (await client.post("/.search", json={"startIndex": 2, "count": 1})).json()

    assert found["totalResults"] == 2
    assert [r["id"] for r in found["Resources"]] == [ada, group["id"]]
    assert [r["id"] for r in second["Resources"]] == [group["id"]]


async def test_a_get_with_the_current_etag_is_not_modified(client):
    group = await new_group(client)

    response = await client.get(f"/Groups/{group['id']}", headers={"If-None-Match": 'W/"1"'})

    assert response.status_code == 304


# --- list and filter ------------------------------------------------------------------------


async def test_groups_are_listed_in_pages(client):
    for n in range(5):
        await new_group(client, f"Group {n}")

    page = (await client.get("/Groups?startIndex=2&count=2")).json()

    assert page["totalResults"] == 5
    assert page["startIndex"] == 2
    assert page["itemsPerPage"] == 2
    assert [g["displayName"] for g in page["Resources"]] == ["Group 1", "Group 2"]


async def test_an_empty_listing_is_a_list_response(client):
    page = (await client.get("/Groups?startIndex=1&count=100")).json()

    assert page["totalResults"] == 0
    assert page["Resources"] == []


async def test_display_name_filters_ignore_case(client):
    group = await new_group(client, "Engineering")
    await new_group(client, "Sales")

    for text in ('displayName eq "engineering"', 'DISPLAYNAME EQ "ENGINEERING"'):
        found = (await client.get("/Groups", params={"filter": text})).json()
        assert [g["id"] for g in found["Resources"]] == [group["id"]], text


async def test_groups_are_found_by_external_id(client):
    response = await client.post(
        "/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "Eng", "externalId": "okta-7"}
    )

    found = (await client.get("/Groups", params={"filter": 'externalId eq "okta-7"'})).json()

    assert [g["id"] for g in found["Resources"]] == [response.json()["id"]]


async def test_a_members_filter_finds_the_groups_of_a_user(client):
    ada = await new_user(client, "ada@example.com")
    bob = await new_user(client, "bob@example.com")
    eng = await new_group(client, "Engineering", [ada, bob])
    await new_group(client, "Sales", [bob])

    found = (await client.get("/Groups", params={"filter": f'members[value eq "{ada}"]'})).json()
    dotted = (await client.get("/Groups", params={"filter": f'members.value eq "{ada}"'})).json()

    assert [g["id"] for g in found["Resources"]] == [eng["id"]]
    assert [g["id"] for g in dotted["Resources"]] == [eng["id"]]


async def test_a_filtered_listing_can_leave_out_members(client):
    ada = await new_user(client, "ada@example.com")
    await new_group(client, "Engineering", [ada])

    found = await client.get(
        "/Groups",
        params={"filter": 'displayName eq "Engineering"', "excludedAttributes": "members"},
    )

    assert found.json()["totalResults"] == 1
    assert "members" not in found.json()["Resources"][0]


async def test_an_unreadable_filter_is_an_invalid_filter(client):
    response = await client.get("/Groups", params={"filter": 'displayName eq "x'})

    assert_scim_error(response, 400, "invalidFilter")


# --- Okta's membership pushes ---------------------------------------------------------------


async def test_okta_adds_and_removes_members_in_one_patch(client):
    ada = await new_user(client, "ada@example.com")
    bob = await new_user(client, "bob@example.com")
    group = await new_group(client, members=[ada])

    response = await client.patch(
        f"/Groups/{group['id']}",
        json=patch(
            {"op": "remove", "path": f'members[value eq "{ada}"]'},
            {"op": "add", "path": "members", "value": [{"value": bob, "display": "bob"}]},
        ),
    )

    assert response.status_code == 204, response.text
    assert response.headers["ETag"] == 'W/"2"'
    assert await member_ids(client, group["id"]) == [bob]


async def test_okta_renames_with_a_pathless_replace_that_names_the_id(client):
    group = await new_group(client)

    response = await client.patch(
        f"/Groups/{group['id']}",
        json=patch({"op": "replace", "value": {"id": group["id"], "displayName": "Platform"}}),
    )

    assert response.status_code == 204
    assert (await client.get(f"/Groups/{group['id']}")).json()["displayName"] == "Platform"


async def test_okta_replaces_the_members(client):
    ada = await new_user(client, "ada@example.com")
    bob = await new_user(client, "bob@example.com")
    group = await new_group(client, members=[ada])

    response = await client.patch(
        f"/Groups/{group['id']}",
        json=patch({"op": "replace", "path": "members", "value": [{"value": bob}]}),
    )

    assert response.status_code == 204
    assert await member_ids(client, group["id"]) == [bob]


async def test_a_wizard_app_puts_the_whole_group(client):
    ada = await new_user(client, "ada@example.com")
    bob = await new_user(client, "bob@example.com")
    group = await new_group(client, members=[ada])

    response = await client.put(
        f"/Groups/{group['id']}",
        json={
            "schemas": [GROUP_SCHEMA],
            "id": group["id"],
            "displayName": "Platform",
            "members": [{"value": bob, "display": "bob@example.com"}],
        },
    )

    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Platform"
    assert [m["value"] for m in response.json()["members"]] == [bob]
    assert response.headers["ETag"] == 'W/"2"'


async def test_okta_deletes_the_group_and_its_members_stay_users(client):
    ada = await new_user(client, "ada@example.com")
    group = await new_group(client, members=[ada])

    response = await client.delete(f"/Groups/{group['id']}")

    assert response.status_code == 204
    assert (await client.get(f"/Groups/{group['id']}")).status_code == 404
    assert (await client.get(f"/Users/{ada}")).status_code == 200
    assert await GroupMember.all().count() == 0


async def test_a_patch_with_a_stale_etag_is_refused(client):
    group = await new_group(client)

    response = await client.patch(
        f"/Groups/{group['id']}",
        json=patch({"op": "replace", "path": "displayName", "value": "X"}),
        headers={"If-Match": 'W/"7"'},
    )

    assert_scim_error(response, 412)


async def test_a_patch_that_asks_for_attributes_answers_with_the_group(client):
    group = await new_group(client)

    response = await client.patch(
        f"/Groups/{group['id']}?excludedAttributes=members",
        json=patch({"op": "replace", "path": "displayName", "value": "Platform"}),
    )

    assert response.status_code == 200
    assert response.json()["displayName"] == "Platform"


# --- Entra ID's forms -----------------------------------------------------------------------


async def test_entra_adds_and_removes_members_with_capitalised_ops(client):
    ada = await new_user(client, "ada@example.com")
    bob = await new_user(client, "bob@example.com")
    group = await new_group(client)

    added = await client.patch(
        f"/Groups/{group['id']}",
        json=patch(
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": ada}]},
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": bob}]},
        ),
    )
    removed = await client.patch(
        f"/Groups/{group['id']}",
        json=patch({"op": "Remove", "path": "members", "value": [{"value": ada}]}),
    )

    assert added.status_code == removed.status_code == 204
    assert await member_ids(client, group["id"]) == [bob]


async def test_entra_replaces_the_display_name_by_path_and_without_one(client):
    group = await new_group(client)

    by_path = await client.patch(
        f"/Groups/{group['id']}",
        json=patch({"op": "Replace", "path": "displayName", "value": "Platform"}),
    )
    pathless = await client.patch(
        f"/Groups/{group['id']}",
        json=patch({"op": "Replace", "value": {"displayName": "Platform 2"}}),
    )

    assert by_path.status_code == pathless.status_code == 204
    assert (await client.get(f"/Groups/{group['id']}")).json()["displayName"] == "Platform 2"


async def test_removing_a_user_who_is_no_member_changes_nothing(client):
    ada = await new_user(client, "ada@example.com")
    group = await new_group(client)

    response = await client.patch(
        f"/Groups/{group['id']}",
        json=patch({"op": "Remove", "path": "members", "value": [{"value": ada}]}),
    )

    assert response.status_code == 204
    assert response.headers["ETag"] == 'W/"1"'


async def test_removing_members_without_a_value_empties_the_group(client):
    ada = await new_user(client, "ada@example.com")
    group = await new_group(client, members=[ada])

    response = await client.patch(
        f"/Groups/{group['id']}", json=patch({"op": "remove", "path": "members"})
    )

    assert response.status_code == 204
    assert await member_ids(client, group["id"]) == []


async def test_a_rename_onto_a_taken_name_is_a_conflict(client):
    await new_group(client, "Sales")
    group = await new_group(client, "Engineering")

    response = await client.patch(
        f"/Groups/{group['id']}",
        json=patch({"op": "replace", "path": "displayName", "value": "sales"}),
    )

    assert_scim_error(response, 409, "uniqueness")


@pytest.mark.parametrize(
    ("operation", "scim_type"),
    [
        ({"op": "move", "path": "members", "value": []}, "invalidSyntax"),
        ({"op": "remove"}, "noTarget"),
        ({"op": "replace", "path": "owner", "value": "x"}, "invalidPath"),
        ({"op": "remove", "path": "displayName"}, "mutability"),
        ({"op": "add", "path": "members", "value": [{"display": "no id"}]}, "invalidValue"),
        ({"op": "add", "path": 'members[value eq "x"]', "value": []}, "invalidPath"),
    ],
)
async def test_a_patch_it_cannot_apply_is_refused_and_changes_nothing(client, operation, scim_type):
    group = await new_group(client)

    response = await client.patch(f"/Groups/{group['id']}", json=patch(operation))

    assert_scim_error(response, 400, scim_type)
    assert (await client.get(f"/Groups/{group['id']}")).json()["meta"]["version"] == 'W/"1"'


async def test_adding_a_member_that_is_no_user_changes_nothing(client):
    ada = await new_user(client, "ada@example.com")
    group = await new_group(client)

    response = await client.patch(
        f"/Groups/{group['id']}",
        json=patch(
            {"op": "add", "path": "members", "value": [{"value": ada}]},
            {"op": "add", "path": "members", "value": [{"value": "not-a-user"}]},
        ),
    )

    assert "not-a-user" in assert_scim_error(response, 400, "invalidValue")
    assert await member_ids(client, group["id"]) == []


# --- the users' side ------------------------------------------------------------------------


async def test_a_user_shows_the_groups_it_belongs_to(client):
    ada = await new_user(client, "ada@example.com")
    group = await new_group(client, "Engineering", [ada])

    user = (await client.get(f"/Users/{ada}")).json()
    listed = await client.get("/Users", params={"filter": 'userName eq "ada@example.com"'})

    assert user["groups"] == [
        {
            "value": group["id"],
            "$ref": f"{group['meta']['location']}",
            "display": "Engineering",
            "type": "direct",
        }
    ]
    assert listed.json()["Resources"][0]["groups"] == user["groups"]


async def test_groups_sent_with_a_user_are_ignored(client):
    group = await new_group(client)

    response = await client.post(
        "/Users", json=okta_user("ada@example.com", groups=[{"value": group["id"]}])
    )

    assert response.status_code == 201
    assert "groups" not in response.json()


async def test_a_deleted_user_leaves_its_groups(client):
    ada = await new_user(client, "ada@example.com")
    group = await new_group(client, members=[ada])

    assert (await client.delete(f"/Users/{ada}")).status_code == 204

    assert await member_ids(client, group["id"]) == []


async def test_every_group_change_is_audited(client):
    ada = await new_user(client, "ada@example.com")
    group = await new_group(client, members=[ada])
    await client.patch(f"/Groups/{group['id']}", json=patch({"op": "remove", "path": "members"}))
    await client.delete(f"/Groups/{group['id']}")

    events = await AuditEvent.filter(target_type="group").order_by("id")

    assert [e.action for e in events] == ["group.created", "group.updated", "group.deleted"]
    assert events[0].changes["members_added"] == {"count": 1, "user_ids": [ada]}
    assert events[1].changes["members_removed"] == {"count": 1, "user_ids": [ada]}


# --- membership at scale --------------------------------------------------------------------


async def test_a_thousand_members_are_added_and_removed_in_a_few_statements(client, db, operator):
    from domain import bus
    from domain.commands import ProvisionUser, UserAttributes

    ids = [
        str((await bus.handle(ProvisionUser(UserAttributes(f"u{n}@example.com")), operator)).id)
        for n in range(1000)
    ]
    group = await new_group(client)
    members = [{"value": user_id} for user_id in ids]
    dialect = db.db().capabilities.dialect

    with StatementCounter(dialect) as adding:
        added = await client.patch(
            f"/Groups/{group['id']}",
            json=patch({"op": "add", "path": "members", "value": members}),
        )
    with StatementCounter(dialect) as removing:
        removed = await client.patch(
            f"/Groups/{group['id']}",
            json=patch({"op": "remove", "path": "members", "value": members}),
        )

    assert added.status_code == removed.status_code == 204
    assert adding.count <= 12, adding.statements
    assert removing.count <= 12, removing.statements
    assert await GroupMember.all().count() == 0


async def test_concurrent_membership_patches_lose_no_member(client):
    users = [await new_user(client, f"u{n}@example.com") for n in range(12)]
    group = await new_group(client)

    responses = await asyncio.gather(
        *(
            client.patch(
                f"/Groups/{group['id']}",
                json=patch({"op": "Add", "path": "members", "value": [{"value": user}]}),
            )
            for user in users
        )
    )

    assert {r.status_code for r in responses} == {204}
    assert sorted(await member_ids(client, group["id"])) == sorted(users)


async def test_a_role_from_a_group_is_not_shown_as_permissions_role(client, operator):
    from domain import bus
    from domain.commands import SetGroupRole

    ada = await new_user(client, "ada@example.com")
    group = await new_group(client, "Admins", [ada])
    await bus.handle(SetGroupRole(group["id"], "admin"), operator)

    user = (await client.get(f"/Users/{ada}")).json()

    assert "permissionsRole" not in user
    assert user["groups"][0]["display"] == "Admins"
