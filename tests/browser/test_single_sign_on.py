"""Single sign-on in a real browser, against a real OpenID provider (the certified
`oidc-provider`, tests/sso/idp): a super-admin connects it on the Organization page with Okta's
checklist beside, and people provisioned over SCIM sign in with "Sign in with SSO", Playwright
following every redirect and typing into the provider's own login and consent pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.browser.conftest import start_oidc_provider
from tests.browser.helpers import (
    PATCH_SCHEMA,
    Roster,
    go,
    sign_in,
    toast,
    user_row,
    watch_console,
)
from tests.sso.conftest import OidcProvider

pytestmark = pytest.mark.browser

CONNECTION = "id issuer clientId clientSecretHint redirectUri testedAt"
CONFIGURE = f"""mutation ($input: OidcConnectionInput!) {{
  configureOidcConnection(input: $input) {{
    __typename
    ... on SsoConnectionPayload {{ connection {{ {CONNECTION} }} }}
    ... on Error {{ message }}
  }}
}}"""
CONNECTIONS = f"{{ organization {{ ssoConnections {{ {CONNECTION} }} }} }}"
DELETE = "mutation ($id: ID!) { deleteSsoConnection(id: $id) { __typename } }"


@pytest.fixture(scope="module")
def provider(roster: Roster) -> Iterator[OidcProvider]:
    """The provider, with Roster's client returning to this module's server only (its
    ROSTER_PUBLIC_URL is the address it serves on)."""
    yield from start_oidc_provider(f"{roster.url}/sso/oidc/callback")


@pytest.fixture(autouse=True)
def offline_provider_pages(context: BrowserContext) -> None:
    """The provider's development pages import a web font from Google: answered here with an
    empty style sheet, so the tests stay offline (a failed load is a console error)."""

    def empty(route: Route) -> None:
        route.fulfill(status=200, content_type="text/css", body="")

    context.route(re.compile(r"^https://fonts\.(googleapis|gstatic)\.com/"), empty)


def as_super_admin(roster: Roster, query: str, **variables: Any) -> dict[str, Any]:
    """A GraphQL call as the organization's super-admin, signed in with their password."""
    with httpx.Client(base_url=roster.url, headers={"X-Roster-CSRF": "1"}, timeout=10) as http:
        login = http.post(
            "/graphql",
            json={
                "query": "mutation ($e: String!, $p: String!) { login(email: $e, password: $p)"
                " { __typename } }",
                "variables": {"e": roster.admin_email, "p": roster.admin_password},
            },
        )
        assert login.json()["data"]["login"]["__typename"] == "LoginPayload", login.text
        body = http.post("/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in body, body
    return dict(body["data"])


def remove_connections(roster: Roster) -> None:
    for connection in as_super_admin(roster, CONNECTIONS)["organization"]["ssoConnections"]:
        as_super_admin(roster, DELETE, id=connection["id"])


@pytest.fixture
def connected(roster: Roster, provider: OidcProvider) -> dict[str, Any]:
    """acme's OIDC connection to the provider, as a super-admin configures it."""
    variables = {
        "issuer": provider.issuer,
        "clientId": provider.client_id,
        "clientSecret": provider.client_secret,
    }
    result = as_super_admin(roster, CONFIGURE, input=variables)["configureOidcConnection"]
    assert result["__typename"] == "SsoConnectionPayload", result
    return dict(result["connection"])


def sign_in_with_sso(page: Page, who: str, login: str, *, start: str = "/") -> None:
    """On the sign-in page: "Sign in with SSO" as `who` (an email or an organization ID), then
    the provider's login page as `login` (any password) and its consent page."""
    page.goto(start)
    sso = page.get_by_role("form", name="Sign in with your identity provider")
    sso.get_by_label("Work email or organization ID").fill(who)
    sso.get_by_role("button", name="Sign in with SSO").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    page.locator("button[type=submit]", has_text="Continue").click()  # consent


def test_a_super_admin_connects_okta_with_the_checklist_beside(
    page: Page, roster: Roster, provider: OidcProvider
):
    remove_connections(roster)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, roster)
    section = page.locator("#single-sign-on")
    redirect_uri = f"{roster.url}/sso/oidc/callback"
    expect(page.locator("#sso-status")).to_contain_text("Single sign-on is not set up.")
    expect(section.get_by_label("Redirect URI", exact=True)).to_have_value(redirect_uri)

    checklist = page.locator("#sso-setup")
    expect(checklist.locator("ol.steps > li")).to_have_count(5)
    create = checklist.locator(".okta-oidc-create")
    expect(create.get_by_role("row", name=re.compile("^Sign-in method"))).to_contain_text(
        "OIDC - OpenID Connect"
    )
    expect(create.get_by_role("row", name=re.compile("^Application type"))).to_contain_text(
        "Web Application"
    )
    settings = checklist.locator(".okta-oidc-settings")
    expect(settings.get_by_role("row", name=re.compile("^Grant type"))).to_contain_text(
        "Authorization Code only"
    )
    expect(settings.get_by_role("row", name=re.compile("^Sign-in redirect URIs"))).to_contain_text(
        redirect_uri
    )
    copy = checklist.get_by_role("button", name="Copy sign-in redirect URI", exact=True)
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == redirect_uri
    expect(checklist).to_contain_text("only users provisioned by SCIM can sign in")
    expect(checklist).not_to_contain_text("SAML")

    issuer = section.get_by_label("Issuer URL")
    issuer.fill(f"{provider.issuer}/nowhere")
    section.get_by_label("Client ID").fill(provider.client_id)
    secret = section.get_by_label("Client secret")
    expect(secret).to_have_attribute("type", "password")
    expect(secret).to_have_attribute("autocomplete", "off")
    secret.fill(provider.client_secret)
    section.get_by_role("button", name="Connect").click()
    expect(issuer).to_have_attribute("aria-invalid", "true")
    expect(section.locator(".field-error:not([hidden])")).to_contain_text(
        "/nowhere/.well-known/openid-configuration answered 404"
    )
    expect(issuer).to_be_focused()

    issuer.fill(provider.issuer)
    section.get_by_role("button", name="Connect").click()
    expect(toast(page)).to_contain_text("Single sign-on is set up.")
    expect(section.locator("#sso-issuer")).to_have_text(provider.issuer)
    expect(section.locator("#sso-client-id")).to_have_text(provider.client_id)
    expect(section.locator("#sso-client-secret code")).to_have_text(
        f"…{provider.client_secret[-4:]}"
    )
    assert provider.client_secret not in page.content()
    expect(section.get_by_label("Redirect URI", exact=True)).to_have_value(redirect_uri)
    expect(page.locator("#sso-status")).to_have_text(
        "No sign-in yet — test it with Test sign-in below."
    )
    expect(section.get_by_role("link", name="Test sign-in")).to_have_attribute(
        "href", f"/sso/start?organization={roster.org}&return_to=/%23/organization"
    )
    paste = checklist.locator("ol.steps > li").nth(3)
    expect(paste.locator(".badge")).to_have_text("Done")

    section.get_by_role("button", name="Edit the single sign-on connection").click()
    expect(issuer).to_be_focused()
    expect(issuer).to_have_value(provider.issuer)
    expect(section.get_by_label("Client secret")).to_have_value("")
    expect(
        section.get_by_text("Leave it empty to keep the current secret (…cret).")
    ).to_be_visible()
    section.get_by_role("button", name="Update connection").click()
    expect(toast(page)).to_contain_text("Single sign-on connection updated.")
    expect(section.locator("#sso-client-secret code")).to_have_text("…cret")

    section.get_by_role("button", name="Remove the single sign-on connection").click()
    dialog = page.get_by_role("dialog", name="Remove single sign-on?")
    expect(dialog).to_contain_text("Users will then sign in with passwords only")
    dialog.get_by_role("button", name="Cancel").click()
    expect(section.locator("#sso-issuer")).to_have_text(provider.issuer)


