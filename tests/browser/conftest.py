"""The settings page in a real browser: one `roster serve` per test module (its own database,
on the suite's PostgreSQL server when the suite runs there), driven through Debian's Chromium
with Playwright's sync API. The tests are plain `def` functions: the sync API cannot run inside
the asyncio loop that pytest-asyncio runs the async tests in."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.browser.helpers import DESKTOP, Roster, watch_console
from tests.processes import drop_postgres_database, ok, serving, user_environment

# Never a browser download: Debian's chromium (apt), or the one ROSTER_TEST_CHROMIUM names.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Generous for a loaded CI machine; a passing expectation returns as soon as it holds.
expect.set_options(timeout=10_000)

# Every Content-Security-Policy violation becomes a console error, which fails the test.
CSP_WATCH = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  console.error(`CSP violation: ${event.violatedDirective} blocked ${blocked}`);
});
"""


def chromium_path() -> str:
    path = (
        os.environ.get("ROSTER_TEST_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if path is None:
        pytest.fail(
            "the browser tests drive Debian's Chromium: `apt-get install chromium` "
            "(or leave them out with `-m 'not browser'`)"
        )
    return path


def start_roster(
    tmp: Path,
    *,
    slug: str,
    name: str,
    admin_email: str = "admin@acme.test",
    public_url: str | None = None,
) -> Iterator[Roster]:
    """A migrated database with one organization and its admin, and `roster serve` on it;
    stopped with SIGTERM (and its PostgreSQL database dropped) afterwards."""
    env, postgres_url = user_environment(tmp, "browser")
    if public_url:
        env["ROSTER_PUBLIC_URL"] = public_url
    try:
        ok(env, "migrate")
        ok(env, "org", "create", slug, "--name", name)
        with serving(env, log=tmp / "serve.log") as server:
            roster = Roster(url=server.url, env=env, org=slug, admin_email=admin_email)
            roster.create_admin(roster.admin_email, roster.admin_password)
            yield roster
    finally:
        if postgres_url:
            # in a thread of its own: Playwright's sync API keeps an event loop in this one
            with ThreadPoolExecutor(1) as thread:
                thread.submit(asyncio.run, drop_postgres_database(postgres_url)).result()


@pytest.fixture(scope="module")
def roster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Roster]:
    yield from start_roster(tmp_path_factory.mktemp("roster"), slug="acme", name="Acme Corp")


@pytest.fixture(scope="module")
def okta_token(roster: Roster) -> str:
    """A SCIM token named "Okta", issued at the command line, for tests that provision users."""
    return roster.cli_scim_token("Okta")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser: Browser, roster: Roster, viewport: dict[str, int] = DESKTOP):
    context = browser.new_context(viewport=viewport, base_url=roster.url)
    context.set_default_timeout(10_000)
    context.add_init_script(script=CSP_WATCH)
    return context


@pytest.fixture
def context(browser: Browser, roster: Roster) -> Iterator[BrowserContext]:
    context = new_context(browser, roster)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A fresh browser (no cookies) on the settings page's server; a console error or CSP
    violation during the test fails it."""
    page = context.new_page()
    errors = watch_console(page)
    yield page
    assert errors == [], "console errors in the browser"
