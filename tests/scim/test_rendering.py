"""The fast rendering of users that lists use agrees with scim2-models' own."""

from __future__ import annotations

from scim2_models import Context

from domain import queries
from scim.resources import render, to_scim
from tests.scim.conftest import ENTERPRISE, USER_SCHEMA, okta_user

RICH = {
    "schemas": [USER_SCHEMA, ENTERPRISE],
    "userName": "rich@acme.test",
    "externalId": "00uRICH",
    "name": {
        "formatted": "Dr. Ann B. Rich III",
        "familyName": "Rich",
        "givenName": "Ann",
        "middleName": "B.",
        "honorificPrefix": "Dr.",
        "honorificSuffix": "III",
    },
    "displayName": "Ann Rich",
    "nickName": "Annie",
    "profileUrl": "https://example.com/ann",
    "title": "CFO",
    "userType": "Employee",
    "preferredLanguage": "fr-CA",
    "locale": "fr-CA",
    "timezone": "America/Toronto",
    "active": False,
    "emails": [
        {"value": "rich@acme.test", "type": "work", "primary": True, "display": "Work"},
        {"value": "ann@home.test", "type": "home", "primary": False},
    ],
    "phoneNumbers": [{"value": "+1 555 0100", "type": "mobile"}],
    "addresses": [{"type": "work", "streetAddress": "1 Main St", "locality": "Toronto"}],
    "ims": [{"value": "ann", "type": "xmpp"}],
    "photos": [{"value": "https://example.com/ann.png", "type": "photo"}],
    "entitlements": [{"value": "finance"}],
    "roles": [{"value": "approver"}],
    "permissionsRole": "admin",
    ENTERPRISE: {
        "employeeNumber": "42",
        "costCenter": "CC1",
        "organization": "Acme",
        "division": "Finance",
        "department": "Treasury",
        "manager": {"value": "boss-1", "$ref": "https://example.com/Users/boss-1"},
    },
}


async def test_rendering_agrees_with_scim2_models(client, operator):
    for body in (okta_user("plain@acme.test"), RICH, okta_user("b@acme.test", active=False)):
        created = await client.post("/Users", json=body)
        assert created.status_code == 201, created.text

    for user in (await queries.list_users(operator)).items:
        location = f"http://roster.test/scim/v2/Users/{user.id}"
        expected = to_scim(user, location).model_dump(
            scim_ctx=Context.RESOURCE_QUERY_RESPONSE, mode="json"
        )
        assert render(user, location) == expected, user.user_name
