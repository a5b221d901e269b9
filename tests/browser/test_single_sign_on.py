"""Single sign-on in a real browser, against real identity providers: the certified
`oidc-provider` (tests/sso/idp) for OpenID Connect and pysaml2 (tests/sso/saml_idp.py) for
SAML 2.0. A super-admin connects each on the Organization page with Okta's checklist beside,
and people provisioned over SCIM sign in with "Sign in with SSO", Playwright following every
redirect and typing into the provider's own pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.browser.helpers import (
    PATCH_SCHEMA,
    Roster,
    go,
    sign_in,
    toast,
    user_row,
    watch_console,
)
from tests.sso.oidc_provider import OidcProvider, running_oidc_provider
from tests.sso.saml_idp import SamlIdp, saml_idp

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
SAML_CONNECTION = "id protocol issuer ssoUrl metadataUrl spEntityId redirectUri testedAt"
CONFIGURE_SAML = f"""mutation ($input: SamlConnectionInput!) {{
  configureSamlConnection(input: $input) {{
    __typename
    ... on SsoConnectionPayload {{ connection {{ {SAML_CONNECTION} }} }}
    ... on Error {{ message }}
  }}
}}"""
SAML_CONNECTIONS = f"{{ organization {{ ssoConnections {{ {SAML_CONNECTION} }} }} }}"
DELETE = "mutation ($id: ID!) { deleteSsoConnection(id: $id) { __typename } }"


@pytest.fixture(scope="module")
def provider(roster: Roster) -> Iterator[OidcProvider]:
    """The provider, with Roster's client returning to this module's server only (its
    ROSTER_PUBLIC_URL is the address it serves on)."""
    with running_oidc_provider(f"{roster.url}/sso/oidc/callback") as provider:
        yield provider


@pytest.fixture(scope="module")
def saml_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdp]:
    with saml_idp(tmp_path_factory.mktemp("saml-idp")) as idp:
        yield idp


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


@pytest.fixture
def saml_connected(roster: Roster, saml_provider: SamlIdp) -> dict[str, Any]:
    """acme's SAML connection, from the identity provider's metadata URL, and no other: "Sign
    in with SSO" goes through it."""
    remove_connections(roster)
    variables = {"metadataUrl": saml_provider.metadata_url}
    result = as_super_admin(roster, CONFIGURE_SAML, input=variables)["configureSamlConnection"]
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
    expect(toast(page)).to_contain_text("Single sign-on through OpenID Connect is set up.")
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
        "href", f"/sso/start?organization={roster.org}&protocol=oidc&return_to=/%23/organization"
    )
    paste = checklist.locator("ol.steps > li").nth(3)
    expect(paste.locator(".badge")).to_have_text("Done")

    section.get_by_role("button", name="Edit the OpenID Connect connection").click()
    expect(issuer).to_be_focused()
    expect(issuer).to_have_value(provider.issuer)
    expect(section.get_by_label("Client secret")).to_have_value("")
    expect(
        section.get_by_text("Leave it empty to keep the current secret (…cret).")
    ).to_be_visible()
    section.get_by_role("button", name="Update connection").click()
    expect(toast(page)).to_contain_text("OpenID Connect connection updated.")
    expect(section.locator("#sso-client-secret code")).to_have_text("…cret")

    section.get_by_role("button", name="Remove the OpenID Connect connection").click()
    dialog = page.get_by_role("dialog", name="Remove the OpenID Connect connection?")
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


# --- SAML 2.0 -------------------------------------------------------------------------------


def sign_in_with_saml(page: Page, who: str, email: str, *, start: str = "/") -> None:
    """On the sign-in page: "Sign in with SSO" as `who` (an email or an organization ID), then
    the SAML provider's sign-in form as `email`; its page posts the signed answer to Roster."""
    page.goto(start)
    sso = page.get_by_role("form", name="Sign in with your identity provider")
    sso.get_by_label("Work email or organization ID").fill(who)
    sso.get_by_role("button", name="Sign in with SSO").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Sign in to the test IdP").click()


def saml_connection_of(roster: Roster) -> dict[str, Any]:
    """acme's SAML connection, as the server gives it."""
    connections = as_super_admin(roster, SAML_CONNECTIONS)["organization"]["ssoConnections"]
    return next(dict(c) for c in connections if c["protocol"] == "saml")


