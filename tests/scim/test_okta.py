"""Okta's whole provisioning conversation, replayed in order (../shared/okta-scim.md)."""

from __future__ import annotations

from urllib.parse import quote

from domain import bus
from domain.commands import CreateCustomRole
from domain.models import AuditEvent, RoleOrigin, Token, User
from tests.scim.conftest import PATCH_SCHEMA, SCIM_JSON, assert_scim_error, okta_user

LOOKUP = "/Users?filter={}&startIndex=1&count=100"


def lookup(user_name: str) -> str:
    return LOOKUP.format(quote(f'userName eq "{user_name}"'))


async def test_okta_provisions_a_user_from_test_credentials_to_reactivation(client, operator):
    finance = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)

    # "Test API Credentials"
    test = await client.get("/Users?startIndex=1&count=2")
    assert test.status_code == 200
    assert test.headers["content-type"].startswith(SCIM_JSON)
    listing = test.json()
    assert listing["totalResults"] == 0
    assert (listing["startIndex"], listing["itemsPerPage"]) == (1, 0)
    assert listing["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]

    # assignment: lookup, then create with the group's role
    missing = await client.get(lookup("test.user@okta.local"))
    assert missing.json()["totalResults"] == 0
    assert missing.json()["Resources"] == []
    created = await client.post(
        "/Users", json=okta_user("test.user@okta.local", permissionsRole="admin")
    )
    assert created.status_code == 201
    user = created.json()
    user_id = user["id"]
    assert created.headers["location"] == f"http://roster.test/scim/v2/Users/{user_id}"
    assert created.headers["etag"] == 'W/"1"'
    assert user["meta"]["resourceType"] == "User"
    assert user["meta"]["location"] == created.headers["location"]
    assert user["meta"]["version"] == 'W/"1"'
    assert {"created", "lastModified"} <= user["meta"].keys()
    assert user["userName"] == "test.user@okta.local"
    assert user["permissionsRole"] == "admin"
    assert user["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert "password" not in user
    assert "groups" not in user

    # lookup is case-insensitive and finds it
    found = await client.get(lookup("TEST.USER@OKTA.LOCAL"))
    assert found.json()["totalResults"] == 1
    assert found.json()["Resources"][0]["id"] == user_id

    # Update User Attributes (PUT of the whole object as read, one attribute changed)
    read = (await client.get(f"/Users/{user_id}")).json()
    read["name"]["givenName"] = "Testy"
    replaced = await client.put(f"/Users/{user_id}", json=read)
    assert replaced.status_code == 200
    assert replaced.json()["name"]["givenName"] == "Testy"
    assert replaced.json()["meta"]["version"] == 'W/"2"'

    # the group's role changes to a custom role
    read = replaced.json()
    read["permissionsRole"] = finance.key
    moved = await client.put(f"/Users/{user_id}", json=read)
    assert moved.json()["permissionsRole"] == finance.key

    # Deactivate Users (PATCH without a path)
    deactivate = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    deactivated = await client.patch(f"/Users/{user_id}", json=deactivate)
    assert deactivated.status_code == 200
    assert deactivated.json()["active"] is False

    # still readable, and still found by the lookup Okta runs on reassignment
    after = await client.get(f"/Users/{user_id}")
    assert (after.status_code, after.json()["active"]) == (200, False)
    again = await client.get(lookup("test.user@okta.local"))
    assert again.json()["Resources"][0]["id"] == user_id

    # reactivation keeps the same id and everything else
    reactivate = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"active": True}}],
    }
    reactivated = await client.patch(f"/Users/{user_id}", json=reactivate)
    assert reactivated.json()["active"] is True
    assert reactivated.json()["id"] == user_id
    assert reactivated.json()["name"]["givenName"] == "Testy"

    # recreating the same person is a conflict that stops Okta's job
    duplicate = await client.post("/Users", json=okta_user("Test.User@Okta.Local"))
    assert_scim_error(duplicate, 409, "uniqueness")

    # every change is in the audit log, made by the token
    token = await Token.get(name="Okta")
    actions = (
        await AuditEvent.filter(target_id=user_id)
        .order_by("id")
        .values_list("action", "actor_id", "channel")
    )
    assert [a for a, _, _ in actions] == [
        "user.provisioned",
        "user.replaced",
        "user.replaced",
        "user.deactivated",
        "user.reactivated",
    ]
    assert {(actor, str(channel)) for _, actor, channel in actions} == {(str(token.id), "SCIM")}
    assert (await Token.get(id=token.id)).last_used_at is not None


