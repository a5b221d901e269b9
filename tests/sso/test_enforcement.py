"""Enforcing single sign-on: password sign-in is off for everyone but one named break-glass
super-admin, and it cannot be turned on before a connection has signed someone in."""

from __future__ import annotations

import httpx

from domain import bus
from domain.commands import CreateAdmin
from tests.api.conftest import BASE, PASSWORD, GraphQLClient
from tests.conftest import provision
from tests.sso.conftest import browse_sign_in, viewer

ENFORCE = """mutation($enforced: Boolean!, $glass: ID) {
  setSsoEnforced(enforced: $enforced, breakGlassUserId: $glass) {
    __typename
    ... on OrganizationPayload { organization { ssoEnforced breakGlassUser { userName } } }
    ... on Error { message }
  }
}"""
DELETE = """mutation($id: ID!) {
  deleteSsoConnection(id: $id) { __typename ... on Error { message } }
}"""


async def password_sign_in(app_transport, email: str) -> dict[str, object]:
    async with httpx.AsyncClient(transport=app_transport, base_url=BASE) as http:
        return await GraphQLClient(http).login(email, PASSWORD)


async def signed_in_once(browser, scim) -> None:
    """A sign-in through the connection, as its test."""
    await provision(scim, "jane@acme.test", role="admin")
    answer = await browse_sign_in(browser, "jane@acme.test")
    assert answer.status_code == 303, answer.text
    browser.cookies.clear()


async def test_enforcing_waits_for_a_connection_that_signed_someone_in(
    root, connection, super_admin_id
):
    data = await root(ENFORCE, enforced=True, glass=super_admin_id)

    result = data["setSsoEnforced"]
    assert result["__typename"] == "ValidationError"
    assert "test a sign-in" in result["message"]


async def test_enforced_sso_turns_password_sign_in_off_but_for_the_break_glass_admin(
    root, connection, super_admin_id, browser, scim, operator, app_transport
):
    await signed_in_once(browser, scim)
    await bus.handle(CreateAdmin("second@acme.test", PASSWORD), operator)

    data = await root(ENFORCE, enforced=True, glass=super_admin_id)

    organization = data["setSsoEnforced"]["organization"]
    assert organization == {"ssoEnforced": True, "breakGlassUser": {"userName": "root@acme.test"}}
    refused = await password_sign_in(app_transport, "second@acme.test")
    assert refused["__typename"] == "AuthenticationError"
    assert "Sign in with SSO" in str(refused["message"])
    assert (await password_sign_in(app_transport, "root@acme.test"))["__typename"] == (
        "LoginPayload"
    )
    assert (await browse_sign_in(browser, "jane@acme.test")).status_code == 303
    assert await viewer(browser) is not None


async def test_turning_enforcement_off_lets_passwords_in_again(
    root, connection, super_admin_id, browser, scim, operator, app_transport
):
    await signed_in_once(browser, scim)
    await bus.handle(CreateAdmin("second@acme.test", PASSWORD), operator)
    await root(ENFORCE, enforced=True, glass=super_admin_id)

    data = await root(ENFORCE, enforced=False)

    assert data["setSsoEnforced"]["organization"]["ssoEnforced"] is False
    signed_in = await password_sign_in(app_transport, "second@acme.test")
    assert signed_in["__typename"] == "LoginPayload"


async def test_the_break_glass_admin_is_an_active_super_admin_with_a_password(
    root, connection, browser, scim
):
    await signed_in_once(browser, scim)
    jane = await provision(scim, "jane2@acme.test", role="super-admin")  # no password

    data = await root(ENFORCE, enforced=True, glass=str(jane.id))

    result = data["setSsoEnforced"]
    assert result["__typename"] == "ValidationError"
    assert "super-admin with a password" in result["message"]
    assert (await root(ENFORCE, enforced=True))["setSsoEnforced"]["__typename"] == (
        "ValidationError"
    )


async def test_a_connection_cannot_be_removed_while_sso_is_enforced(
    root, connection, super_admin_id, browser, scim
):
    await signed_in_once(browser, scim)
    await root(ENFORCE, enforced=True, glass=super_admin_id)

    data = await root(DELETE, id=connection["id"])

    assert data["deleteSsoConnection"]["__typename"] == "ValidationError"
    assert "enforced" in data["deleteSsoConnection"]["message"]
