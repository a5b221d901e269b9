"""Entra ID's two ways to carry a role: app roles (`roles`, the primary or only entry) and
Roster's extension attribute. Both resolve like Okta's `permissionsRole`: a built-in role
string in any case or a custom role's ID, else 400 naming the accepted values."""

from __future__ import annotations

import json
from typing import Any

from domain import bus
from domain.commands import CreateCustomRole
from domain.models import RoleOrigin, User
from tests.scim.conftest import PATCH_SCHEMA, USER_SCHEMA, assert_scim_error
from tests.scim.test_entra import ENTRA_USER

ROSTER = "urn:ietf:params:scim:schemas:extension:roster:2.0:User"
APP_ROLE = "WindowsAzureActiveDirectoryRole"


def entra_user(**changes: Any) -> dict[str, Any]:
    return {**ENTRA_USER, **changes}


def patch(*operations: dict[str, object]) -> dict[str, object]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


async def role_of(user_id: str) -> tuple[str, RoleOrigin]:
    user = await User.get(id=user_id).prefetch_related("role")
    return user.role.key, user.role_origin


async def create(client, **changes: Any) -> dict[str, Any]:
    response = await client.post("/Users", json=entra_user(**changes))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_the_single_app_role_entra_sends_on_create_is_the_users_role(client):
    user = await create(client, roles=[{"primary": True, "type": APP_ROLE, "value": "Admin"}])

    assert await role_of(user["id"]) == ("admin", RoleOrigin.IDENTITY_PROVIDER)
    assert user["permissionsRole"] == "admin"
    assert user["roles"] == [{"primary": True, "type": APP_ROLE, "value": "Admin"}]


async def test_primary_may_be_the_string_true_and_other_entries_are_passed_over(client):
    roles = [
        {"primary": "False", "type": APP_ROLE, "value": "limited-user"},
        {"primary": "True", "type": APP_ROLE, "value": "basic-user"},
    ]
    user = await create(client, roles=roles)

    assert await role_of(user["id"]) == ("basic-user", RoleOrigin.IDENTITY_PROVIDER)


async def test_the_only_entry_states_the_role_though_not_primary(client):
    user = await create(client, roles=[{"primary": False, "type": APP_ROLE, "value": "admin"}])

    assert await role_of(user["id"]) == ("admin", RoleOrigin.IDENTITY_PROVIDER)


async def test_a_custom_role_id_is_an_app_role_value(client, operator):
    finance = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)
    user = await create(client, roles=[{"primary": True, "value": finance.key}])

    assert await role_of(user["id"]) == (finance.key, RoleOrigin.IDENTITY_PROVIDER)


async def test_no_app_role_leaves_the_default(client):
    user = await create(client, roles=[])

    assert await role_of(user["id"]) == ("basic-user", RoleOrigin.DEFAULT)
    assert "permissionsRole" not in user


async def test_an_unknown_app_role_is_refused_naming_the_accepted_values(client, operator):
    finance = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)

    response = await client.post(
        "/Users", json=entra_user(roles=[{"primary": True, "value": "Approver"}])
    )

    detail = assert_scim_error(response, 400, "invalidValue")
    assert "'Approver'" in detail
    assert "super-admin" in detail
    assert "appstore-user" in detail
    assert finance.key in detail
    assert await User.filter(user_name=ENTRA_USER["userName"]).count() == 0


async def test_several_app_roles_none_primary_are_refused_not_guessed(client):
    roles = [{"primary": False, "value": "admin"}, {"primary": False, "value": "limited-user"}]

    response = await client.post("/Users", json=entra_user(roles=roles))

    detail = assert_scim_error(response, 400, "invalidValue")
    assert "'admin'" in detail
    assert "'limited-user'" in detail
    assert "SingleAppRoleAssignment" in detail
    assert await User.filter(user_name=ENTRA_USER["userName"]).count() == 0


async def test_permissions_role_outranks_app_roles_in_one_body(client):
    user = await create(
        client, permissionsRole="limited-user", roles=[{"primary": True, "value": "admin"}]
    )

    assert await role_of(user["id"]) == ("limited-user", RoleOrigin.IDENTITY_PROVIDER)


async def test_entra_patches_the_primary_app_role_by_its_filtered_path(client):
    user = await create(client)

    response = await client.patch(
        f"/Users/{user['id']}",
        json=patch({"op": "Add", "path": 'roles[primary eq "True"].value', "value": "admin"}),
    )
    assert response.status_code == 200, response.text
    assert await role_of(user["id"]) == ("admin", RoleOrigin.IDENTITY_PROVIDER)

    response = await client.patch(
        f"/Users/{user['id']}",
        json=patch(
            {"op": "Replace", "path": 'roles[primary eq "True"].value', "value": "limited-user"}
        ),
    )
    assert response.status_code == 200, response.text
    assert await role_of(user["id"]) == ("limited-user", RoleOrigin.IDENTITY_PROVIDER)
    assert response.json()["permissionsRole"] == "limited-user"