def test_a_super_admin_connects_saml_from_the_metadata_url_with_the_checklist_beside(
    page: Page, roster: Roster, saml_provider: SamlIdp, tmp_path: Path
):
    remove_connections(roster)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, roster)
    section = page.locator("#single-sign-on")
    saml_tab = section.get_by_role("tab", name="SAML 2.0")
    saml_tab.click()
    expect(saml_tab).to_have_attribute("aria-selected", "true")
    acs = f"{roster.url}/sso/saml/acs"
    entity = f"{roster.url}/sso/saml/metadata?organization={roster.org}"
    expect(page.locator("#saml-status")).to_contain_text("Single sign-on is not set up.")
    expect(section.get_by_label("ACS URL", exact=True)).to_have_value(acs)
    expect(section.get_by_label("Audience URI (SP Entity ID)", exact=True)).to_have_value(entity)

    checklist = page.locator("#sso-setup")
    expect(checklist.get_by_role("heading", level=2)).to_have_text(
        "Single sign-on checklist: Okta, SAML 2.0"
    )
    expect(checklist.locator("ol.steps > li")).to_have_count(6)
    expect(checklist.locator(".okta-saml-create")).to_contain_text("SAML 2.0")
    expect(checklist.locator(".okta-saml-general")).to_contain_text("Roster")
    for table, field, value in [
        (".okta-saml-settings", "Single sign-on URL", acs),
        (".okta-saml-settings", "Use this for Recipient URL and Destination URL", "Checked"),
        (".okta-saml-settings", "Audience URI (SP Entity ID)", entity),
        (".okta-saml-settings", "Name ID format", "EmailAddress"),
        (".okta-saml-settings", "Application username", "Email"),
        (".okta-saml-attributes", "Name", "email"),
        (".okta-saml-attributes", "Name format", "Unspecified"),
        (".okta-saml-attributes", "Value", "user.email"),
    ]:
        header = page.get_by_role("rowheader", name=field, exact=True)
        row = checklist.locator(f"{table} tbody tr").filter(has=header)
        expect(row.locator("code")).to_have_text(value)
    expect(checklist).to_contain_text("Assertion Signature")
    copy = checklist.get_by_role("button", name="Copy audience URI (SP entity ID)", exact=True)
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == entity

    # Roster's own metadata, for providers that read it
    with page.expect_download() as downloading:
        section.get_by_role("link", name="Download Roster's SAML metadata").click()
    download = downloading.value
    assert download.suggested_filename == f"roster-{roster.org}-saml-metadata.xml"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    metadata = saved.read_text()
    assert f'entityID="{entity}"' in metadata
    assert f'Location="{acs}"' in metadata

    # what the server refuses, said at the field it is about
    url = section.get_by_label("Metadata URL", exact=True)
    url.fill(f"{saml_provider.base}/nowhere")
    section.get_by_role("button", name="Connect").click()
    expect(url).to_have_attribute("aria-invalid", "true")
    expect(section.locator(".field-error:not([hidden])")).to_contain_text("/nowhere answered 404")
    expect(url).to_be_focused()
    section.get_by_label("Paste the XML").check()
    expect(url).to_be_hidden()
    xml = section.get_by_label("Metadata XML", exact=True)
    section.get_by_role("button", name="Connect").click()
    expect(xml).to_be_focused()
    expect(section.locator(".field-error:not([hidden])")).to_have_text(
        "Paste the identity provider's metadata XML."
    )
    xml.fill("<x/>")
    section.get_by_role("button", name="Connect").click()
    expect(xml).to_have_attribute("aria-invalid", "true")
    expect(section.locator(".field-error:not([hidden])")).to_contain_text(
        "it describes no identity provider"
    )

    section.get_by_label("Read it from its URL").check()
    expect(xml).to_be_hidden()
    url.fill(saml_provider.metadata_url)
    section.get_by_role("button", name="Connect").click()
    expect(toast(page)).to_contain_text("Single sign-on through SAML is set up.")
    connection = saml_connection_of(roster)
    assert connection["issuer"] == saml_provider.entity_id
    assert (connection["redirectUri"], connection["spEntityId"]) == (acs, entity)
    expect(section.locator("#saml-issuer")).to_have_text(connection["issuer"])
    expect(section.locator("#saml-sso-url")).to_have_text(connection["ssoUrl"])
    expect(section.locator("#saml-metadata code")).to_have_text(saml_provider.metadata_url)
    expect(section.get_by_label("ACS URL", exact=True)).to_have_value(connection["redirectUri"])
    expect(section.get_by_label("Audience URI (SP Entity ID)", exact=True)).to_have_value(
        connection["spEntityId"]
    )
    expect(page.locator("#saml-status")).to_have_text(
        "No sign-in yet — test it with Test sign-in below."
    )
    test = section.get_by_role("link", name="Test sign-in")
    expect(test).to_be_focused()
    expect(test).to_have_attribute(
        "href", f"/sso/start?organization={roster.org}&protocol=saml&return_to=/%23/organization"
    )
    expect(saml_tab).to_have_accessible_name("SAML 2.0 (set up)")
    expect(checklist.locator("ol.steps > li").nth(4).locator(".badge")).to_have_text("Done")
    expect(checklist.locator("ol.steps > li").nth(5).locator(".badge")).to_have_text("To do")

    section.get_by_role("button", name="Edit the SAML connection").click()
    expect(url).to_be_focused()
    expect(url).to_have_value(saml_provider.metadata_url)
    section.get_by_role("button", name="Cancel").click()
    expect(section.get_by_role("button", name="Edit the SAML connection")).to_be_focused()

    section.get_by_role("button", name="Remove the SAML connection").click()
    dialog = page.get_by_role("dialog", name="Remove the SAML connection?")
    expect(dialog).to_contain_text("Users will then sign in with passwords only")
    dialog.get_by_role("button", name="Cancel").click()
    expect(section.locator("#saml-issuer")).to_have_text(saml_provider.entity_id)

    # the tabs, with the keyboard: the checklist follows the chosen protocol
    saml_tab.focus()
    page.keyboard.press("ArrowLeft")
    oidc_tab = section.get_by_role("tab", name="OpenID Connect")
    expect(oidc_tab).to_be_focused()
    expect(oidc_tab).to_have_attribute("aria-selected", "true")
    expect(page.locator("#sso-status")).to_contain_text("OpenID Connect is not set up.")
    expect(page.locator("#sso-status")).to_contain_text("People sign in through SAML 2.0.")
    expect(checklist.get_by_role("heading", level=2)).to_have_text(
        "Single sign-on checklist: Okta, OpenID Connect"
    )
    expect(checklist.locator("#okta-sso-setup")).to_be_visible()
    page.keyboard.press("End")
    expect(saml_tab).to_be_focused()
    expect(checklist.locator("#okta-saml-setup")).to_be_visible()


