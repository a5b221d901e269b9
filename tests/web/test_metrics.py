"""/metrics: off unless a scrape token is set; then request counts and latencies per route
template and status, SCIM operations by outcome, database errors and active tokens."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from domain import bus
from domain.commands import (
    IssueScimToken,
    PauseProvisioning,
    RevokeScimToken,
    SetDeprovisioningGuard,
)
from tests.conftest import running_app

BASE = "http://roster.test"
SCRAPE_TOKEN = "scrape-me-please-0123456789"
SCRAPER = {"Authorization": f"Bearer {SCRAPE_TOKEN}"}


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
async def site(db, database_url, tmp_path):
    async with (
        running_app(database_url, tmp_path, ROSTER_METRICS_TOKEN=SCRAPE_TOKEN) as app,
        httpx.AsyncClient(transport=app, base_url=BASE) as http,
    ):
        yield http


async def scim_token(operator) -> str:
    return str((await bus.handle(IssueScimToken(name="Okta"), operator)).secret)


async def test_metrics_are_off_unless_a_scrape_token_is_set(db, database_url, tmp_path):
    async with (
        running_app(database_url, tmp_path) as app,
        httpx.AsyncClient(transport=app, base_url=BASE) as http,
    ):
        response = await http.get("/metrics", headers=SCRAPER)
    assert response.status_code == 404
    assert "ROSTER_METRICS_TOKEN" in response.json()["detail"]


async def test_a_scrape_without_the_token_is_refused(site):
    assert (await site.get("/metrics")).status_code == 401
    wrong = {"Authorization": "Bearer not-the-scrape-token-at-all"}
    assert (await site.get("/metrics", headers=wrong)).status_code == 401


async def test_scim_requests_are_counted_by_route_template_and_by_operation_outcome(site, operator):
    okta = {"Authorization": f"Bearer {await scim_token(operator)}"}
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "ada@acme.test",
    }
    created = await site.post("/scim/v2/Users", json=body, headers=okta)
    assert created.status_code == 201
    assert (await site.post("/scim/v2/Users", json=body, headers=okta)).status_code == 409
    user_id = created.json()["id"]
    assert (await site.get(f"/scim/v2/Users/{user_id}", headers=okta)).status_code == 200

    scrape = await site.get("/metrics", headers=SCRAPER)
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    text = scrape.text
    requests = "roster_http_requests_total"
    assert value(text, requests, method="POST", route="/scim/v2/Users", status="201") == 1
    assert value(text, requests, method="POST", route="/scim/v2/Users", status="409") == 1
    by_id = "/scim/v2/Users/{user_id}"
    assert value(text, requests, method="GET", route=by_id, status="200") == 1
    assert user_id not in text  # a series per route, never per user
    operations = "roster_scim_operations_total"
    assert value(text, operations, operation="create", outcome="success") == 1
    assert value(text, operations, operation="create", outcome="conflict") == 1
    assert value(text, operations, operation="get", outcome="success") == 1
    latency = "roster_http_request_duration_seconds_count"
    assert value(text, latency, method="POST", route="/scim/v2/Users") == 2


async def test_active_tokens_are_counted_by_kind_and_revoked_ones_are_not(site, operator):
    first = await bus.handle(IssueScimToken(name="Okta"), operator)
    await bus.handle(IssueScimToken(name="Entra"), operator)
    await bus.handle(RevokeScimToken(str(first.token.id)), operator)
    text = (await site.get("/metrics", headers=SCRAPER)).text
    assert value(text, "roster_active_tokens", kind="scim") == 1
    assert value(text, "roster_active_tokens", kind="api") == 0


async def test_a_database_that_fails_a_request_is_counted(site, operator, monkeypatch):
    from asyncpg.exceptions import AdminShutdownError

    from domain import queries

    async def shut_down(*args, **kwargs):
        raise AdminShutdownError("terminating connection due to administrator command")

    okta = {"Authorization": f"Bearer {await scim_token(operator)}"}
    with monkeypatch.context() as patch:
        patch.setattr(queries, "list_users", shut_down)
        assert (await site.get("/scim/v2/Users", headers=okta)).status_code == 503
    text = (await site.get("/metrics", headers=SCRAPER)).text
    assert value(text, "roster_database_errors_total", error="AdminShutdownError") == 1
    operations = "roster_scim_operations_total"
    assert value(text, operations, operation="list", outcome="unavailable") == 1


async def test_held_deactivations_and_paused_writes_are_counted_as_such(site, operator):
    okta = {"Authorization": f"Bearer {await scim_token(operator)}"}
    await bus.handle(SetDeprovisioningGuard(enabled=True, percent=1, minimum=1), operator)
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a@acme.test"}
    user_id = (await site.post("/scim/v2/Users", json=body, headers=okta)).json()["id"]
    held = await site.delete(f"/scim/v2/Users/{user_id}", headers=okta)
    assert held.status_code == 503
    await bus.handle(PauseProvisioning(), operator)
    paused = await site.post(
        "/scim/v2/Users", json={**body, "userName": "b@acme.test"}, headers=okta
    )
    assert paused.status_code == 503

    text = (await site.get("/metrics", headers=SCRAPER)).text

    operations = "roster_scim_operations_total"
    assert value(text, operations, operation="delete", outcome="held") == 1
    assert value(text, operations, operation="create", outcome="paused") == 1
    assert value(text, operations, operation="create", outcome="unavailable") == 0
