"""The SCIM protocol rules: media types, bad input, ETags, paging, sorting, projection,
discovery and tenancy."""

from __future__ import annotations

import asyncio
import json

import pytest

from domain import bus
from domain.commands import CreateCustomRole
from domain.models import AuditEvent, User
from tests.scim.conftest import PATCH_SCHEMA, SCIM_JSON, USER_SCHEMA, assert_scim_error, okta_user


async def create(client, user_name: str, **extra: object) -> dict[str, object]:
    response = await client.post("/Users", json=okta_user(user_name, **extra))
    assert response.status_code == 201, response.text
    return response.json()


def patch(*operations: dict[str, object]) -> dict[str, object]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


# --- media types and bad input ------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["application/scim+json", "application/json", "application/json; charset=utf-8", ""],
)
async def test_json_bodies_are_read_whatever_json_media_type_is_declared(client, content_type):
    response = await client.post(
        "/Users",
        content=json.dumps(okta_user("jane@okta.local")),
        headers={"Content-Type": content_type},
    )
    assert response.status_code == 201
    assert response.headers["content-type"] == SCIM_JSON


async def test_a_body_that_is_not_json_media_is_refused(client):
    response = await client.post(
        "/Users", content="userName=x", headers={"Content-Type": "text/plain"}
    )
    assert_scim_error(response, 415)


@pytest.mark.parametrize(
    ("content", "scim_type"),
    [
        ("{not json", "invalidSyntax"),
        ("[1, 2]", "invalidSyntax"),
        ('"a string"', "invalidSyntax"),
        ("", "invalidSyntax"),
        ('{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}', None),
        ('{"userName": 42}', None),
        ('{"userName": "x", "shoeSize": 44}', "invalidSyntax"),
        ('{"userName": "x", "active": "perhaps"}', None),
        ('{"userName": "x", "schemas": ["urn:example:unknown"]}', None),
    ],
)
async def test_bad_create_bodies_get_a_4xx_scim_error_and_change_nothing(
    client, content, scim_type
):
    response = await client.post("/Users", content=content)
    assert 400 <= response.status_code < 500
    assert_scim_error(response, response.status_code, scim_type)
    assert await User.all().count() == 0


async def test_a_body_over_one_mebibyte_is_refused_before_being_read(client):
    response = await client.post("/Users", content=b"{" + b" " * (1024 * 1024 + 10) + b"}")
    assert_scim_error(response, 413)


async def test_the_placeholder_password_is_never_stored_or_returned(client):
    user = await create(client, "jane@okta.local", password="s3cr3t-placeholder")
    stored = await User.get(id=user["id"])
    assert stored.password_hash is None
    assert "s3cr3t-placeholder" not in json.dumps(user)


async def test_read_only_attributes_in_a_put_are_ignored(client):
    user = await create(client, "jane@okta.local")
    body = dict(user)
    body["id"] = "something-else"
    body["meta"] = {"resourceType": "User", "version": 'W/"99"'}
    body["groups"] = [{"value": "g1"}]
    response = await client.put(f"/Users/{user['id']}", json=body)
    assert response.status_code == 200
    assert response.json()["id"] == user["id"]


async def test_renaming_to_a_taken_user_name_is_a_conflict(client):
    await create(client, "jane@okta.local")
    john = await create(client, "john@okta.local")
    body = okta_user("JANE@okta.local")
    assert_scim_error(await client.put(f"/Users/{john['id']}", json=body), 409, "uniqueness")