def test_test_sign_in_brings_a_super_admin_back_to_the_organization_page(
    page: Page, roster: Roster, okta_token: str, connected: dict[str, Any]
):
    created = roster.provision(okta_token, "sam.root@acme.test", role="super-admin")
    assert created.status_code == 201, created.text
    sign_in(page, roster)

    page.locator("#single-sign-on").get_by_role("link", name="Test sign-in").click()
    page.locator("input[name=login]").fill("sam.root@acme.test")
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    page.locator("button[type=submit]", has_text="Continue").click()

    expect(page.get_by_role("heading", level=1, name="Organization")).to_be_visible()
    assert page.url == f"{roster.url}/#/organization"
    expect(page.locator(".viewer")).to_contain_text("sam.root@acme.test")
    expect(page.locator("#sso-status")).to_have_text("Last successful sign-in: just now.")
    test_step = page.locator("#sso-setup ol.steps > li").nth(4)
    expect(test_step.locator(".badge")).to_have_text("Done")


def test_an_admin_provisioned_over_scim_signs_in_with_sso_and_out(
    page: Page, roster: Roster, okta_token: str, connected: dict[str, Any]
):
    created = roster.provision(okta_token, "jane.doe@acme.test", role="admin")
    assert created.status_code == 201, created.text

    # going to the Users page, signed out: the sign-in page, then back to the Users page
    sign_in_with_sso(page, "Jane.Doe@acme.test", "jane.doe@acme.test", start="/#/users")

    expect(page.get_by_role("heading", level=1, name="Users")).to_be_visible()
    assert page.url == f"{roster.url}/#/users"
    expect(page.locator(".viewer")).to_contain_text("jane.doe@acme.test")
    expect(page.locator(".viewer")).to_contain_text("Application Admin")
    expect(user_row(page, "jane.doe@acme.test")).to_contain_text("Jane Doe")
    go(page, "Organization")
    expect(page.locator("#scim-integration")).to_be_visible()
    expect(page.locator("#single-sign-on")).to_have_count(0)  # for super admins only

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Roster")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Sign in to Roster")).to_be_visible()


