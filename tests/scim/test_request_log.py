"""One line per request: who (organization, kind of actor), what (method, path without the
query), how it went (status, duration), and the request id, never a secret."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import pytest

from web.logs import JsonFormatter


def lines(caplog) -> list[dict]:
    """The request log's lines as written (JSON), without their timestamp."""
    written = [JsonFormatter().format(r) for r in caplog.records if r.name == "roster.request"]
    return [{k: v for k, v in json.loads(line).items() if k != "timestamp"} for line in written]


@pytest.fixture(autouse=True)
def request_lines(caplog):
    caplog.set_level(logging.INFO, logger="roster.request")


async def test_a_scim_request_is_one_line_with_its_organization_and_actor(
    client, token, organization, caplog
):
    expression = quote('userName eq "jane.doe@okta.local"')
    response = await client.get(f"/Users?filter={expression}")

    (line,) = lines(caplog)
    assert line | {"duration_ms": 0} == {
        "level": "INFO",
        "logger": "roster.request",
        "message": "request",
        "method": "GET",
        "path": "/scim/v2/Users",
        "status": 200,
        "duration_ms": 0,
        "organization": organization.id,
        "actor": "scim_token",
        "request_id": response.headers["x-request-id"],
    }
    assert line["duration_ms"] > 0
    assert token not in json.dumps(line)
    assert "jane.doe" not in json.dumps(line)  # the query string is never logged


async def test_the_caller_s_request_id_is_kept_and_returned(client, caplog):
    response = await client.get("/ServiceProviderConfig", headers={"X-Request-ID": "okta-42.a"})

    assert response.headers["x-request-id"] == "okta-42.a"
    assert lines(caplog)[0]["request_id"] == "okta-42.a"


@pytest.mark.parametrize("given", ["", "x" * 129, "two words", "ünïcode", 'a"b'])
async def test_a_request_id_that_is_not_a_plain_token_is_replaced(client, caplog, given):
    response = await client.get(
        "/ServiceProviderConfig", headers={"X-Request-ID": given.encode("utf-8")}
    )

    assert response.headers["x-request-id"] != given
    assert len(response.headers["x-request-id"]) == 32


async def test_a_refused_request_is_logged_without_an_actor(app_transport, caplog):
    import httpx

    async with httpx.AsyncClient(transport=app_transport, base_url="http://roster.test") as c:
        response = await c.get("/scim/v2/Users", headers={"Authorization": "Bearer rst_scim_x"})

    (line,) = lines(caplog)
    assert (response.status_code, line["status"], line["actor"]) == (401, 401, None)
    assert "rst_scim_x" not in json.dumps(line)