async def test_concurrent_duplicate_creates_give_exactly_one_201(client):
    responses = await asyncio.gather(
        *(
            client.post("/Users", json=okta_user(name))
            for name in ["a@x.io", "A@x.io", "a@X.io"] * 3
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 8
    assert await User.all().count() == 1


# --- PATCH ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "scim_type"),
    [
        ({"schemas": [PATCH_SCHEMA]}, 400, "invalidSyntax"),
        ({"schemas": [PATCH_SCHEMA], "Operations": []}, 400, "invalidSyntax"),
        (patch({"op": "move", "path": "title", "value": "x"}), 400, None),
        (patch({"op": "replace", "path": "shoeSize", "value": 44}), 400, "invalidPath"),
        (patch({"op": "replace", "path": "id", "value": "x"}), 400, "mutability"),
        (patch({"op": "remove", "path": "userName"}), 400, None),
        (patch({"op": "replace", "path": "active", "value": "perhaps"}), 400, None),
        (patch({"op": "replace", "path": "permissionsRole", "value": "boss"}), 400, "invalidValue"),
        (patch({"op": "replace", "path": 'title[value eq "x"]', "value": "x"}), 400, None),
    ],
)
async def test_bad_patches_are_refused_and_change_nothing(client, body, status, scim_type):
    user = await create(client, "jane@okta.local", title="CTO")

    response = await client.patch(f"/Users/{user['id']}", json=body)

    assert_scim_error(response, status, scim_type)
    stored = await User.get(id=user["id"])
    assert (stored.title, stored.version, stored.active) == ("CTO", 1, True)


async def test_several_operations_apply_all_or_nothing(client):
    user = await create(client, "jane@okta.local", title="CTO")

    response = await client.patch(
        f"/Users/{user['id']}",
        json=patch(
            {"op": "replace", "path": "title", "value": "CEO"},
            {"op": "replace", "path": "permissionsRole", "value": "no-such-role"},
        ),
    )

    assert response.status_code == 400
    assert (await User.get(id=user["id"])).title == "CTO"


@pytest.mark.parametrize("value", ["false", "False", False])
async def test_boolean_strings_are_read_as_booleans(client, value):
    user = await create(client, "jane@okta.local")
    response = await client.patch(
        f"/Users/{user['id']}", json=patch({"op": "replace", "value": {"active": value}})
    )
    assert response.json()["active"] is False


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "replace", "value": {"active": False}}],  # Okta
        [{"op": "Replace", "path": "active", "value": "False"}],  # Entra ID
        [{"op": "add", "path": f"{USER_SCHEMA}:active", "value": False}],
        [
            {"op": "replace", "value": {"active": True}},
            {"op": "replace", "path": "active", "value": False},
        ],
    ],
)
async def test_a_patch_of_active_alone_deactivates_like_any_other_patch(client, operations):
    user = await create(client, "jane@okta.local", title="CTO")
    other = await create(client, "john@okta.local", title="CTO")
    general = patch({"op": "replace", "value": {"active": False, "title": "CTO"}})
    expected = (await client.patch(f"/Users/{other['id']}", json=general)).json()
    await client.patch(f"/Users/{other['id']}", json=general)

    response = await client.patch(f"/Users/{user['id']}", json=patch(*operations))
    again = await client.patch(f"/Users/{user['id']}", json=patch(*operations))

    body = response.json()
    assert (response.status_code, response.headers["etag"]) == (200, 'W/"2"')
    assert (again.status_code, again.headers["etag"]) == (200, 'W/"2"')  # nothing left to change
    assert body == (await client.get(f"/Users/{user['id']}")).json()
    unique = {"id", "userName", "emails", "meta"}
    assert {k: v for k, v in body.items() if k not in unique} == {
        k: v for k, v in expected.items() if k not in unique
    }
    assert await audited(user["id"]) == await audited(other["id"])
    assert (await audited(user["id"]))[:2] == [
        ("user.provisioned", True),
        ("user.deactivated", True),
    ]


async def audited(user_id: object) -> list[tuple[str, bool]]:
    """The user's audit trail: each action and whether it changed anything."""
    events = await AuditEvent.filter(target_id=user_id).order_by("id")
    return [(event.action, bool(event.changes)) for event in events]


async def test_a_patch_of_active_alone_honours_if_match(client):
    user = await create(client, "jane@okta.local")
    body = patch({"op": "replace", "value": {"active": False}})

    stale = await client.patch(f"/Users/{user['id']}", json=body, headers={"If-Match": 'W/"7"'})
    fresh = await client.patch(f"/Users/{user['id']}", json=body, headers={"If-Match": 'W/"1"'})

    assert_scim_error(stale, 412)
    assert (fresh.status_code, fresh.json()["active"]) == (200, False)


async def test_patch_answers_200_with_the_resource(client):
    user = await create(client, "jane@okta.local")
    response = await client.patch(
        f"/Users/{user['id']}", json=patch({"op": "add", "path": "nickName", "value": "JJ"})
    )
    assert response.status_code == 200
    assert response.json()["nickName"] == "JJ"
    assert response.headers["etag"] == 'W/"2"'


# --- ETags ---------------------------------------------------------------------------------