def test_sign_in_with_sso_works_with_the_keyboard_alone(
    page: Page, roster: Roster, okta_token: str, connected: dict[str, Any]
):
    page.goto("/")
    expect(page.get_by_label("Email", exact=True)).to_be_focused()
    page.keyboard.press("Tab")  # the password
    page.keyboard.press("Tab")  # Sign in
    page.keyboard.press("Tab")
    who = page.get_by_label("Work email or organization ID")
    expect(who).to_be_focused()
    page.keyboard.press("Enter")
    expect(who).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Enter your work email, or your organization's ID.")).to_be_visible()
    page.keyboard.type(roster.org)
    with page.expect_request(re.compile(r"/sso/start\?")) as started:
        page.keyboard.press("Enter")
    assert started.value.url == f"{roster.url}/sso/start?organization=acme&return_to=%2F"
    expect(page.locator("input[name=login]")).to_be_visible()


def test_a_basic_user_provisioned_over_scim_signs_in_to_the_no_access_page(
    page: Page, roster: Roster, okta_token: str, connected: dict[str, Any]
):
    created = roster.provision(okta_token, "bob.basic@acme.test", role="basic-user")
    assert created.status_code == 201, created.text

    sign_in_with_sso(page, "bob.basic@acme.test", "bob.basic@acme.test")

    expect(page.get_by_role("heading", name="Your role has no access to settings")).to_be_visible()
    expect(page.locator("main")).to_contain_text("bob.basic@acme.test")
    expect(page.locator("main")).to_contain_text("Basic User")
    expect(page.get_by_role("navigation", name="Settings")).to_have_count(0)


def test_someone_roster_was_never_sent_is_refused_and_not_signed_in(
    context: BrowserContext, roster: Roster, connected: dict[str, Any]
):
    page = context.new_page()
    errors = watch_console(page)
    sign_in_with_sso(page, roster.org, "stranger@acme.test")

    refusal = page.locator("main#sso-refusal")
    expect(refusal).to_have_attribute("data-reason", "unknown_user")
    expect(refusal).to_contain_text("Your administrator has not assigned you Roster")
    assert "roster_session" not in {cookie["name"] for cookie in page.context.cookies()}

    refusal.get_by_role("link", name="Back to sign-in").click()
    expect(page.get_by_role("heading", name="Sign in to Roster")).to_be_visible()
    # the refusal page's own status, which Chromium reports; nothing else
    assert errors == [
        "console: Failed to load resource: the server responded with a status of 403 (Forbidden)"
    ]


def test_a_user_deactivated_over_scim_is_signed_out_on_their_next_request(
    page: Page, roster: Roster, okta_token: str, connected: dict[str, Any]
):
    created = roster.provision(okta_token, "lea.leaver@acme.test", role="admin")
    assert created.status_code == 201, created.text
    sign_in_with_sso(page, "lea.leaver@acme.test", "lea.leaver@acme.test")
    expect(page.get_by_role("heading", level=1, name="Organization")).to_be_visible()

    leave = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    user_id = created.json()["id"]
    assert roster.scim("PATCH", f"/Users/{user_id}", okta_token, leave).status_code == 200

    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Sign in to Roster")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Your session ended")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Sign in to Roster")).to_be_visible()
