"""Provisioning safety in the settings page, against a real `roster serve`: a super-admin
pauses provisioning while Okta provisions and resumes it, and nothing Okta sent is lost; the
provisioning log shows what the identity provider sent, redacted, by failure, method and user;
deactivating a user signs their open session out at once."""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import new_context
from tests.browser.helpers import (
    PATCH_SCHEMA,
    Roster,
    events,
    go,
    graphql,
    log_rows,
    sign_in,
    toast,
    user_row,
    wait_for_log,
    watch_console,
)

pytestmark = pytest.mark.browser

RESUME = "mutation { resumeProvisioning { __typename } }"
USER_ID = "query ($search: String) { users(search: $search) { totalCount edges { node { id } } } }"


class OktaLoad(threading.Thread):
    """Okta's import, in a thread of its own: one create after another until stopped, each
    answer kept in order."""

    def __init__(self, roster: Roster, token: str, prefix: str) -> None:
        super().__init__(daemon=True)
        self.roster = roster
        self.token = token
        self.prefix = prefix
        self.answers: list[tuple[str, httpx.Response]] = []
        self.failure: Exception | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        n = 0
        try:
            while not self._stopping.is_set():
                user_name = f"{self.prefix}{n:03d}@acme.test"
                answer = self.roster.provision(self.token, user_name)
                with self._lock:
                    self.answers.append((user_name, answer))
                n += 1
                self._stopping.wait(0.05)
        except Exception as error:  # reported by the test that waits for an answer
            self.failure = error

    def answered(self) -> list[tuple[str, httpx.Response]]:
        with self._lock:
            return list(self.answers)

    def wait_for(self, status: int, count: int, timeout: float = 20) -> None:
        """Until `count` creates were answered with `status`."""
        deadline = time.monotonic() + timeout
        while sum(1 for _, a in self.answered() if a.status_code == status) < count:
            assert self.failure is None, self.failure
            assert time.monotonic() < deadline, f"fewer than {count} creates answered {status}"
            time.sleep(0.05)

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=30)


def user_id_of(page: Page, user_name: str) -> str:
    found = graphql(page, USER_ID, search=user_name)["users"]
    assert found["totalCount"] == 1, found
    return found["edges"][0]["node"]["id"]


def exists(roster: Roster, token: str, user_name: str) -> bool:
    """Whether Roster has `user_name`, asked as Okta asks (a read, answered while paused)."""
    found = roster.scim("GET", f'/Users?filter=userName eq "{user_name}"', token)
    assert found.status_code == 200, found.text
    return found.json()["totalResults"] == 1