async def test_a_stale_if_match_is_refused_with_412_and_changes_nothing(client):
    user = await create(client, "jane@okta.local")
    await client.patch(
        f"/Users/{user['id']}", json=patch({"op": "add", "path": "title", "value": "A"})
    )

    stale = {"If-Match": 'W/"1"'}
    responses = [
        await client.patch(
            f"/Users/{user['id']}",
            json=patch({"op": "add", "path": "title", "value": "B"}),
            headers=stale,
        ),
        await client.put(f"/Users/{user['id']}", json=okta_user("jane@okta.local"), headers=stale),
        await client.delete(f"/Users/{user['id']}", headers=stale),
    ]

    for response in responses:
        assert_scim_error(response, 412)
    assert (await User.get(id=user["id"])).title == "A"


async def test_a_current_if_match_is_accepted(client):
    user = await create(client, "jane@okta.local")
    response = await client.patch(
        f"/Users/{user['id']}",
        json=patch({"op": "add", "path": "title", "value": "A"}),
        headers={"If-Match": 'W/"1"'},
    )
    assert response.status_code == 200


async def test_if_none_match_with_the_current_etag_gives_304(client):
    user = await create(client, "jane@okta.local")
    response = await client.get(f"/Users/{user['id']}", headers={"If-None-Match": 'W/"1"'})
    assert response.status_code == 304
    changed = await client.get(f"/Users/{user['id']}", headers={"If-None-Match": 'W/"0"'})
    assert changed.status_code == 200


# --- listing ---------------------------------------------------------------------------------


async def seed(client, count: int) -> list[str]:
    return [str((await create(client, f"user{i:02d}@okta.local"))["id"]) for i in range(count)]


async def test_paging_defaults_work_without_parameters(client):
    await seed(client, 3)
    body = (await client.get("/Users")).json()
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (3, 1, 3)


@pytest.mark.parametrize(
    ("query", "start", "items"),
    [
        ("startIndex=0&count=2", 1, 2),
        ("startIndex=-5&count=2", 1, 2),
        ("startIndex=3&count=10", 3, 3),
        ("count=-1", 1, 0),
        ("count=0", 1, 0),
        ("startIndex=99", 99, 0),
    ],
)
async def test_start_index_and_count_follow_rfc_7644(client, query, start, items):
    await seed(client, 5)
    body = (await client.get(f"/Users?{query}")).json()
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (5, start, items)
    assert len(body["Resources"]) == items


async def test_a_list_without_count_returns_every_user_in_one_page(client):
    await seed(client, 120)  # more than a page of Okta's (count=100)

    body = (await client.get("/Users")).json()
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
    searched = (await client.post("/.search", json=search)).json()

    assert (body["totalResults"], body["itemsPerPage"], len(body["Resources"])) == (120, 120, 120)
    assert searched["itemsPerPage"] == 120


async def test_count_above_the_maximum_is_capped(client):
    await seed(client, 2)
    body = (await client.get("/Users?count=100000")).json()
    assert body["itemsPerPage"] == 2


async def test_non_numeric_paging_values_are_invalid(client):
    assert_scim_error(await client.get("/Users?count=ten"), 400, "invalidValue")
    assert_scim_error(await client.get("/Users?startIndex=first"), 400, "invalidValue")


async def test_the_order_is_the_same_whatever_the_page_size(client):
    await seed(client, 7)
    whole = [r["id"] for r in (await client.get("/Users?count=100")).json()["Resources"]]
    paged = []
    for start in (1, 4, 7):
        page = (await client.get(f"/Users?startIndex={start}&count=3")).json()
        paged += [r["id"] for r in page["Resources"]]
    assert paged == whole


async def test_cursor_paging_walks_every_user_once(client):
    ids = await seed(client, 7)
    seen: list[str] = []
    cursor = ""
    while True:
        body = (await client.get(f"/Users?count=3&cursor={cursor}")).json()
        assert "startIndex" not in body
        seen += [r["id"] for r in body["Resources"]]
        cursor = body.get("nextCursor")
        if not cursor:
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(ids)


async def test_a_cursor_the_server_did_not_issue_is_refused(client):
    assert_scim_error(await client.get("/Users?cursor=bogus"), 400, "invalidCursor")


async def test_okta_password_sync_is_accepted_and_stores_nothing(client):
    user = await create(client, "jane@okta.local")
    response = await client.patch(
        f"/Users/{user['id']}", json=patch({"op": "replace", "value": {"password": "n3w-pass"}})
    )
    assert response.status_code == 200
    assert "password" not in response.json()
    stored = await User.get(id=user["id"])
    assert (stored.password_hash, stored.version) == (None, 1)