async def test_the_complex_form_wraps_the_role_in_json(client):
    user = await create(client)
    wrapped = json.dumps({"id": "06b07648-ecfe-589f-9d2f-6325724a46ee", "value": "Admin"})

    response = await client.patch(
        f"/Users/{user['id']}",
        json=patch({"op": "Add", "path": "roles", "value": [{"value": wrapped}]}),
    )

    assert response.status_code == 200, response.text
    assert await role_of(user["id"]) == ("admin", RoleOrigin.IDENTITY_PROVIDER)


async def test_removing_the_app_role_returns_the_user_to_the_default(client):
    user = await create(client, roles=[{"primary": True, "value": "admin"}])

    response = await client.patch(
        f"/Users/{user['id']}", json=patch({"op": "Remove", "path": "roles"})
    )

    assert response.status_code == 200, response.text
    assert await role_of(user["id"]) == ("basic-user", RoleOrigin.DEFAULT)


async def test_a_patch_of_other_attributes_keeps_the_app_role(client):
    user = await create(client, roles=[{"primary": True, "value": "admin"}])

    response = await client.patch(
        f"/Users/{user['id']}",
        json=patch({"op": "Replace", "path": "displayName", "value": "Renamed"}),
    )

    assert response.status_code == 200, response.text
    assert await role_of(user["id"]) == ("admin", RoleOrigin.IDENTITY_PROVIDER)


async def test_an_unknown_role_in_a_patch_changes_nothing(client):
    user = await create(client, roles=[{"primary": True, "value": "admin"}])

    response = await client.patch(
        f"/Users/{user['id']}",
        json=patch(
            {"op": "Replace", "path": 'roles[primary eq "True"].value', "value": "approver"},
            {"op": "Replace", "path": "displayName", "value": "Renamed"},
        ),
    )

    assert_scim_error(response, 400, "invalidValue")
    stored = await User.get(id=user["id"])
    assert stored.display_name == "Test User"
    assert await role_of(user["id"]) == ("admin", RoleOrigin.IDENTITY_PROVIDER)


async def test_the_extension_attribute_carries_the_role(client):
    user = await create(
        client,
        schemas=[USER_SCHEMA, ROSTER],
        roles=[],
        **{ROSTER: {"permissionsRole": "Limited-Plus-User"}},
    )

    assert await role_of(user["id"]) == ("limited-plus-user", RoleOrigin.IDENTITY_PROVIDER)
    assert user[ROSTER] == {"permissionsRole": "limited-plus-user"}
    assert ROSTER in user["schemas"]
    fetched = (await client.get(f"/Users/{user['id']}")).json()
    assert fetched[ROSTER] == {"permissionsRole": "limited-plus-user"}


async def test_entra_patches_the_extension_attribute_by_its_urn_path(client):
    user = await create(client)

    by_path = await client.patch(
        f"/Users/{user['id']}",
        json=patch({"op": "Add", "path": f"{ROSTER}:permissionsRole", "value": "admin"}),
    )
    assert by_path.status_code == 200, by_path.text
    assert await role_of(user["id"]) == ("admin", RoleOrigin.IDENTITY_PROVIDER)

    by_key = await client.patch(
        f"/Users/{user['id']}",
        json=patch({"op": "Replace", "value": {f"{ROSTER}:permissionsRole": "limited-user"}}),
    )
    assert by_key.status_code == 200, by_key.text
    assert await role_of(user["id"]) == ("limited-user", RoleOrigin.IDENTITY_PROVIDER)
    assert by_key.json()[ROSTER] == {"permissionsRole": "limited-user"}


async def test_an_unknown_extension_role_is_refused_naming_the_accepted_values(client):
    response = await client.post(
        "/Users",
        json=entra_user(schemas=[USER_SCHEMA, ROSTER], **{ROSTER: {"permissionsRole": "boss"}}),
    )

    detail = assert_scim_error(response, 400, "invalidValue")
    assert "'boss'" in detail
    assert "limited-plus-user" in detail


async def test_schemas_list_every_role_carrier_with_the_organizations_roles(client, operator):
    finance = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)

    schemas = {s["id"]: s for s in (await client.get("/Schemas")).json()["Resources"]}
    resource_type = (await client.get("/ResourceTypes/User")).json()

    roster = {a["name"]: a for a in schemas[ROSTER]["attributes"]}
    user = {a["name"]: a for a in schemas[USER_SCHEMA]["attributes"]}
    app_role_value = {a["name"]: a for a in user["roles"]["subAttributes"]}["value"]
    for attribute in (roster["permissionsRole"], user["permissionsRole"], app_role_value):
        assert "admin" in attribute["canonicalValues"]
        assert finance.key in attribute["canonicalValues"]
    assert {"schema": ROSTER, "required": False} in resource_type["schemaExtensions"]