def test_a_pause_in_the_page_holds_okta_writes_until_resumed_and_loses_none(
    browser: Browser, page: Page, roster: Roster, okta_token: str
):
    roster.create_admin("ops.reader@acme.test", "ops-reader-password")
    sign_in(page, roster)
    graphql(
        page,
        'mutation ($id: ID!) { setUserRole(userId: $id, role: "admin") { __typename } }',
        id=user_id_of(page, "ops.reader@acme.test"),
    )
    pause = page.locator("#provisioning-pause")
    status = page.locator("#provisioning-status")
    expect(status).to_have_text(
        "Provisioning runs. Your identity provider's changes apply as they arrive."
    )
    load = OktaLoad(roster, okta_token, "load.user")
    load.start()
    try:
        load.wait_for(201, 3)
        pause.get_by_role("button", name="Pause provisioning").click()
        question = page.get_by_role("dialog", name="Pause provisioning?")
        expect(question).to_contain_text("503 Service Unavailable with Retry-After: 120")
        expect(question).to_contain_text("Okta and Microsoft Entra ID send a refused change again")
        expect(question).to_contain_text("nothing is lost")
        expect(question).to_contain_text("Reads still answer")
        question.get_by_role("button", name="Pause provisioning").click()
        expect(question).to_be_hidden()
        expect(toast(page)).to_contain_text("Provisioning paused")
        resume = pause.get_by_role("button", name="Resume provisioning")
        expect(resume).to_be_focused()
        expect(status).to_have_text(
            re.compile(
                rf"^Paused since .+ by {re.escape(roster.admin_email)}: your identity "
                r"provider's writes wait and are retried; reads still answer\."
            )
        )
        expect(pause.get_by_role("link", name="provisioning log")).to_be_visible()

        load.wait_for(503, 3)
        reader = new_context(browser, roster)
        try:
            theirs = reader.new_page()
            errors = watch_console(theirs)
            sign_in(theirs, roster, "ops.reader@acme.test", "ops-reader-password")
            their_pause = theirs.locator("#provisioning-pause")
            expect(theirs.locator("#provisioning-status")).to_contain_text(
                f"Paused since {status.locator('time').first.inner_text()} by {roster.admin_email}"
            )
            expect(their_pause).to_contain_text(
                "Only super admins can pause and resume provisioning."
            )
            expect(their_pause.get_by_role("button")).to_have_count(0)
            assert errors == []
        finally:
            reader.close()

        load.stop()
        answered = load.answered()
        assert {a.status_code for _, a in answered} == {201, 503}, [
            (name, a.status_code, a.text) for name, a in answered
        ]
        refused = [name for name, a in answered if a.status_code == 503]
        for _, answer in answered:
            if answer.status_code == 503:
                assert answer.headers["Retry-After"] == "120"
                assert "paused" in answer.json()["detail"].lower()
        # reads still answer while paused, and no refused create was applied
        assert not [name for name in refused if exists(roster, okta_token, name)], "applied"

        resume.click()
        question = page.get_by_role("dialog", name="Resume provisioning?")
        expect(question).to_contain_text("retries go through")
        question.get_by_role("button", name="Resume provisioning").click()
        expect(toast(page)).to_contain_text("Provisioning resumed")
        expect(status).to_have_text(
            "Provisioning runs. Your identity provider's changes apply as they arrive."
        )
        expect(pause.get_by_role("button", name="Pause provisioning")).to_be_focused()
    finally:
        load.stop()
        graphql(page, RESUME)  # whatever failed, the module's other tests provision

    # Okta sends each refused create again, and now it goes through.
    for name in refused:
        again = roster.provision(okta_token, name)
        assert again.status_code == 201, again.text
    assert all(exists(roster, okta_token, name) for name, _ in answered)
    assert graphql(page, USER_ID, search="load.user")["users"]["totalCount"] == len(answered)


