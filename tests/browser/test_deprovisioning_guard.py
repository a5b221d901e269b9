"""Mass-deactivation protection in the settings page, against a real `roster serve`: a
super-admin sets a small threshold, Okta deactivates people one after another until the
circuit breaker holds one (503, exactly at the threshold) and every one after it; the page shows
whom it holds, and confirming applies them all while rejecting applies none, and the same
change sent again is held again. An admin without the permission sees, and cannot decide."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import new_context
from tests.browser.helpers import (
    PATCH_SCHEMA,
    Roster,
    graphql,
    sign_in,
    toast,
    watch_console,
)

pytestmark = pytest.mark.browser

PEOPLE = [f"wave.person{n:02d}@acme.test" for n in range(30)]
PERCENT, MINIMUM = 10, 3
DEACTIVATE = {
    "schemas": [PATCH_SCHEMA],
    "Operations": [{"op": "replace", "value": {"active": False}}],
}
ACTIVE_USERS = "{ users(first: 1, active: true) { totalCount } }"
USER_ID = "query ($search: String) { users(search: $search) { edges { node { id } } } }"
REJECT = "mutation { rejectHeldChanges { __typename } }"


@pytest.fixture(scope="module")
def people(roster: Roster, okta_token: str) -> dict[str, str]:
    """Thirty people provisioned by Okta: userName -> id."""
    ids = {}
    for user_name in PEOPLE:
        created = roster.provision(okta_token, user_name)
        assert created.status_code == 201, created.text
        ids[user_name] = created.json()["id"]
    return ids


@pytest.fixture
def admin_page(page: Page, roster: Roster) -> Iterator[Page]:
    """The super-admin signed in, with the threshold set in the page to 10% and 3 people."""
    sign_in(page, roster)
    card = page.locator("#deprovisioning-guard")
    card.get_by_label("Share of active people (%)").fill("150")
    card.get_by_role("button", name="Set threshold").click()
    percent = card.get_by_label("Share of active people (%)")
    expect(card.get_by_text("Enter a whole number from 1 to 100.")).to_be_visible()
    expect(percent).to_have_attribute("aria-invalid", "true")
    expect(percent).to_be_focused()
    percent.fill(str(PERCENT))
    card.get_by_label("At least this many people").fill(str(MINIMUM))
    card.get_by_label("Within (minutes)").fill("60")
    card.get_by_role("button", name="Set threshold").click()
    expect(toast(page)).to_contain_text("Protection saved")
    expect(page.locator("#guard-state")).to_have_text(
        f"Deactivations run; held once more than {PERCENT}% of active people and at least "
        f"{MINIMUM} are deactivated within 60 minutes."
    )
    expect(percent).not_to_have_attribute("aria-invalid", "true")
    yield page
    graphql(page, REJECT)  # whatever failed, the next test starts with the breaker closed


def threshold(page: Page) -> int:
    """Which deactivation from now trips the breaker: the first that makes more than PERCENT
    of the active users (counted now, at the window's start) and at least MINIMUM people."""
    active = graphql(page, ACTIVE_USERS)["users"]["totalCount"]
    count = MINIMUM
    while count * 100 <= active * PERCENT:
        count += 1
    return count


def deactivate_until_held(roster: Roster, token: str, ids: list[str], trips: int) -> None:
    """Okta's deactivations, one after another: applied until the `trips`th, held from it."""
    for n, user_id in enumerate(ids, start=1):
        answer = roster.scim("PATCH", f"/Users/{user_id}", token, DEACTIVATE)
        if n < trips:
            assert answer.status_code == 200, (n, answer.text)
        else:
            assert answer.status_code == 503, (n, answer.text)
            assert answer.headers["Retry-After"] == "300"
            assert "held for review" in answer.json()["detail"]


def is_active(roster: Roster, token: str, user_id: str) -> bool:
    read = roster.scim("GET", f"/Users/{user_id}", token)
    assert read.status_code == 200, read.text
    return read.json()["active"]


def test_the_breaker_holds_okta_past_the_threshold_and_confirming_applies_every_held_one(
    browser: Browser, admin_page: Page, roster: Roster, okta_token: str, people: dict[str, str]
):
    page = admin_page
    trips = threshold(page)
    wave = PEOPLE[: trips + 2]  # the one that trips it and two after it: all held
    deactivate_until_held(roster, okta_token, [people[name] for name in wave], trips)
    held = wave[trips - 1 :]
    assert [is_active(roster, okta_token, people[name]) for name in wave] == [False] * (
        trips - 1
    ) + [True] * len(held)

    page.reload()
    card = page.locator("#deprovisioning-guard")
    expect(page.locator("#guard-state")).to_have_text(
        re.compile(rf"^Holding {len(held)} deactivations since .+\. Every deactivation")
    )
    expect(card.get_by_role("alert")).to_contain_text("Nobody below has been deactivated yet")
    rows = card.locator(".held-table tbody tr")
    expect(rows).to_have_count(len(held))
    for name, row in zip(held, rows.all(), strict=True):
        expect(row.get_by_role("link", name=name, exact=True)).to_be_visible()
        expect(row).to_contain_text("Okta")
        expect(row).to_contain_text("Held")
    expect(rows.first.get_by_role("link", name=f"Provisioning log of {held[0]}")).to_have_attribute(
        "href", re.compile(f"user={people[held[0]]}")
    )

    # an admin without PROVISIONING_MANAGE sees what is held, and no way to decide
    roster.create_admin("guard.reader@acme.test", "guard-reader-password")
    reader_id = graphql(page, USER_ID, search="guard.reader@acme.test")["users"]["edges"]
    graphql(
        page,
        'mutation ($id: ID!) { setUserRole(userId: $id, role: "admin") { __typename } }',
        id=reader_id[0]["node"]["id"],
    )
    reader = new_context(browser, roster)
    try:
        theirs = reader.new_page()
        errors = watch_console(theirs)
        sign_in(theirs, roster, "guard.reader@acme.test", "guard-reader-password")
        their_card = theirs.locator("#deprovisioning-guard")
        expect(theirs.locator("#guard-state")).to_contain_text(
            f"Holding {len(held)} deactivations since"
        )
        expect(their_card.locator(".held-table tbody tr")).to_have_count(len(held))
        expect(their_card).to_contain_text("Only super admins can confirm or reject")
        expect(their_card.get_by_role("button")).to_have_count(0)
        expect(their_card.get_by_label("Share of active people (%)")).to_have_count(0)
        assert errors == []
    finally:
        reader.close()

    card.get_by_role("button", name="Confirm held changes").click()
    question = page.get_by_role("dialog", name=f"Apply {len(held)} held changes?")
    expect(question).to_contain_text("exactly as your identity provider sent it, in the order")
    expect(question).to_contain_text(held[0])
    expect(question).to_contain_text("window starts again")
    question.get_by_role("button", name="Confirm and apply").click()
    expect(question).to_be_hidden()
    expect(toast(page)).to_contain_text(f"{len(held)} held changes applied")
    expect(page.locator("#guard-state")).to_have_text(re.compile("^Deactivations run;"))
    expect(page.locator("#guard-status")).to_be_focused()
    expect(card.locator(".held-table")).to_have_count(0)
    expect(card.get_by_role("button", name="Confirm held changes")).to_have_count(0)
    assert not any(is_active(roster, okta_token, people[name]) for name in wave)


def test_rejecting_applies_none_and_the_same_change_sent_again_is_held_again(
    admin_page: Page, roster: Roster, okta_token: str, people: dict[str, str]
):
    page = admin_page
    trips = threshold(page)
    remaining = [name for name in PEOPLE if is_active(roster, okta_token, people[name])]
    wave = remaining[: trips + 1]
    deactivate_until_held(roster, okta_token, [people[name] for name in wave], trips)
    held = wave[trips - 1 :]

    page.reload()
    card = page.locator("#deprovisioning-guard")
    expect(page.locator("#guard-state")).to_contain_text(f"Holding {len(held)} deactivations since")
    card.get_by_role("button", name="Reject held changes").click()
    question = page.get_by_role("dialog", name=f"Reject {len(held)} held changes?")
    expect(question).to_contain_text("stay active")
    expect(question).to_contain_text(
        "Fix the group rule or attribute mapping in Okta or Microsoft Entra ID first."
    )
    expect(question).to_contain_text("The same change sent again for the same person is held")
    question.get_by_role("button", name="Reject changes").click()
    expect(question).to_be_hidden()
    expect(toast(page)).to_contain_text(f"{len(held)} held changes rejected")
    expect(page.locator("#guard-state")).to_have_text(re.compile("^Deactivations run;"))
    expect(page.locator("#guard-status")).to_be_focused()
    rejected = card.locator(".held-table tbody tr")
    expect(rejected).to_have_count(len(held))
    expect(rejected.first).to_contain_text("Rejected")
    assert all(is_active(roster, okta_token, people[name]) for name in held)

    again = roster.scim("PATCH", f"/Users/{people[held[0]]}", okta_token, DEACTIVATE)
    assert again.status_code == 503, again.text
    assert again.headers["Retry-After"] == "300"
    assert is_active(roster, okta_token, people[held[0]])
    page.reload()
    expect(page.locator("#guard-state")).to_contain_text("Holding 1 deactivation since")
    expect(
        card.locator(f'.held-table tbody tr[data-user-name="{held[0]}"][data-status="held"]')
    ).to_have_count(1)
