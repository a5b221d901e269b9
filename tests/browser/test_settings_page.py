"""The settings page, as a customer's admin uses it to connect Okta or Microsoft Entra ID:
signing in, SCIM tokens, the setup checklists, custom roles, groups, users and the activity log,
each checked against what SCIM really does."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import new_context
from tests.browser.helpers import (
    PATCH_SCHEMA,
    Roster,
    events,
    go,
    graphql,
    group_row,
    role_row,
    sign_in,
    toast,
    user_row,
    watch_console,
)
from tests.processes import TOKEN

pytestmark = pytest.mark.browser


def test_an_admin_signs_in_and_out_with_the_keyboard_alone(page: Page, roster: Roster):
    page.goto("/")
    email = page.get_by_label("Email", exact=True)
    expect(email).to_be_focused()
    page.keyboard.type(roster.admin_email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")

    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(roster.admin_password)
    page.keyboard.press("Enter")

    expect(page.locator("#org-name")).to_have_text("Acme Corp")
    expect(page.get_by_role("heading", level=1, name="Organization")).to_be_visible()
    expect(page.locator(".viewer")).to_contain_text(roster.admin_email)
    expect(page.locator(".viewer")).to_contain_text("Super Admin")
    # keyboard users start at the page's heading; the navigation is just before it
    expect(page.get_by_role("heading", level=1, name="Organization")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Sign out")).to_be_focused()
    page.keyboard.press("Shift+Tab")  # Provisioning log
    page.keyboard.press("Shift+Tab")  # Activity
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("link", name="Users")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Users")).to_be_focused()
    expect(page.get_by_role("link", name="Users")).to_have_attribute("aria-current", "page")

    page.get_by_role("button", name="Sign out").press("Enter")
    expect(page.get_by_role("heading", name="Sign in to Roster")).to_be_visible()
    expect(toast(page)).to_contain_text("You are signed out.")
    page.reload()
    expect(page.get_by_role("heading", name="Sign in to Roster")).to_be_visible()


def test_repeated_wrong_passwords_are_throttled_and_the_page_says_for_how_long(
    page: Page, roster: Roster
):
    roster.create_admin("throttled@acme.test", "the-right-password")
    page.goto("/")
    page.get_by_label("Email", exact=True).fill("throttled@acme.test")
    for _ in range(5):
        page.get_by_label("Password").fill("a-wrong-password")
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
        page.get_by_role("alert").evaluate("element => { element.textContent = '' }")

    page.get_by_label("Password").fill("the-right-password")
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_role("alert")).to_have_text(
        re.compile(r"^Too many failed sign-ins\. Try again in \d+ seconds\.$")
    )
    expect(page.get_by_role("button", name=re.compile(r"^Try again in \d+ s$"))).to_be_disabled()


def test_the_session_cookie_is_out_of_reach_of_scripts(page: Page, roster: Roster):
    sign_in(page, roster)

    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["roster_session"]["httpOnly"] is True
    assert cookies["roster_session"]["sameSite"] == "Lax"
    assert "roster_session" not in page.evaluate("document.cookie")
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0


def test_a_token_generated_on_the_page_provisions_users_until_it_is_revoked(
    page: Page, roster: Roster
):
    sign_in(page, roster)
    expect(page.locator("#scim-base-url")).to_have_value(f"{roster.url}/scim/v2")

    page.get_by_role("button", name="Generate new token").click()
    dialog = page.get_by_role("dialog", name="Generate a SCIM token")
    dialog.get_by_label("Token name").fill("Okta production")
    dialog.get_by_role("button", name="Generate token").click()
    expect(dialog).to_be_hidden()
    shown = page.get_by_label("SCIM token (shown once)")
    expect(shown).to_be_focused()
    expect(page.get_by_role("region", name="Your new token “Okta production”")).to_contain_text(
        "it will not be shown again"
    )
    token = shown.input_value()
    assert TOKEN.match(token)
    storage = page.evaluate("JSON.stringify([{...localStorage}, {...sessionStorage}])")
    assert token not in storage
    assert token not in page.evaluate("document.cookie")

    created = roster.provision(token, "jane.doe@acme.test", role="admin")
    assert created.status_code == 201, created.text

    page.get_by_role("button", name="I have copied it: hide the token").click()
    expect(shown).to_have_count(0)
    assert token not in page.content()
    assert not page.evaluate(
        "t => [...document.querySelectorAll('input, textarea')].some(e => e.value.includes(t))",
        token,
    )

    page.reload()
    expect(page.locator("#connection-status")).to_contain_text(
        "Identity provider last connected just now"
    )
    expect(page.locator("#connection-status")).to_contain_text("Okta production")
    row = page.locator(".tokens-table tbody tr").filter(has_text="Okta production")
    expect(row).to_contain_text(token[:21])  # the prefix, never the secret
    expect(row).to_contain_text(roster.admin_email)
    expect(row.get_by_role("cell").nth(4)).to_have_text("just now")
    expect(row).to_contain_text("Active")

    go(page, "Users")
    jane = user_row(page, "jane.doe@acme.test")
    expect(jane.get_by_label("Role of jane.doe@acme.test", exact=True)).to_have_value("admin")
    expect(jane).to_contain_text("Application Admin")
    expect(jane).to_contain_text("From the identity provider")
    expect(jane).to_contain_text("Jane Doe")

    go(page, "Organization")
    row = page.locator(".tokens-table tbody tr").filter(has_text="Okta production")
    row.get_by_role("button", name=re.compile("^Revoke token Okta production")).click()
    confirm = page.get_by_role("dialog", name="Revoke “Okta production”?")
    confirm.get_by_role("button", name="Revoke token").click()
    expect(toast(page)).to_contain_text("Token “Okta production” revoked")
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button")).to_have_count(0)

    refused = roster.provision(token, "john.roe@acme.test", role="admin")
    assert refused.status_code == 401

    go(page, "Activity")
    page.get_by_label("User").fill("jane.doe@acme.test")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#activity-summary")).to_have_text(
        "1 event for jane.doe@acme.test, newest first."
    )
    provisioned = events(page).first
    expect(provisioned).to_contain_text("User provisioned jane.doe@acme.test")
    expect(provisioned).to_contain_text(f"By Okta production via SCIM token {token[:21]}")
    expect(provisioned).to_contain_text("SCIM")
    expect(provisioned).to_contain_text("Application Admin (admin)")

    page.get_by_role("button", name="Show all activity").click()
    expect(page.locator("#activity-summary")).not_to_contain_text("for jane")
    revoked = events(page).filter(has_text="SCIM token revoked").first
    expect(revoked).to_contain_text("Okta production")
    expect(revoked).to_contain_text(f"By {roster.admin_email}")
    issued = events(page).filter(has_text="SCIM token generated").first
    expect(issued).to_contain_text("Okta production")
    expect(issued).not_to_contain_text(token)


def test_a_custom_role_id_copied_from_the_page_is_applied_through_scim(
    page: Page, roster: Roster, okta_token: str
):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, roster)
    go(page, "Roles")
    page.get_by_role("button", name="New custom role").click()
    dialog = page.get_by_role("dialog", name="New custom role")
    dialog.get_by_label("Name").fill("Finance Approvers")
    dialog.get_by_label("Description").fill("Approves expenses and invoices.")
    dialog.get_by_label("Permission level").select_option("limited-plus-user")
    dialog.get_by_label("Restricted apps").fill("Expenses\nInvoices\n")
    dialog.get_by_role("button", name="Create role").click()
    expect(dialog).to_be_hidden()

    row = role_row(page, "Finance Approvers")
    expect(row).to_contain_text("Limited Plus User")
    expect(row).to_contain_text("Expenses")
    expect(row).to_contain_text("Invoices")
    role_id = row.locator("code.role-key").inner_text()
    assert re.fullmatch(r"cr_[0-9A-Za-z_-]+", role_id), role_id
    expect(toast(page)).to_contain_text(f"Its ID for Okta is {role_id}")
    row.get_by_role("button", name="Copy ID of role Finance Approvers").click()
    expect(row.get_by_role("button", name="Copy ID of role Finance Approvers")).to_have_text(
        "Copied"
    )
    assert page.evaluate("navigator.clipboard.readText()") == role_id

    go(page, "Organization")
    strings = page.locator(".role-strings tbody tr").filter(has_text="Finance Approvers")
    expect(strings.locator("code")).to_have_text(role_id)

    created = roster.provision(okta_token, "fiona.banks@acme.test", role=role_id)
    assert created.status_code == 201, created.text
    assert created.json()["permissionsRole"] == role_id

    go(page, "Users")
    fiona = user_row(page, "fiona.banks@acme.test")
    expect(fiona.get_by_label("Role of fiona.banks@acme.test", exact=True)).to_have_value(role_id)
    expect(fiona).to_contain_text("From the identity provider")
    go(page, "Roles")
    expect(role_row(page, "Finance Approvers").locator("td").nth(4)).to_have_text("1")

    go(page, "Activity")
    page.get_by_label("Action").select_option("role.created")
    created_event = events(page).filter(has_text="Finance Approvers").first
    expect(created_event).to_contain_text(f"Custom role created Finance Approvers {role_id}")
    expect(created_event).to_contain_text("Expenses, Invoices")


def test_an_admin_sets_a_role_by_hand_then_deactivates_and_reactivates_the_user(
    page: Page, roster: Roster, okta_token: str
):
    assert roster.provision(okta_token, "ravi.patel@acme.test").status_code == 201
    sign_in(page, roster)
    go(page, "Users")

    page.get_by_label("No role given").check()
    expect(page.locator("#no-role-explanation")).to_contain_text(
        "assigned to the app individually or before the permissionsRole attribute existed"
    )
    ravi = user_row(page, "ravi.patel@acme.test")
    expect(ravi).to_contain_text("Default (no role given)")
    expect(ravi.get_by_label("Role of ravi.patel@acme.test", exact=True)).to_have_value(
        "basic-user"
    )
    page.get_by_label("No role given").uncheck()
    ravi = user_row(page, "ravi.patel@acme.test")

    ravi.get_by_label("Role of ravi.patel@acme.test", exact=True).select_option("limited-user")
    ravi.get_by_role("button", name="Save role of ravi.patel@acme.test").click()
    expect(toast(page)).to_contain_text(
        "ravi.patel@acme.test now has the role Limited User (set by hand)."
    )
    expect(ravi).to_contain_text("Set by hand")
    expect(ravi.get_by_label("Role of ravi.patel@acme.test", exact=True)).to_have_value(
        "limited-user"
    )

    ravi.get_by_role("button", name="Deactivate ravi.patel@acme.test").click()
    page.get_by_role("dialog").get_by_role("button", name="Deactivate").click()
    expect(ravi).to_contain_text("Inactive")
    expect(toast(page)).to_contain_text("ravi.patel@acme.test is deactivated.")
    ravi.get_by_role("button", name="Reactivate ravi.patel@acme.test").click()
    expect(ravi.get_by_role("button", name="Deactivate ravi.patel@acme.test")).to_be_visible()
    expect(ravi).to_contain_text("Active")
    expect(toast(page)).to_contain_text("ravi.patel@acme.test is active again.")

    found = roster.scim("GET", '/Users?filter=userName eq "ravi.patel@acme.test"', okta_token)
    assert found.json()["Resources"][0]["active"] is True
    assert found.json()["Resources"][0]["permissionsRole"] == "limited-user"

    ravi.get_by_role("link", name="Activity of ravi.patel@acme.test").click()
    expect(page.get_by_role("heading", level=1, name="Activity")).to_be_visible()
    expect(page.locator("#activity-summary")).to_have_text(
        "4 events for ravi.patel@acme.test, newest first."
    )
    expect(events(page).locator(".event-action")).to_have_text(
        ["User reactivated", "User deactivated", "Role changed by hand", "User provisioned"]
    )
    role_change = events(page).nth(2)
    expect(role_change).to_contain_text("Basic User (basic-user) → Limited User (limited-user)")
    expect(role_change).to_contain_text("Default (no role given) → Set by hand")
    expect(role_change.get_by_role("img", name="changed to")).to_have_count(2)
    expect(role_change).to_contain_text(f"By {roster.admin_email}")
    expect(events(page).nth(3)).to_contain_text("via SCIM token")


def test_a_user_changed_meanwhile_is_reloaded_instead_of_overwritten(
    page: Page, roster: Roster, okta_token: str
):
    created = roster.provision(okta_token, "mia.wong@acme.test", role="basic-user")
    sign_in(page, roster)
    go(page, "Users")
    mia = user_row(page, "mia.wong@acme.test")

    renamed = roster.scim(
        "PATCH",
        f"/Users/{created.json()['id']}",
        okta_token,
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "value": {"displayName": "Mia W."}}],
        },
    )
    assert renamed.status_code == 200, renamed.text
    mia.get_by_label("Role of mia.wong@acme.test", exact=True).select_option("appstore-user")
    mia.get_by_role("button", name="Save role of mia.wong@acme.test").click()

    mia = page.locator('tr[data-user-name="mia.wong@acme.test"]')
    expect(mia.get_by_role("alert")).to_contain_text("was changed meanwhile")
    expect(mia).to_contain_text("Mia W.")
    expect(mia.get_by_label("Role of mia.wong@acme.test", exact=True)).to_have_value("basic-user")
    expect(mia).to_contain_text("From the identity provider")


def test_a_bad_role_string_from_okta_shows_in_activity_with_its_reason(
    page: Page, roster: Roster, okta_token: str
):
    refused = roster.provision(okta_token, "olga.ivanova@acme.test", role="owner")
    assert refused.status_code == 400
    sign_in(page, roster)
    go(page, "Activity")

    failed = page.locator("ol.events > li.is-failed").filter(has_text="olga.ivanova@acme.test")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("Failed")
    expect(failed).to_contain_text("Provisioning failed olga.ivanova@acme.test")
    expect(failed).to_contain_text("Reason: role: unknown role 'owner'; accepted values are:")
    expect(failed).to_contain_text("By Okta via SCIM token")

    page.get_by_label("User").fill("olga.ivanova@acme.test")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#activity-summary")).to_have_text(
        "1 event for olga.ivanova@acme.test, newest first."
    )
    page.get_by_label("Action").select_option("user.provision_failed")
    expect(events(page)).to_have_count(1)


def test_deleting_a_role_that_users_hold_asks_where_they_go(
    page: Page, roster: Roster, okta_token: str
):
    sign_in(page, roster)
    go(page, "Roles")
    page.get_by_role("button", name="New custom role").click()
    dialog = page.get_by_role("dialog", name="New custom role")
    dialog.get_by_role("button", name="Create role").click()
    expect(dialog.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    expect(dialog).to_contain_text("Give the role a name.")
    dialog.get_by_label("Name").fill("Contractors")
    dialog.get_by_label("Permission level").select_option("limited-user")
    dialog.get_by_role("button", name="Create role").click()
    role_id = role_row(page, "Contractors").locator("code.role-key").inner_text()
    assert roster.provision(okta_token, "carl.temp@acme.test", role=role_id).status_code == 201
    page.reload()

    role_row(page, "Contractors").get_by_role("button", name="Delete role Contractors").click()
    page.get_by_role("dialog", name="Delete “Contractors”?").get_by_role(
        "button", name="Delete role"
    ).click()
    question = page.get_by_role("dialog", name="“Contractors” is still in use")
    expect(question).to_contain_text("1 user hold this role")
    question.get_by_label("Move its users to").select_option("basic-user")
    question.get_by_role("button", name="Move users and delete").click()

    expect(toast(page)).to_contain_text("Role “Contractors” deleted; its users now have the role")
    expect(role_row(page, "Contractors")).to_have_count(0)
    go(page, "Users")
    carl = user_row(page, "carl.temp@acme.test")
    expect(carl.get_by_label("Role of carl.temp@acme.test", exact=True)).to_have_value("basic-user")
    expect(carl).to_contain_text("Set by hand")


def test_roles_without_settings_rights_see_less_or_nothing(
    browser: Browser, page: Page, roster: Roster
):
    roster.create_admin("auditor@acme.test", "auditor-password")
    sign_in(page, roster)
    go(page, "Users")
    auditor = user_row(page, "auditor@acme.test")
    auditor.get_by_label("Role of auditor@acme.test", exact=True).select_option("admin")
    auditor.get_by_role("button", name="Save role of auditor@acme.test").click()
    expect(auditor).to_contain_text("Set by hand")

    other = new_context(browser, roster)
    try:
        theirs = other.new_page()
        errors = watch_console(theirs)
        sign_in(theirs, roster, "auditor@acme.test", "auditor-password")
        nav = theirs.get_by_role("navigation", name="Settings")
        expect(nav.get_by_role("link")).to_have_text(
            ["Organization", "Roles", "Groups", "Users", "Activity", "Provisioning log"]
        )
        expect(theirs.get_by_label("Organization name")).to_be_disabled()
        expect(theirs.get_by_role("button", name="Save")).to_have_count(0)
        expect(theirs.get_by_role("button", name="Generate new token")).to_have_count(0)
        expect(theirs.locator("#scim-integration")).to_contain_text(
            "Only super admins can generate and revoke SCIM tokens."
        )
        expect(theirs.locator("#okta-setup")).to_contain_text("permissionsRole")
        go(theirs, "Users")
        row = user_row(theirs, "auditor@acme.test")
        expect(row.get_by_role("button")).to_have_count(0)
        go(theirs, "Roles")
        expect(theirs.get_by_role("button", name="New custom role")).to_have_count(0)

        auditor.get_by_label("Role of auditor@acme.test", exact=True).select_option("basic-user")
        auditor.get_by_role("button", name="Save role of auditor@acme.test").click()
        # saved once the page says so (the select shows the choice before the save lands)
        expect(toast(page)).to_contain_text("auditor@acme.test now has the role Basic User")
        theirs.reload()
        expect(
            theirs.get_by_role("heading", name="Your role has no access to settings")
        ).to_be_visible()
        expect(theirs.locator("main")).to_contain_text("Basic User")
        theirs.get_by_role("main").get_by_role("button", name="Sign out").click()
        expect(theirs.get_by_role("heading", name="Sign in to Roster")).to_be_visible()
        assert errors == []
    finally:
        other.close()


def test_activity_names_a_user_as_they_are_now_and_as_recorded_once_deleted(
    page: Page, roster: Roster, okta_token: str
):
    created = roster.provision(okta_token, "sam.old@acme.test")
    user_id = created.json()["id"]
    rename = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"userName": "sam.new@acme.test"}}],
    }
    assert roster.scim("PATCH", f"/Users/{user_id}", okta_token, rename).status_code == 200
    queries: list[str] = []
    page.on("request", lambda r: queries.append(r.post_data or "") if "/graphql" in r.url else None)
    sign_in(page, roster)
    go(page, "Activity")
    page.get_by_label("User").fill(user_id)
    page.get_by_role("button", name="Apply").click()

    expect(events(page).locator(".event-title")).to_have_text(
        ["User updated sam.new@acme.test", "User provisioned sam.new@acme.test"]
    )
    assert not [q for q in queries if "user(id:" in q], "no query per user: events carry them"

    assert roster.scim("DELETE", f"/Users/{user_id}", okta_token).status_code == 204
    page.reload()
    # gone: each event names the user as it recorded them
    expect(events(page).locator(".event-title")).to_have_text(
        [
            "User deleted sam.new@acme.test",
            "User updated sam.new@acme.test",
            "User provisioned sam.old@acme.test",
        ]
    )


def test_long_lists_page_through_users_and_activity(page: Page, roster: Roster, okta_token: str):
    for n in range(27):
        created = roster.provision(okta_token, f"pager.user{n:02d}@acme.test", role="basic-user")
        assert created.status_code == 201, created.text
    sign_in(page, roster)
    go(page, "Users")
    page.get_by_label("Search").fill("pager.user")
    summary = page.locator("#users-summary")
    expect(summary).to_have_text("1\u201325 of 27 users")
    expect(page.locator(".users-table tbody tr")).to_have_count(25)
    previous = page.get_by_role("button", name="Previous")
    expect(previous).to_be_disabled()

    page.get_by_role("button", name="Next").click()
    expect(summary).to_have_text("26\u201327 of 27 users")
    expect(page.locator(".users-table tbody tr").first).to_have_attribute(
        "data-user-name", "pager.user25@acme.test"
    )
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    previous.click()
    expect(summary).to_have_text("1\u201325 of 27 users")

    go(page, "Activity")
    expect(events(page)).to_have_count(30)
    total = int(page.locator("#activity-summary").inner_text().split()[0])
    assert total > 30
    page.get_by_role("button", name="Load more").click()
    expect(events(page)).to_have_count(min(total, 60))
    expect(events(page).nth(30)).to_be_focused()
    ids = events(page).evaluate_all("items => items.map(item => Number(item.dataset.eventId))")
    assert ids == sorted(ids, reverse=True), "newest first, without repeats"
    assert len(set(ids)) == len(ids)


def test_an_ended_session_leads_back_to_sign_in_and_then_where_the_admin_was(
    page: Page, roster: Roster
):
    sign_in(page, roster)
    page.context.clear_cookies()

    page.get_by_role("link", name="Activity").click()

    expect(page.get_by_role("heading", name="Sign in to Roster")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Your session ended")).to_be_visible()
    page.get_by_label("Email", exact=True).fill(roster.admin_email)
    page.get_by_label("Password").fill(roster.admin_password)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", level=1, name="Activity")).to_be_visible()
    assert page.url.endswith("#/activity")


def test_an_unexpected_error_shows_the_id_to_quote_and_can_be_retried(page: Page, roster: Roster):
    sign_in(page, roster)

    def broken_roles(route):
        if "query Roles" in (route.request.post_data or ""):
            route.fulfill(
                json={
                    "data": None,
                    "errors": [
                        {"message": "Unexpected error.", "extensions": {"errorId": "0badc0ffee42"}}
                    ],
                }
            )
        else:
            route.continue_()

    page.route("**/graphql", broken_roles)
    go(page, "Roles")
    problem = page.locator(".notice-error").first
    expect(problem).to_contain_text("Unexpected error.")
    expect(problem).to_contain_text("quote error ID 0badc0ffee42")

    page.unroute("**/graphql")
    problem.get_by_role("button", name="Try again").click()
    expect(page.locator(".builtin-table tbody tr")).to_have_count(6)


def test_a_group_role_set_on_the_groups_page_reaches_members_without_a_role_of_their_own(
    page: Page, roster: Roster, okta_token: str
):
    stated = roster.provision(okta_token, "grace.hopper@acme.test", role="admin")
    unstated = roster.provision(okta_token, "ken.thompson@acme.test")
    members = [stated.json()["id"], unstated.json()["id"]]
    pushed = roster.push_group(okta_token, "Engineering", members, external_id="00g-eng")
    assert pushed.status_code == 201, pushed.text
    assert roster.push_group(okta_token, "Eng Leads", []).status_code == 201
    sign_in(page, roster)
    go(page, "Groups")
    expect(page.locator("#role-order li")).to_have_text(
        [
            re.compile(
                "^the role the identity provider states for the user: Okta's "
                "permissionsRole, or Entra ID's app role or extension attribute"
            ),
            re.compile("^else the highest-ranked role among the roles of the user's groups"),
            re.compile("^else a role an admin set by hand"),
            re.compile("^else the organization's default role"),
        ]
    )

    page.get_by_label("Search").fill("ENG")
    expect(page.locator(".groups-table tbody tr")).to_have_count(2)
    expect(page.locator("#groups-summary")).to_have_text("1\u20132 of 2 groups")
    engineering = group_row(page, "Engineering")
    expect(engineering.locator(".member-count")).to_have_text("2")
    expect(engineering).to_contain_text("00g-eng")
    role = engineering.get_by_label("Role of group Engineering", exact=True)
    expect(role).to_have_value("")
    expect(role.locator("option:checked")).to_have_text("No role")
    role.select_option("limited-plus-user")
    engineering.get_by_role("button", name="Save role of group Engineering").click()
    question = page.get_by_role("dialog", name="Give “Engineering” the role Limited Plus User?")
    expect(question).to_contain_text("Its 2 members get Limited Plus User")
    question.get_by_role("button", name="Set role").click()
    expect(toast(page)).to_contain_text(
        "“Engineering” now gives its members the role Limited Plus User."
    )
    expect(role).to_have_value("limited-plus-user")
    expect(role).to_be_focused()

    go(page, "Users")
    grace = user_row(page, "grace.hopper@acme.test")
    expect(grace.get_by_label("Role of grace.hopper@acme.test", exact=True)).to_have_value("admin")
    expect(grace).to_contain_text("From the identity provider")
    ken = user_row(page, "ken.thompson@acme.test")
    expect(ken.get_by_label("Role of ken.thompson@acme.test", exact=True)).to_have_value(
        "limited-plus-user"
    )
    expect(ken).to_contain_text("From group “Engineering”")

    ken.get_by_role("link", name="Engineering").click()
    expect(page.get_by_role("heading", level=1, name="Groups")).to_be_visible()
    expect(page.locator(".groups-table tr.is-highlighted")).to_have_attribute(
        "data-group-name", "Engineering"
    )
    engineering = group_row(page, "Engineering")
    engineering.get_by_label("Role of group Engineering", exact=True).select_option("")
    engineering.get_by_role("button", name="Save role of group Engineering").click()
    page.get_by_role("dialog", name="Take the role away from “Engineering”?").get_by_role(
        "button", name="Remove role"
    ).click()
    expect(toast(page)).to_contain_text("“Engineering” no longer gives its members a role.")
    expect(engineering.get_by_label("Role of group Engineering", exact=True)).to_have_value("")

    go(page, "Users")
    ken = user_row(page, "ken.thompson@acme.test")
    expect(ken.get_by_label("Role of ken.thompson@acme.test", exact=True)).to_have_value(
        "basic-user"
    )
    expect(ken).to_contain_text("Default (no role given)")


def test_without_groups_the_groups_page_says_they_come_from_the_identity_provider(
    page: Page, roster: Roster
):
    sign_in(page, roster)

    def no_groups(route):
        if "query Groups" in (route.request.post_data or ""):
            route.fulfill(
                json={
                    "data": {
                        "groups": {
                            "totalCount": 0,
                            "pageInfo": {"hasNextPage": False, "endCursor": None},
                            "edges": [],
                        }
                    }
                }
            )
        else:
            route.continue_()

    page.route("**/graphql", no_groups)
    go(page, "Groups")
    empty = page.locator("#no-groups")
    expect(empty).to_contain_text("No groups yet.")
    expect(empty).to_contain_text("Okta: push them with Push Groups")
    expect(empty).to_contain_text(
        "Microsoft Entra ID: enable group provisioning (Provisioning > Mappings > "
        "Provision Microsoft Entra ID Groups)"
    )
    expect(page.locator("#groups-summary")).to_have_text("0 groups")


def test_an_admin_who_may_not_assign_roles_sees_groups_but_cannot_change_their_role(
    browser: Browser, page: Page, roster: Roster, okta_token: str
):
    member = roster.provision(okta_token, "lena.berg@acme.test").json()["id"]
    pushed = roster.push_group(okta_token, "Customer Support", [member])
    assert pushed.status_code == 201, pushed.text
    roster.create_admin("reader@acme.test", "reader-password")
    sign_in(page, roster)
    graphql(
        page,
        """mutation ($id: ID!) {
             setGroupRole(groupId: $id, roleId: "limited-user") { __typename }
           }""",
        id=pushed.json()["id"],
    )
    go(page, "Users")
    reader = user_row(page, "reader@acme.test")
    reader.get_by_label("Role of reader@acme.test", exact=True).select_option("admin")
    reader.get_by_role("button", name="Save role of reader@acme.test").click()
    expect(reader).to_contain_text("Set by hand")

    other = new_context(browser, roster)
    try:
        theirs = other.new_page()
        errors = watch_console(theirs)
        sign_in(theirs, roster, "reader@acme.test", "reader-password")
        go(theirs, "Groups")
        support = group_row(theirs, "Customer Support")
        expect(support.locator(".member-count")).to_have_text("1")
        expect(support).to_contain_text("Limited User")
        expect(support.get_by_role("combobox")).to_have_count(0)
        expect(support.get_by_role("button")).to_have_count(0)
        go(theirs, "Users")
        lena = user_row(theirs, "lena.berg@acme.test")
        expect(lena).to_contain_text("From group “Customer Support”")
        expect(lena.get_by_role("combobox")).to_have_count(0)
        assert errors == []
    finally:
        other.close()


def test_the_entra_id_checklist_gives_the_exact_values_to_copy(page: Page, roster: Roster):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, roster)
    custom = graphql(
        page,
        """mutation ($input: CustomRoleInput!) {
             createCustomRole(input: $input) { ... on CustomRolePayload { role { key } } }
           }""",
        input={"name": "Field Engineers", "permissionLevel": "basic-user"},
    )["createCustomRole"]["role"]["key"]
    page.reload()
    base_url = f"{roster.url}/scim/v2"
    expect(page.locator("#scim-base-url")).to_have_value(base_url)

    okta = page.get_by_role("tab", name="Okta")
    expect(okta).to_have_attribute("aria-selected", "true")
    okta.focus()
    page.keyboard.press("ArrowRight")
    entra_tab = page.get_by_role("tab", name="Microsoft Entra ID")
    expect(entra_tab).to_be_focused()
    expect(entra_tab).to_have_attribute("aria-selected", "true")
    expect(page.locator("#okta-setup")).to_be_hidden()
    entra = page.get_by_role("tabpanel", name="Microsoft Entra ID")
    expect(entra).to_contain_text("Integrate any other application you don't find in the gallery")
    expect(entra).to_contain_text("Sync only assigned users and groups")

    def copied(name: str) -> str:
        entra.get_by_role("button", name=name, exact=True).click()
        expect(entra.get_by_role("button", name=name, exact=True)).to_have_text("Copied")
        return page.evaluate("navigator.clipboard.readText()")

    credentials = entra.locator(".entra-credentials")
    expect(credentials.get_by_role("row", name=re.compile("^Tenant URL"))).to_contain_text(base_url)
    assert copied("Copy Tenant URL") == base_url
    mapping = entra.locator(".entra-role-mapping")
    expect(mapping).to_contain_text("SingleAppRoleAssignment([appRoleAssignments])")
    expect(mapping).to_contain_text('roles[primary eq "True"].value')
    assert copied("Copy expression") == "SingleAppRoleAssignment([appRoleAssignments])"
    assert copied("Copy target attribute") == 'roles[primary eq "True"].value'
    urn = "urn:ietf:params:scim:schemas:extension:roster:2.0:User:permissionsRole"
    expect(entra.locator(".entra-extension")).to_contain_text(urn)
    assert copied("Copy extension attribute") == urn

    values = entra.locator(".app-role-values tbody code")
    expect(values).to_contain_text(
        [
            "super-admin",
            "admin",
            "basic-user",
            "limited-plus-user",
            "limited-user",
            "appstore-user",
            custom,
        ]
    )
    assert copied(f"Copy app role value “{custom}”") == custom

    entra_tab.focus()
    page.keyboard.press("ArrowLeft")
    expect(okta).to_be_focused()
    expect(page.locator("#okta-setup")).to_contain_text("permissionsRole")
    expect(entra).to_be_hidden()


def test_the_organization_name_and_default_role_are_saved(
    page: Page, roster: Roster, okta_token: str
):
    """Last in this module: it changes the default role the other tests rely on."""
    sign_in(page, roster)
    name = page.get_by_label("Organization name")
    name.fill("")
    page.get_by_role("button", name="Save").click()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Enter the organization's name.")).to_be_visible()

    name.fill("Acme Corporation")
    page.get_by_label("Default role").select_option("limited-user")
    page.get_by_role("button", name="Save").click()
    expect(toast(page)).to_contain_text("Saved: Acme Corporation, default role Limited User.")
    expect(page.locator("#org-name")).to_have_text("Acme Corporation")
    expect(name).not_to_have_attribute("aria-invalid", "true")

    assert roster.provision(okta_token, "dana.new@acme.test").status_code == 201
    go(page, "Users")
    dana = user_row(page, "dana.new@acme.test")
    expect(dana.get_by_label("Role of dana.new@acme.test", exact=True)).to_have_value(
        "limited-user"
    )
    expect(dana).to_contain_text("Default (no role given)")
    go(page, "Activity")
    page.get_by_label("Action").select_option("organization.updated")
    expect(events(page).first).to_contain_text("Acme Corp → Acme Corporation")
    expect(events(page).first).to_contain_text("Basic User (basic-user) → Limited User")