def test_the_provisioning_log_shows_what_okta_sent_filtered_and_redacted(
    page: Page, roster: Roster, okta_token: str
):
    created = roster.provision(okta_token, "paula.log@acme.test", role="basic-user")
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    assert roster.provision(okta_token, "paula.log@acme.test").status_code == 409
    rename = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"displayName": "Paula L."}}],
    }
    assert roster.scim("PATCH", f"/Users/{user_id}", okta_token, rename).status_code == 200
    assert roster.scim("GET", f"/Users/{user_id}", okta_token).status_code == 200
    sign_in(page, roster)
    wait_for_log(page, 3, userId=user_id)  # the duplicate create, sent before, is in too

    go(page, "Provisioning log")
    rows = log_rows(page)
    newest = rows.first
    expect(newest.locator(".request-line")).to_have_text(f"GET /Users/{user_id}")
    expect(newest).to_contain_text("200 OK")
    expect(newest).to_contain_text("Okta")
    expect(newest.get_by_role("link", name="paula.log@acme.test")).to_be_visible()
    expect(page.get_by_role("button", name="Show all requests")).to_be_hidden()

    page.get_by_label("Failed only").check()
    expect(page.locator("#log-scope")).to_have_text("Showing only failed requests.")
    duplicate = log_rows(page).filter(has_text="POST /Users").filter(has_text="409 Conflict")
    expect(duplicate).to_have_count(1)
    expect(duplicate).to_have_class(re.compile(r"\bis-failed\b"))
    statuses = log_rows(page).evaluate_all("rows => rows.map(row => Number(row.dataset.status))")
    assert statuses, "no failed request shown"
    assert min(statuses) >= 400, statuses
    assert "failed=1" in page.url

    page.get_by_label("Failed only").uncheck()
    page.get_by_label("Method").select_option("PATCH")
    expect(page.locator("#log-scope")).to_have_text("Showing only PATCH requests.")
    expect(log_rows(page).filter(has_text=f"PATCH /Users/{user_id}")).to_have_count(1)
    methods = log_rows(page).evaluate_all("rows => rows.map(row => row.dataset.method)")
    assert set(methods) == {"PATCH"}, methods

    page.get_by_role("button", name="Show all requests").click()
    expect(page.locator("#log-scope")).to_be_hidden()
    page.get_by_label("User", exact=True).fill("paula.log@acme.test")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#log-scope")).to_have_text(
        "Showing only requests about paula.log@acme.test."
    )
    expect(log_rows(page).locator(".request-line")).to_have_text(
        [f"GET /Users/{user_id}", f"PATCH /Users/{user_id}", "POST /Users"]
    )
    expect(page.locator("#log-summary")).to_have_text("1\u20133 of 3 requests")

    create = rows.filter(has_text="POST /Users")
    show = create.get_by_role("button", name=re.compile(r"^(Show|Hide) bodies of POST \/Users"))
    expect(show).to_have_text(re.compile("^Show bodies"))
    show.click()
    expect(show).to_have_text(re.compile("^Hide bodies"))
    expect(show).to_have_attribute("aria-expanded", "true")
    bodies = page.locator(f"#{show.get_attribute('aria-controls')}")
    sent = bodies.get_by_role("region", name="Request body")
    expect(sent).to_contain_text('"userName": "paula.log@acme.test"')
    expect(sent).to_contain_text('"password": "[redacted]"')
    expect(sent.locator("mark.redacted")).to_have_text(["[redacted]"])
    expect(bodies).to_contain_text("marks a value Roster never stored")
    expect(bodies.get_by_role("region", name="Response body")).to_contain_text(f'"id": "{user_id}"')
    assert "okta-placeholder-1" not in page.content()
    show.click()
    expect(bodies).to_be_hidden()
    expect(show).to_have_attribute("aria-expanded", "false")
    expect(show).to_be_focused()

    page.get_by_label("Since").fill("2099-01-01T00:00")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("No requests match these filters.")).to_be_visible()
    page.get_by_label("Until").fill("2098-01-01T00:00")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Choose a time after “Since”.")).to_be_visible()
    expect(page.get_by_label("Until")).to_have_attribute("aria-invalid", "true")

    go(page, "Users")
    paula = user_row(page, "paula.log@acme.test")
    paula.get_by_role("link", name="Provisioning log of paula.log@acme.test").click()
    expect(page.get_by_role("heading", level=1, name="Provisioning log")).to_be_visible()
    expect(page.get_by_label("User", exact=True)).to_have_value("paula.log@acme.test")
    expect(page.get_by_label("Since")).to_have_value("")
    expect(rows).to_have_count(3)
    assert f"user={user_id}" in page.url

    go(page, "Activity")
    page.get_by_label("User").fill("paula.log@acme.test")
    page.get_by_role("button", name="Apply").click()
    provisioned = events(page).filter(has_text="User provisioned paula.log@acme.test")
    provisioned.get_by_role("link", name="Provisioning log of paula.log@acme.test").click()
    expect(page.get_by_role("heading", level=1, name="Provisioning log")).to_be_visible()
    expect(page.get_by_label("User", exact=True)).to_have_value("paula.log@acme.test")
    expect(rows).to_have_count(3)


def test_an_activity_entry_leads_to_the_request_it_came_from_even_a_failed_one(
    page: Page, roster: Roster, okta_token: str
):
    refused = roster.provision(okta_token, "rita.role@acme.test", role="no-such-role")
    assert refused.status_code == 400, refused.text
    request_id = refused.headers["X-Request-ID"]
    sign_in(page, roster)
    wait_for_log(page, 1, requestId=request_id)

    go(page, "Activity")
    failure = events(page).filter(has_text="rita.role@acme.test")
    expect(failure).to_contain_text("Provisioning failed")
    failure.get_by_role("link", name="The SCIM request behind this entry").click()

    expect(page.get_by_role("heading", level=1, name="Provisioning log")).to_be_visible()
    expect(page.get_by_label("Request ID")).to_have_value(request_id)
    expect(page.locator("#log-scope")).to_have_text(
        f"Showing only requests with request ID {request_id}."
    )
    rows = log_rows(page)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("400 Bad Request")
    rows.first.get_by_role("button", name=re.compile(r"^Show bodies")).click()
    expect(page.locator(".log-bodies").first).to_contain_text('"permissionsRole": "no-such-role"')
    expect(page.locator(".log-bodies .request-id")).to_contain_text(request_id)

    page.get_by_label("Request ID").fill("not an id!")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_label("Request ID")).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Show all requests").click()
    expect(page.get_by_label("Request ID")).to_have_value("")
    expect(page.locator("#log-scope")).to_be_hidden()
    assert "request=" not in page.url


