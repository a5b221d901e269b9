"""GraphiQL (ROSTER_GRAPHIQL=1): its requests carry the CSRF header, so signing in and running
mutations from it work."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import AsyncIterator
from subprocess import PIPE

import httpx
import pytest

from tests.api.conftest import BASE
from tests.conftest import running_app

# What the page's script needs from the scripts it loads from the CDN: just enough to run it
# and keep the options it hands to GraphiQL.createFetcher.
STUBS = """
const created = [];
globalThis.window = {location: {search: "", href: "http://roster.test/graphql"}};
globalThis.history = {replaceState() {}};
globalThis.document = {getElementById() { return {}; }};
globalThis.Cookies = {get() { return undefined; }};
globalThis.GraphiQL = {createFetcher(options) { created.push(options); return () => null; }};
globalThis.React = {createElement() { return null; }, useState(v) { return [v, () => {}]; }};
globalThis.ReactDOM = {createRoot() { return {render() {}}; }};
"""
REPORT = "\nprocess.stdout.write(JSON.stringify(created.map((options) => options.headers)));\n"
LOGIN = 'mutation { login(email: "nobody@acme.test", password: "wrong password") { __typename } }'


@pytest.fixture
async def graphiql(db, database_url, tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running_app(database_url, tmp_path, ROSTER_GRAPHIQL="1") as transport,
        httpx.AsyncClient(transport=transport, base_url=BASE) as http,
    ):
        yield http


async def page(http: httpx.AsyncClient) -> str:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    return response.text


def inline_script(html: str) -> str:
    """The page's own script (the others are loaded by URL)."""
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert len(scripts) == 1
    return scripts[0]


async def test_graphiql_page_gives_its_fetcher_the_csrf_header(graphiql):
    script = inline_script(await page(graphiql))

    assert 'const defaultHeaders = {"x-roster-csrf": "1"};' in script
    assert re.search(r"createFetcher\(\{[^}]*headers: defaultHeaders", script)


async def test_graphiql_keeps_its_own_content_security_policy(graphiql):
    response = await graphiql.get("/graphql", headers={"Accept": "text/html"})

    assert "frame-ancestors 'none'" not in response.headers.get("content-security-policy", "")


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the page's script")
async def test_the_headers_graphiql_sends_get_past_the_csrf_check(graphiql):
    script = inline_script(await page(graphiql))
    node = await asyncio.create_subprocess_exec("node", stdin=PIPE, stdout=PIPE, stderr=PIPE)
    stdout, stderr = await asyncio.wait_for(
        node.communicate((STUBS + script + REPORT).encode()), timeout=30
    )
    assert node.returncode == 0, stderr.decode()
    [headers] = json.loads(stdout)

    refused = await graphiql.post("/graphql", json={"query": LOGIN})
    sent = await graphiql.post("/graphql", json={"query": LOGIN}, headers=headers)

    assert refused.status_code == 403
    assert sent.status_code == 200, sent.text
    assert sent.json()["data"]["login"]["__typename"] == "AuthenticationError"
