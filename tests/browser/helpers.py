"""What the browser tests share: the server under test, signing in, SCIM calls as Okta and
Entra ID make them, GraphQL calls as the page makes them, and screenshots."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.processes import ok

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
NARROW = {"width": 390, "height": 844}
SCIM_JSON = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@dataclass
class Roster:
    url: str
    env: dict[str, str]
    org: str
    admin_email: str = "admin@acme.test"
    admin_password: str = "correct-horse-battery"
    okta_token: str | None = None  # the SCIM token a test's Okta uses, once it has one

    def create_admin(self, email: str, password: str) -> None:
        ok(
            self.env,
            "admin",
            "create",
            "--org",
            self.org,
            "--email",
            email,
            "--password-stdin",
            stdin=password + "\n",
        )

    def cli_scim_token(self, name: str = "Okta (command line)") -> str:
        return ok(self.env, "token", "create", "--org", self.org, "--name", name).strip()

    def scim(self, method: str, path: str, token: str, body: Any = None) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.url}/scim/v2{path}",
            headers={"Authorization": f"Bearer {token}", "Content-Type": SCIM_JSON},
            content=json.dumps(body) if body is not None else None,
            timeout=10,
        )

    def provision(self, token: str, user_name: str, role: str | None = None, **extra: Any):
        """Okta's create request for `user_name`, with `role` as its permissionsRole."""
        given, _, family = user_name.split("@")[0].replace(".", " ").title().partition(" ")
        body: dict[str, Any] = {
            "schemas": [USER_SCHEMA],
            "userName": user_name,
            "name": {"givenName": given, "familyName": family or "Tester"},
            "displayName": f"{given} {family or 'Tester'}",
            "emails": [{"primary": True, "value": user_name, "type": "work"}],
            "active": True,
            "password": "okta-placeholder-1",
        }
        if role is not None:
            body["permissionsRole"] = role
        body.update(extra)
        return self.scim("POST", "/Users", token, body)

    def push_group(
        self, token: str, name: str, member_ids: list[str], external_id: str | None = None
    ) -> httpx.Response:
        """The identity provider's create request for the group `name` with these members."""
        body: dict[str, Any] = {
            "schemas": [GROUP_SCHEMA],
            "displayName": name,
            "members": [{"value": member_id} for member_id in member_ids],
        }
        if external_id is not None:
            body["externalId"] = external_id
        return self.scim("POST", "/Groups", token, body)


def watch_console(page: Page) -> list[str]:
    """Console errors and uncaught exceptions of `page`, as they come."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    return errors


def sign_in(page: Page, roster: Roster, email: str | None = None, password: str | None = None):
    page.goto("/")
    page.get_by_label("Email", exact=True).fill(email or roster.admin_email)
    page.get_by_label("Password").fill(password or roster.admin_password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def go(page: Page, route: str) -> None:
    """Open a page of the settings by its navigation link, and wait for its heading."""
    page.get_by_role("navigation", name="Settings").get_by_role("link", name=route).click()
    expect(page.get_by_role("heading", level=1, name=route)).to_be_visible()


def graphql(page: Page, query: str, **variables: Any) -> dict[str, Any]:
    """A GraphQL call with the page's session, as the settings page makes it."""
    response = page.request.post(
        "/graphql",
        data={"query": query, "variables": variables},
        headers={"X-Roster-CSRF": "1"},
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def toast(page: Page) -> Locator:
    return page.locator("#toasts")


def user_row(page: Page, user_name: str) -> Locator:
    """The row of `user_name` on the Users page, found with the search box."""
    page.get_by_label("Search").fill(user_name)
    row = page.locator(f'tr[data-user-name="{user_name}"]')
    expect(page.locator(".users-table tbody tr")).to_have_count(1)
    expect(row).to_be_visible()
    expect(page.locator(".results")).not_to_have_attribute("aria-busy", "true")
    return row


def group_row(page: Page, name: str) -> Locator:
    """The row of the group `name` on the Groups page, found with the search box."""
    page.get_by_label("Search").fill(name)
    row = page.locator(f'tr[data-group-name="{name}"]')
    expect(page.locator(".groups-table tbody tr")).to_have_count(1)
    expect(row).to_be_visible()
    expect(page.locator(".results")).not_to_have_attribute("aria-busy", "true")
    return row


def role_row(page: Page, name: str) -> Locator:
    return page.locator(".roles-table tbody tr").filter(
        has=page.locator(".role-name", has_text=re.compile(f"^{re.escape(name)}"))
    )


def events(page: Page) -> Locator:
    return page.locator("ol.events > li")


def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def log_rows(page: Page) -> Locator:
    """The requests on the Provisioning log page, newest first (not the rows of their bodies),
    once the page shows what its filters ask for."""
    expect(page.locator(".results")).not_to_have_attribute("aria-busy", "true")
    return page.locator(".log-table tbody tr[data-request-id]")


def wait_for_log(page: Page, count: int, *, timeout: float = 10, **filters: Any) -> None:
    """Until the provisioning log holds at least `count` requests matching `filters` (GraphQL
    arguments of `provisioningRequests`): the server writes each just after its answer."""
    query = """query ($userId: ID, $failed: Boolean, $method: String, $requestId: String) {
                 provisioningRequests(first: 1, userId: $userId, failed: $failed, method: $method,
                                      requestId: $requestId) {
                   totalCount
                 }
               }"""
    deadline = time.monotonic() + timeout
    while True:
        total = graphql(page, query, **filters)["provisioningRequests"]["totalCount"]
        if total >= count:
            return
        assert time.monotonic() < deadline, f"the log holds {total} requests, not {count}"
        time.sleep(0.1)
