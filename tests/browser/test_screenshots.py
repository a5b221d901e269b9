"""Every page with realistic data, at desktop (1280x800) and phone (390x844) widths, without a
console error or CSP violation; the screenshots go to artifacts/screenshots/ to be looked at.
The SCIM integration section's picture for the README is docs/scim-integration.png: written
when missing, or refreshed with ROSTER_UPDATE_DOCS=1."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import new_context, start_roster
from tests.browser.helpers import (
    DESKTOP,
    NARROW,
    PATCH_SCHEMA,
    ROOT,
    SCREENSHOTS,
    Roster,
    go,
    graphql,
    log_rows,
    screenshot,
    sign_in,
    wait_for_log,
    watch_console,
)
from tests.sso.oidc_provider import OidcProvider, running_oidc_provider
from tests.sso.saml_idp import SamlIdp, saml_idp

pytestmark = pytest.mark.browser

DOCS_SCREENSHOT = ROOT / "docs" / "scim-integration.png"
PEOPLE = [  # userName, given, family, role string (None: Okta sends none)
    ("jane.doe@acme.example", "Jane", "Doe", "admin"),
    ("marcus.lee@acme.example", "Marcus", "Lee", "basic-user"),
    ("priya.nair@acme.example", "Priya", "Nair", "FINANCE"),
    ("tom.becker@acme.example", "Tom", "Becker", None),
    ("sofia.alvarez@acme.example", "Sofia", "Alvarez", "limited-plus-user"),
    ("li.wei@acme.example", "Li", "Wei", "appstore-user"),
    ("noah.smith@acme.example", "Noah", "Smith", "limited-user"),
    ("omar.haddad@acme.example", "Omar", "Haddad", None),  # gets the Support group's role
]
LEAVERS = ["tom.becker@acme.example", "sofia.alvarez@acme.example", "omar.haddad@acme.example"]
LEAVE = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "value": {"active": False}}]}
RETURN = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "value": {"active": True}}]}
GUARD = """mutation ($enabled: Boolean!, $percent: Int, $minimum: Int, $windowMinutes: Int) {
             setDeprovisioningGuard(enabled: $enabled, percent: $percent, minimum: $minimum,
                                    windowMinutes: $windowMinutes) { __typename }
           }"""
GROUPS = {  # pushed by the identity provider: name -> members
    "Engineering": ["jane.doe@acme.example", "marcus.lee@acme.example"],
    "Support": ["omar.haddad@acme.example", "li.wei@acme.example"],
}


@pytest.fixture(scope="module")
def roster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Roster]:
    yield from start_roster(
        tmp_path_factory.mktemp("roster"),
        slug="acme",
        name="Acme Corp",
        admin_email="it-admin@acme.example",
        public_url="https://roster.example.com",
    )


@pytest.fixture(scope="module")
def provider(roster: Roster) -> Iterator[OidcProvider]:
    """An OpenID provider for the single sign-on connection (read when it is configured)."""
    with running_oidc_provider(f"{roster.url}/sso/oidc/callback") as provider:
        yield provider


@pytest.fixture(scope="module")
def saml_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdp]:
    """A SAML identity provider for the SAML connection (its metadata read when configured)."""
    with saml_idp(tmp_path_factory.mktemp("saml-idp")) as idp:
        yield idp


@pytest.fixture(scope="module")
def demo(
    browser: Browser, roster: Roster, provider: OidcProvider, saml_provider: SamlIdp
) -> Roster:
    """Acme's settings after connecting Okta: one token (named "Okta", generated on the page),
    a custom role, users from Okta with and without roles, one set by hand, one deactivated,
    one refused for an unknown role string, two pushed groups, one of them with a role, and
    single sign-on through OpenID Connect and through SAML 2.0."""
    context = new_context(browser, roster)
    try:
        page = context.new_page()
        sign_in(page, roster)
        configured = graphql(
            page,
            """mutation ($input: OidcConnectionInput!) {
                 configureOidcConnection(input: $input) { __typename }
               }""",
            input={
                "issuer": provider.issuer,
                "clientId": provider.client_id,
                "clientSecret": provider.client_secret,
            },
        )["configureOidcConnection"]
        assert configured["__typename"] == "SsoConnectionPayload", configured
        configured = graphql(
            page,
            """mutation ($input: SamlConnectionInput!) {
                 configureSamlConnection(input: $input) { __typename }
               }""",
            input={"metadataUrl": saml_provider.metadata_url},
        )["configureSamlConnection"]
        assert configured["__typename"] == "SsoConnectionPayload", configured
        page.get_by_role("button", name="Generate new token").click()
        page.get_by_role("dialog").get_by_role("button", name="Generate token").click()
        token = page.get_by_label("SCIM token (shown once)").input_value()
        roster.okta_token = token
        finance = graphql(
            page,
            """mutation ($input: CustomRoleInput!) {
                 createCustomRole(input: $input) { ... on CustomRolePayload { role { key } } }
               }""",
            input={
                "name": "Finance Approvers",
                "description": "Approves expenses and supplier invoices.",
                "permissionLevel": "limited-plus-user",
                "restrictedApps": ["Expenses", "Invoices"],
            },
        )["createCustomRole"]["role"]["key"]
        ids = {}
        for user_name, given, family, role in PEOPLE:
            created = roster.provision(
                token,
                user_name,
                role=finance if role == "FINANCE" else role,
                name={"givenName": given, "familyName": family},
                displayName=f"{given} {family}",
            )
            assert created.status_code == 201, created.text
            ids[user_name] = created.json()["id"]
        graphql(
            page,
            """mutation ($id: ID!) {
                 setUserRole(userId: $id, role: "limited-plus-user") { __typename }
               }""",
            id=ids["marcus.lee@acme.example"],
        )
        leave = {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "value": {"active": False}}],
        }
        noah = ids["noah.smith@acme.example"]
        assert roster.scim("PATCH", f"/Users/{noah}", token, leave).status_code == 200
        refused = roster.provision(token, "kim.owens@acme.example", role="owner")
        assert refused.status_code == 400
        for name, members in GROUPS.items():
            pushed = roster.push_group(token, name, [ids[member] for member in members])
            assert pushed.status_code == 201, pushed.text
            if name == "Support":
                graphql(
                    page,
                    """mutation ($id: ID!) {
                         setGroupRole(groupId: $id, roleId: "limited-plus-user") { __typename }
                       }""",
                    id=pushed.json()["id"],
                )
    finally:
        context.close()
    return roster


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("narrow", NARROW)])
def test_every_page_renders_without_console_errors(
    browser: Browser, demo: Roster, size: str, viewport: dict[str, int]
):
    context = new_context(browser, demo, viewport)
    try:
        page = context.new_page()
        errors = watch_console(page)
        page.goto("/")
        expect(page.get_by_role("heading", name="Sign in to Roster")).to_be_visible()
        screenshot(page, f"signin-{size}")
        sign_in(page, demo)

        expect(page.locator("#connection-status")).to_contain_text(
            "Identity provider last connected"
        )
        expect(page.locator(".role-strings tbody tr")).to_have_count(7)
        screenshot(page, f"organization-{size}")
        assert not horizontally_scrolled(page), "the Organization page is wider than the screen"
        if size == "desktop":
            save_docs_screenshot(page)
        page.get_by_role("tab", name="Microsoft Entra ID").click()
        expect(page.locator(".app-role-values tbody tr")).to_have_count(7)
        screenshot(page, f"organization-entra-{size}")
        assert not horizontally_scrolled(page), "the Entra ID checklist is wider than the screen"
        expect(page.locator("#sso-status")).to_contain_text("No sign-in yet")
        section_screenshot(page.locator("#single-sign-on"), f"single-sign-on-{size}")
        expect(page.locator("#okta-sso-setup > li")).to_have_count(5)
        section_screenshot(page.locator("#sso-setup"), f"single-sign-on-okta-{size}")
        assert not horizontally_scrolled(page), "single sign-on is wider than the screen"
        sso = page.locator("#single-sign-on")
        sso.get_by_role("tab", name="SAML 2.0").click()
        expect(page.locator("#saml-status")).to_contain_text("No sign-in yet")
        section_screenshot(sso, f"single-sign-on-saml-{size}")
        expect(page.locator("#okta-saml-setup > li")).to_have_count(6)
        section_screenshot(page.locator("#sso-setup"), f"single-sign-on-okta-saml-{size}")
        assert not horizontally_scrolled(page), "SAML single sign-on is wider than the screen"
        sso.get_by_role("button", name="Edit the SAML connection").click()
        sso.get_by_label("Paste the XML").check()
        expect(sso.get_by_label("Metadata XML", exact=True)).to_be_visible()
        section_screenshot(sso, f"single-sign-on-saml-form-{size}")
        assert not horizontally_scrolled(page), "SAML's form is wider than the screen"
        sso.get_by_role("button", name="Cancel").click()

        go(page, "Roles")
        expect(page.locator(".roles-table tbody tr")).to_have_count(7)
        screenshot(page, f"roles-{size}")
        assert not horizontally_scrolled(page)

        go(page, "Groups")
        expect(page.locator(".groups-table tbody tr")).to_have_count(len(GROUPS))
        screenshot(page, f"groups-{size}")
        assert not horizontally_scrolled(page)

        go(page, "Users")
        expect(page.locator(".users-table tbody tr")).to_have_count(len(PEOPLE) + 1)
        expect(page.get_by_text("From group “Support”")).to_have_count(1)  # Omar: Li has his own
        expect(
            page.get_by_text("1 active user has no role from the identity provider or a group.")
        ).to_be_visible()
        screenshot(page, f"users-{size}")
        assert not horizontally_scrolled(page)

        go(page, "Activity")
        expect(page.locator("ol.events > li.is-failed")).to_have_count(1)
        screenshot(page, f"activity-{size}")
        assert not horizontally_scrolled(page)

        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("narrow", NARROW)])
def test_the_provisioning_pause_and_log_render_at_each_width(
    browser: Browser, demo: Roster, size: str, viewport: dict[str, int]
):
    context = new_context(browser, demo, viewport)
    try:
        page = context.new_page()
        errors = watch_console(page)
        sign_in(page, demo)
        pause = page.locator("#provisioning-pause")
        expect(page.locator("#provisioning-status")).to_contain_text("Provisioning runs.")
        section_screenshot(pause, f"provisioning-running-{size}")
        pause.get_by_role("button", name="Pause provisioning").click()
        question = page.get_by_role("dialog", name="Pause provisioning?")
        expect(question).to_be_visible()
        screenshot(page, f"provisioning-pause-dialog-{size}", full_page=False)
        question.get_by_role("button", name="Pause provisioning").click()
        try:
            expect(page.locator("#provisioning-status")).to_contain_text("Paused since")
            section_screenshot(pause, f"provisioning-paused-{size}")
            assert not horizontally_scrolled(page), "the paused status is wider than the screen"
        finally:
            graphql(page, "mutation { resumeProvisioning { __typename } }")

        wait_for_log(page, len(PEOPLE) + len(GROUPS) + 2)  # the demo's SCIM requests
        go(page, "Provisioning log")
        created = log_rows(page).filter(has_text="POST /Users").filter(has_text="201 Created")
        created.first.get_by_role("button", name=re.compile("^Show bodies")).click()
        expect(page.locator("mark.redacted").first).to_be_visible()
        page.evaluate("document.getElementById('toasts').replaceChildren(); scrollTo(0, 0)")
        screenshot(page, f"provisioning-log-{size}")
        assert not horizontally_scrolled(page), "the provisioning log is wider than the screen"
        page.get_by_label("Failed only").check()
        expect(page.locator("#log-scope")).to_have_text("Showing only failed requests.")
        expect(log_rows(page)).to_have_count(1)  # Kim's unknown role string
        screenshot(page, f"provisioning-log-failed-{size}")
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("narrow", NARROW)])
def test_the_mass_deactivation_protection_renders_closed_and_holding_at_each_width(
    browser: Browser, demo: Roster, size: str, viewport: dict[str, int]
):
    """Last in this module: Okta's deactivations are held (503s in the log), then rejected and
    superseded by a reactivation, so nobody is deactivated and nothing stays held."""
    context = new_context(browser, demo, viewport)
    try:
        page = context.new_page()
        errors = watch_console(page)
        sign_in(page, demo)
        guard = page.locator("#deprovisioning-guard")
        expect(page.locator("#guard-state")).to_contain_text("Deactivations run;")
        section_screenshot(guard, f"deprovisioning-guard-closed-{size}")
        assert not horizontally_scrolled(page), "the protection's card is wider than the screen"

        # a threshold every deactivation passes: 1% and one person
        graphql(page, GUARD, enabled=True, percent=1, minimum=1, windowMinutes=60)
        assert demo.okta_token is not None
        ids = graphql(page, "{ users(first: 50) { edges { node { id userName } } } }")
        wave = {e["node"]["userName"]: e["node"]["id"] for e in ids["users"]["edges"]}
        leavers = [wave[name] for name in LEAVERS]
        try:
            for user_id in leavers:
                held = demo.scim("PATCH", f"/Users/{user_id}", demo.okta_token, LEAVE)
                assert held.status_code == 503, held.text
            page.reload()
            expect(page.locator("#guard-state")).to_contain_text(
                f"Holding {len(LEAVERS)} deactivations since"
            )
            expect(guard.locator(".held-table tbody tr")).to_have_count(len(LEAVERS))
            page.evaluate("document.getElementById('toasts').replaceChildren()")
            section_screenshot(guard, f"deprovisioning-guard-holding-{size}")
            assert not horizontally_scrolled(page), "the held changes are wider than the screen"
            guard.get_by_role("button", name="Reject held changes").click()
            question = page.get_by_role("dialog", name=f"Reject {len(LEAVERS)} held changes?")
            expect(question).to_be_visible()
            screenshot(page, f"deprovisioning-guard-reject-dialog-{size}", full_page=False)
            question.get_by_role("button", name="Reject changes").click()
            expect(page.locator("#guard-state")).to_contain_text("Deactivations run;")
            expect(guard.locator(".held-table tbody tr")).to_have_count(len(LEAVERS))
            page.evaluate("document.getElementById('toasts').replaceChildren()")
            section_screenshot(guard, f"deprovisioning-guard-rejected-{size}")
            assert not horizontally_scrolled(page), "the rejected changes are wider than the screen"
        finally:
            graphql(page, "mutation { rejectHeldChanges { __typename } }")
            graphql(page, GUARD, enabled=True, percent=10, minimum=20, windowMinutes=60)
            for user_id in leavers:  # Okta's next change to them supersedes the rejected one
                back = demo.scim("PATCH", f"/Users/{user_id}", demo.okta_token, RETURN)
                assert back.status_code == 200, back.text
        assert errors == []
    finally:
        context.close()


def section_screenshot(section: Locator, name: str) -> None:
    """One section of the page, whole, to artifacts/screenshots/ (in a window tall enough that
    the sticky header does not cover it)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = section.page
    viewport = page.viewport_size
    assert viewport is not None
    page.set_viewport_size({"width": viewport["width"], "height": 2400})
    # its top well below the sticky header, so that the screenshot needs no scrolling
    section.evaluate("s => window.scrollBy(0, s.getBoundingClientRect().top - 100)")
    section.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled")
    page.set_viewport_size(viewport)


def horizontally_scrolled(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def save_docs_screenshot(page: Page) -> None:
    section = page.locator("#scim-integration")
    expect(section.locator(".tokens-table tbody tr")).to_have_count(1)
    path = SCREENSHOTS / "scim-integration.png"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": DESKTOP["width"], "height": 1600})  # no sticky header on it
    section.screenshot(path=str(path), animations="disabled")
    page.set_viewport_size(DESKTOP)
    if os.environ.get("ROSTER_UPDATE_DOCS") == "1" or not DOCS_SCREENSHOT.exists():
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOT)