async def test_sort_by_user_name_descending(client):
    for name in ["b@x.io", "a@x.io", "c@x.io"]:
        await create(client, name)
    body = (await client.get("/Users?sortBy=userName&sortOrder=descending")).json()
    assert [r["userName"] for r in body["Resources"]] == ["c@x.io", "b@x.io", "a@x.io"]


async def test_an_unsupported_sort_is_invalid(client):
    assert_scim_error(await client.get("/Users?sortBy=addresses.locality"), 400, "invalidValue")


async def test_a_malformed_filter_is_an_invalid_filter(client):
    detail = assert_scim_error(await client.get("/Users?filter=userName eq"), 400, "invalidFilter")
    assert "column" in detail or "syntax" in detail


async def test_a_filter_on_an_attribute_we_do_not_serve_matches_nothing(client):
    await seed(client, 2)
    body = (await client.get('/Users?filter=shoeSize eq "44"')).json()
    assert body["totalResults"] == 0


async def test_projection_with_attributes_and_excluded_attributes(client):
    user = await create(client, "jane@okta.local", permissionsRole="admin")

    only = (await client.get(f"/Users/{user['id']}?attributes=userName,emails.value")).json()
    assert set(only) == {"schemas", "id", "userName", "emails"}
    assert only["emails"] == [{"value": "jane@okta.local"}]

    without = (await client.get("/Users?excludedAttributes=emails,permissionsRole")).json()
    resource = without["Resources"][0]
    assert "emails" not in resource
    assert "permissionsRole" not in resource
    assert resource["userName"] == "jane@okta.local"


async def test_search_by_post_filters_pages_and_projects(client):
    await seed(client, 4)
    response = await client.post(
        "/Users/.search",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName sw "user0"',
            "attributes": ["userName"],
            "startIndex": 2,
            "count": 2,
        },
    )
    body = response.json()
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (4, 2, 2)
    assert all(set(r) == {"schemas", "id", "userName"} for r in body["Resources"])


# --- tenancy and auth -------------------------------------------------------------------------


async def test_another_organization_cannot_see_or_change_a_user(client, other_client):
    user = await create(client, "jane@okta.local")
    path = f"/Users/{user['id']}"

    own_missing = await client.get("/Users/00000000-0000-0000-0000-000000000000")
    theirs = await other_client.get(path)
    assert theirs.json()["detail"].replace(user["id"], "ID") == own_missing.json()[
        "detail"
    ].replace("00000000-0000-0000-0000-000000000000", "ID")
    for response in (
        theirs,
        await other_client.put(path, json=okta_user("x@okta.local")),
        await other_client.patch(path, json=patch({"op": "add", "path": "title", "value": "x"})),
        await other_client.delete(path),
    ):
        assert_scim_error(response, 404)
    assert (await other_client.get("/Users")).json()["totalResults"] == 0
    assert (await User.get(id=user["id"])).title is None


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer rst_scim_wrongwrongwrong", "Token abc"],
)
async def test_requests_without_a_valid_token_get_401(app_transport, authorization):
    import httpx

    headers = {"Authorization": authorization} if authorization is not None else {}
    async with httpx.AsyncClient(transport=app_transport, base_url="http://roster.test") as c:
        for path in ("/scim/v2/Users", "/scim/v2/Schemas", "/scim/v2/ServiceProviderConfig"):
            response = await c.get(path, headers=headers)
            assert_scim_error(response, 401)
            assert response.headers["www-authenticate"].startswith("Bearer")


async def test_the_bearer_scheme_is_case_insensitive(app_transport, token):
    import httpx

    async with httpx.AsyncClient(transport=app_transport, base_url="http://roster.test") as c:
        for header in (f"bearer {token}", f"BEARER  {token}", f"Bearer Bearer {token}"):
            response = await c.get("/scim/v2/Users", headers={"Authorization": header})
            assert response.status_code == 200


async def test_a_database_that_is_down_gives_503_with_retry_after(client, monkeypatch):
    from tortoise.exceptions import DBConnectionError

    from scim import requests

    async def down(token: str):
        raise DBConnectionError("connection refused")

    monkeypatch.setattr(requests, "authenticate_scim", down)
    response = await client.get("/Users")
    assert_scim_error(response, 503)
    assert response.headers["retry-after"].isdigit()


