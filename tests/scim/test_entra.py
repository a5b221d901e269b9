"""Microsoft Entra ID's variants: string booleans, capitalised ops, value-filtered paths,
dotted keys, enterprise attributes, DELETE."""

from __future__ import annotations

from domain.models import User
from tests.scim.conftest import ENTERPRISE, PATCH_SCHEMA, USER_SCHEMA, assert_scim_error

ENTRA_USER = {
    "schemas": [USER_SCHEMA, ENTERPRISE],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee@testuser.com",
    "active": True,
    "displayName": "Test User",
    "emails": [{"primary": True, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
    "meta": {"resourceType": "User"},
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName",
    },
    "roles": [],
    ENTERPRISE: {"employeeNumber": "E-1", "department": "Sales", "manager": {"value": "boss-7"}},
}


def patch(*operations: dict[str, object]) -> dict[str, object]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


async def create(client) -> dict[str, object]:
    response = await client.post("/Users", json=ENTRA_USER)
    assert response.status_code == 201, response.text
    return response.json()


async def test_entra_creates_with_the_enterprise_extension(client):
    user = await create(client)

    assert user["schemas"] == [USER_SCHEMA, ENTERPRISE]
    assert user[ENTERPRISE]["employeeNumber"] == "E-1"
    assert user[ENTERPRISE]["manager"]["value"] == "boss-7"
    assert user["name"]["formatted"] == "givenName familyName"


async def test_entra_finds_by_external_id_and_by_work_email(client):
    user = await create(client)

    by_external = await client.get(
        '/Users?filter=externalId+eq+"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"'
    )
    by_email = await client.get(
        '/Users?filter=emails[type eq "work"].value eq "test_user_fd0ea19b@testuser.com"'
    )

    assert [r["id"] for r in by_external.json()["Resources"]] == [user["id"]]
    assert [r["id"] for r in by_email.json()["Resources"]] == [user["id"]]


async def test_entra_soft_deletes_with_a_capitalised_op_and_a_string_boolean(client):
    user = await create(client)

    response = await client.patch(
        f"/Users/{user['id']}", json=patch({"op": "Replace", "path": "active", "value": "False"})
    )

    assert response.status_code == 200
    assert response.json()["active"] is False


async def test_entra_replaces_through_dotted_keys_and_urn_paths(client):
    user = await create(client)

    response = await client.patch(
        f"/Users/{user['id']}",
        json=patch(
            {
                "op": "replace",
                "value": {
                    "displayName": "New Name",
                    "name.givenName": "New",
                    "name.familyName": "Name",
                    f"{ENTERPRISE}:employeeNumber": "E-2",
                },
            },
            {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Marketing"},
            {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": "boss-8"},
        ),
    )

    body = response.json()
    assert (body["displayName"], body["name"]["givenName"], body["name"]["familyName"]) == (
        "New Name",
        "New",
        "Name",
    )
    assert body[ENTERPRISE]["employeeNumber"] == "E-2"
    assert body[ENTERPRISE]["department"] == "Marketing"
    assert body[ENTERPRISE]["manager"]["value"] == "boss-8"


async def test_entra_changes_the_work_email_through_a_value_filtered_path(client):
    user = await create(client)

    response = await client.patch(
        f"/Users/{user['id']}",
        json=patch(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@testuser.com"}
        ),
    )

    assert response.json()["emails"] == [
        {"value": "new@testuser.com", "type": "work", "primary": True}
    ]


async def test_entra_adds_a_value_that_already_exists_by_filter(client):
    user = await create(client)

    response = await client.patch(
        f"/Users/{user['id']}",
        json=patch(
            {"op": "Add", "path": 'emails[type eq "work"].value', "value": "x@testuser.com"}
        ),
    )

    assert response.status_code == 200
    assert response.json()["emails"][0]["value"] == "x@testuser.com"


async def test_entra_sets_and_removes_the_role(client):
    user = await create(client)

    given = await client.patch(
        f"/Users/{user['id']}",
        json=patch({"op": "Add", "path": "permissionsRole", "value": "limited-user"}),
    )
    removed = await client.patch(
        f"/Users/{user['id']}", json=patch({"op": "Remove", "path": "permissionsRole"})
    )

    assert given.json()["permissionsRole"] == "limited-user"
    assert "permissionsRole" not in removed.json()
    stored = await User.get(id=user["id"]).prefetch_related("role")
    assert stored.role.key == "basic-user"


async def test_stating_the_default_role_by_patch_shows_it_from_then_on(client):
    user = await create(client)

    stated = await client.patch(
        f"/Users/{user['id']}",
        json=patch({"op": "add", "path": "permissionsRole", "value": "basic-user"}),
    )

    assert stated.json()["permissionsRole"] == "basic-user"


async def test_entra_deletes_and_the_user_is_gone(client):
    user = await create(client)

    deleted = await client.delete(f"/Users/{user['id']}")

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_scim_error(await client.get(f"/Users/{user['id']}"), 404)
    assert_scim_error(await client.put(f"/Users/{user['id']}", json=ENTRA_USER), 404)
    assert_scim_error(
        await client.patch(f"/Users/{user['id']}", json=patch({"op": "Remove", "path": "title"})),
        404,
    )
    assert_scim_error(await client.delete(f"/Users/{user['id']}"), 404)


async def test_entra_test_connection_looks_up_a_random_user(client):
    response = await client.get('/Users?filter=userName eq "a6f1c52b-6bd3-4d7b-a06a-random"')
    assert (response.status_code, response.json()["totalResults"]) == (200, 0)