def test_saml_test_sign_in_brings_a_super_admin_back_to_the_organization_page(
    page: Page, roster: Roster, okta_token: str, saml_connected: dict[str, Any]
):
    created = roster.provision(okta_token, "sue.saml@acme.test", role="super-admin")
    assert created.status_code == 201, created.text
    sign_in(page, roster)
    section = page.locator("#single-sign-on")
    expect(section.get_by_role("tab", name="SAML 2.0")).to_have_attribute("aria-selected", "true")

    section.get_by_role("link", name="Test sign-in").click()
    page.get_by_label("Email").fill("sue.saml@acme.test")
    page.get_by_role("button", name="Sign in to the test IdP").click()

    expect(page.get_by_role("heading", level=1, name="Organization")).to_be_visible()
    assert page.url == f"{roster.url}/#/organization"
    expect(page.locator(".viewer")).to_contain_text("sue.saml@acme.test")
    expect(page.locator("#saml-status")).to_have_text("Last successful sign-in: just now.")
    test_step = page.locator("#sso-setup ol.steps > li").nth(5)
    expect(test_step.locator(".badge")).to_have_text("Done")


def test_an_admin_provisioned_over_scim_signs_in_through_saml_and_out(
    page: Page, roster: Roster, okta_token: str, saml_connected: dict[str, Any]
):
    created = roster.provision(okta_token, "jane.saml@acme.test", role="admin")
    assert created.status_code == 201, created.text

    sign_in_with_saml(page, "Jane.Saml@acme.test", "jane.saml@acme.test", start="/#/users")

    expect(page.get_by_role("heading", level=1, name="Users")).to_be_visible()
    assert page.url == f"{roster.url}/#/users"
    expect(page.locator(".viewer")).to_contain_text("jane.saml@acme.test")
    expect(page.locator(".viewer")).to_contain_text("Application Admin")
    expect(user_row(page, "jane.saml@acme.test")).to_contain_text("Jane Saml")
    go(page, "Organization")
    expect(page.locator("#scim-integration")).to_be_visible()
    expect(page.locator("#single-sign-on")).to_have_count(0)  # for super admins only

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Roster")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Sign in to Roster")).to_be_visible()


def test_a_basic_user_signs_in_through_saml_to_the_no_access_page(
    page: Page, roster: Roster, okta_token: str, saml_connected: dict[str, Any]
):
    created = roster.provision(okta_token, "bob.saml@acme.test", role="basic-user")
    assert created.status_code == 201, created.text

    sign_in_with_saml(page, "bob.saml@acme.test", "bob.saml@acme.test")

    expect(page.get_by_role("heading", name="Your role has no access to settings")).to_be_visible()
    expect(page.locator("main")).to_contain_text("bob.saml@acme.test")
    expect(page.locator("main")).to_contain_text("Basic User")
    expect(page.get_by_role("navigation", name="Settings")).to_have_count(0)


def test_someone_never_provisioned_is_refused_by_saml_and_not_signed_in(
    context: BrowserContext, roster: Roster, saml_connected: dict[str, Any]
):
    page = context.new_page()
    errors = watch_console(page)
    sign_in_with_saml(page, roster.org, "stranger.saml@acme.test")

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


def test_a_user_deactivated_over_scim_is_signed_out_of_a_saml_session_on_their_next_request(
    page: Page, roster: Roster, okta_token: str, saml_connected: dict[str, Any]
):
    created = roster.provision(okta_token, "lea.saml@acme.test", role="admin")
    assert created.status_code == 201, created.text
    sign_in_with_saml(page, "lea.saml@acme.test", "lea.saml@acme.test")
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