async def test_a_user_created_without_a_role_gets_the_default_and_reads_without_one(client):
    created = await client.post("/Users", json=okta_user("jane@okta.local"))

    assert "permissionsRole" not in created.json()
    user = await User.get(id=created.json()["id"]).prefetch_related("role")
    assert (user.role.key, user.role_origin) == ("basic-user", RoleOrigin.DEFAULT)


async def test_an_unknown_role_is_refused_with_the_accepted_values_and_nothing_is_created(
    client, operator
):
    finance = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)

    response = await client.post(
        "/Users", json=okta_user("jane@okta.local", permissionsRole="boss")
    )

    detail = assert_scim_error(response, 400, "invalidValue")
    assert "'boss'" in detail
    for accepted in ("super-admin", "admin", "basic-user", "limited-plus-user", "limited-user"):
        assert accepted in detail
    assert finance.key in detail
    assert await User.all().count() == 0
    failed = await AuditEvent.get(action="user.provision_failed")
    assert failed.changes["userName"] == "jane@okta.local"
    assert "'boss'" in failed.changes["reason"]


async def test_built_in_role_strings_are_accepted_whatever_their_case(client):
    response = await client.post(
        "/Users", json=okta_user("jane@okta.local", permissionsRole="Super-Admin")
    )
    assert response.json()["permissionsRole"] == "super-admin"


async def test_a_put_without_role_keeps_a_role_an_admin_set_by_hand(client, operator):
    from domain.commands import AssignRole

    created = (await client.post("/Users", json=okta_user("jane@okta.local"))).json()
    await bus.handle(AssignRole(created["id"], "limited-plus-user"), operator)

    body = okta_user("jane@okta.local")
    replaced = await client.put(f"/Users/{created['id']}", json=body)

    assert replaced.json()["permissionsRole"] == "limited-plus-user"


async def test_okta_spec_suite_checks(client, app_transport):
    import httpx

    await client.post("/Users", json=okta_user("existing@okta.local"))
    # 1 and 2: list and read
    first = (await client.get("/Users?count=1&startIndex=1")).json()
    assert isinstance(first["itemsPerPage"], int)
    assert isinstance(first["startIndex"], int)
    assert isinstance(first["totalResults"], int)
    resource = first["Resources"][0]
    for key in ("id", "userName", "active"):
        assert resource[key] not in (None, "")
    assert resource["name"]["familyName"]
    assert resource["emails"][0]["value"]
    # 3 and 5: unknown user names
    invalid = (await client.get(lookup("abcdefgh@atko.com"))).json()
    assert invalid["totalResults"] == 0
    # 4 and 12: unknown ids
    for unknown in ("010101001010101011001010101011", "00919288221112222"):
        assert_scim_error(await client.get(f"/Users/{unknown}"), 404)
    # 6: create with Content-Type application/json
    created = await client.post(
        "/Users",
        content=httpx.Request("POST", "/", json=okta_user("runscope123@atko.com")).content,
        headers={
            "Content-Type": "application/json",
            "Accept": "application/scim+json; charset=utf-8",
        },
    )
    assert created.status_code == 201
    # 8: recreate
    assert_scim_error(
        await client.post("/Users", json=okta_user("runscope123@atko.com")), 409, "uniqueness"
    )
    # 9: case
    assert (await client.get(lookup("RUNSCOPE123@ATKO.COM"))).status_code == 200
    # 11: a wrong Authorization header
    async with httpx.AsyncClient(
        transport=app_transport, base_url="http://roster.test/scim/v2"
    ) as c:
        wrong = await c.get(lookup("x@atko.com"), headers={"Authorization": "non-token"})
    assert_scim_error(wrong, 401)
    assert wrong.headers["www-authenticate"].lower().startswith("bearer")