async def test_a_database_shut_down_mid_request_gives_503_not_500(client, monkeypatch):
    from asyncpg.exceptions import AdminShutdownError

    from domain import queries

    async def shut_down(*args, **kwargs):
        raise AdminShutdownError("terminating connection due to administrator command")

    monkeypatch.setattr(queries, "list_users", shut_down)
    response = await client.get("/Users")
    assert_scim_error(response, 503)
    assert response.headers["retry-after"].isdigit()
    assert "administrator" not in response.text


# --- discovery ----------------------------------------------------------------------------


async def test_service_provider_config_says_what_is_supported(client):
    body = (await client.get("/ServiceProviderConfig")).json()
    assert body["patch"]["supported"] is True
    assert body["bulk"]["supported"] is False
    assert body["filter"] == {"supported": True, "maxResults": 1000}
    assert body["etag"]["supported"] is True
    assert body["sort"]["supported"] is True
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"


async def test_resource_types_are_users_and_groups(client):
    body = (await client.get("/ResourceTypes")).json()
    assert [r["id"] for r in body["Resources"]] == ["User", "Group"]
    user = (await client.get("/ResourceTypes/User")).json()
    assert user["endpoint"] == "/Users"
    assert user["schemaExtensions"][0]["schema"].endswith("enterprise:2.0:User")
    group = (await client.get("/ResourceTypes/Group")).json()
    assert group["endpoint"] == "/Groups"
    assert group["schema"] == "urn:ietf:params:scim:schemas:core:2.0:Group"
    assert_scim_error(await client.get("/ResourceTypes/Device"), 404)


async def test_the_group_schema_is_served(client):
    body = (await client.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group")).json()

    assert body["name"] == "Group"
    assert {a["name"] for a in body["attributes"]} >= {"displayName", "members"}


async def test_the_user_schema_lists_the_organizations_role_strings(client, operator):
    finance = await bus.handle(CreateCustomRole("Finance", "limited-user"), operator)

    body = (await client.get("/Schemas")).json()
    schemas = {s["id"]: s for s in body["Resources"]}
    user = schemas[USER_SCHEMA]
    role = next(a for a in user["attributes"] if a["name"] == "permissionsRole")
    assert role["type"] == "string"
    assert role["canonicalValues"] == [
        "super-admin",
        "admin",
        "basic-user",
        "limited-plus-user",
        "limited-user",
        "appstore-user",
        finance.key,
    ]
    enterprise = schemas["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]
    assert {a["name"] for a in enterprise["attributes"]} >= {
        "employeeNumber",
        "department",
        "organization",
        "costCenter",
        "division",
        "manager",
    }
    one = await client.get(f"/Schemas/{USER_SCHEMA}")
    assert one.json()["id"] == USER_SCHEMA


async def test_unknown_endpoints_and_methods_get_scim_errors(client):
    assert_scim_error(await client.get("/Devices"), 404)
    assert_scim_error(await client.get("/Schemas/urn:nope"), 404)
    assert_scim_error(await client.post("/ServiceProviderConfig", json={}), 405)
    assert_scim_error(await client.delete("/Users"), 405)


async def test_a_value_too_long_is_named_as_the_scim_attribute_it_came_in(client):
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "long@acme.test",
        "displayName": "x" * 600,
        "name": {"givenName": "Ada"},
    }
    response = await client.post("/Users", json=body)
    assert_scim_error(response, 400)
    assert response.json()["scimType"] == "invalidValue"
    assert response.json()["detail"] == "displayName: at most 512 characters"
    body = {**body, "displayName": "Ada", "name": {"givenName": "y" * 300}}
    detail = (await client.post("/Users", json=body)).json()["detail"]
    assert detail == "name.givenName: at most 256 characters"


# --- unmatched paths ----------------------------------------------------------------------


UNMATCHED = [
    "/Users/a%0Ab",  # a line feed in an id
    "/Users/a%0A",
    "/Users%0A",  # not /Users
    "/Users/a%0Db",  # a carriage return
    "/Users/a%09b",  # a tab
    "/Users/%0A",
    "/%0A",
    "/Nope",
    "/Users/x/y",
    "/Schemas/x/y",
    "/",
]


@pytest.mark.parametrize("path", UNMATCHED)
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
async def test_every_unmatched_path_under_the_door_answers_a_scim_error(client, method, path):
    response = await client.request(method, path, json={})

    assert 400 <= response.status_code < 500
    assert_scim_error(response, response.status_code)