def test_an_admin_keeps_an_attribute_out_of_the_log_from_the_page(
    page: Page, roster: Roster, okta_token: str
):
    sign_in(page, roster)
    go(page, "Provisioning log")
    card = page.locator("#log-redaction")
    expect(card.locator("dd").first).to_have_text("password")
    kept_out = card.get_by_label("Attributes your organization keeps out")

    kept_out.fill("phone numbers")
    card.get_by_role("button", name="Save").click()
    expect(kept_out).to_have_attribute("aria-invalid", "true")
    expect(card).to_contain_text("SCIM attribute names")

    kept_out.fill("title\nnickName")
    card.get_by_role("button", name="Save").click()
    expect(toast(page)).to_contain_text("keeps no value of title, nickName")
    expect(card.locator("#organization-redaction")).to_have_text("title, nickName")

    created = roster.provision(okta_token, "tina.title@acme.test", title="Head of Secrets")
    assert created.status_code == 201, created.text
    wait_for_log(page, 1, userId=created.json()["id"])
    page.get_by_role("button", name="Refresh").click()
    create = log_rows(page).filter(has_text="POST /Users").first
    create.get_by_role("button", name=re.compile(r"^Show bodies")).click()
    sent = page.locator(".log-bodies").first.get_by_role("region", name="Request body")
    expect(sent).to_contain_text('"title": "[redacted]"')
    expect(sent).to_contain_text('"userName": "tina.title@acme.test"')
    assert "Head of Secrets" not in page.content()

    page.reload()
    expect(page.locator("#log-redaction #organization-redaction")).to_have_text("title, nickName")
    kept_out = page.get_by_label("Attributes your organization keeps out")
    expect(kept_out).to_have_value("title\nnickName")
    kept_out.fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#organization-redaction")).to_have_text("None")


def test_deactivating_a_user_on_the_users_page_signs_their_open_session_out(
    browser: Browser, page: Page, roster: Roster
):
    roster.create_admin("leaver@acme.test", "leaver-password")
    viewer = "{ viewer { user { userName } } }"
    leaver = new_context(browser, roster)
    try:
        theirs = leaver.new_page()
        errors = watch_console(theirs)
        sign_in(theirs, roster, "leaver@acme.test", "leaver-password")
        script_token = graphql(
            theirs,
            'mutation { createApiToken(name: "nightly") '
            "{ ... on CreateApiTokenPayload { token } } }",
        )["createApiToken"]["token"]

        def as_script() -> httpx.Response:
            return httpx.post(
                f"{roster.url}/graphql",
                json={"query": viewer},
                headers={"Authorization": f"Bearer {script_token}"},
                timeout=10,
            )

        assert as_script().json()["data"]["viewer"]["user"]["userName"] == "leaver@acme.test"

        sign_in(page, roster)
        go(page, "Users")
        row = user_row(page, "leaver@acme.test")
        expect(row.locator(".revoked-note")).to_have_count(0)
        row.get_by_role("button", name="Deactivate leaver@acme.test").click()
        question = page.get_by_role("dialog", name="Deactivate leaver@acme.test?")
        expect(question).to_contain_text(
            "their open settings-page sessions end and their personal API tokens are revoked"
        )
        question.get_by_role("button", name="Deactivate").click()
        expect(toast(page)).to_contain_text(
            "leaver@acme.test is deactivated. They are signed out everywhere"
        )
        expect(row).to_contain_text("Inactive")
        expect(row.locator(".revoked-note")).to_have_text(
            "Signed out everywhere; API tokens revoked"
        )

        # the leaver's open page, on its next request
        theirs.get_by_role("navigation", name="Settings").get_by_role("link", name="Users").click()
        expect(theirs.get_by_role("heading", name="Sign in to Roster")).to_be_visible()
        expect(theirs.get_by_role("status").filter(has_text="Your session ended")).to_be_visible()
        refused = as_script()
        assert refused.status_code == 401, refused.text
        assert errors == []
    finally:
        leaver.close()
