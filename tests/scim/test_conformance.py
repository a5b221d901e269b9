"""The public SCIM conformance suite, scim2-tester, against `roster serve` on 127.0.0.1 with a
token made by `roster token create`: every check passes."""

from __future__ import annotations

import pytest
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tests.processes import ok, serving


@pytest.mark.slow
def test_scim2_tester_passes_every_check(env):
    ok(env, "migrate")
    ok(env, "org", "create", "acme", "--name", "Acme")
    token = ok(env, "token", "create", "--org", "acme", "--name", "scim2-tester").strip()
    # scim2-tester fires its checks back to back and, unlike Okta and Entra, does not back
    # off on 429: it runs without the rate limit (tests/web/test_rate_limits.py covers that)
    with (
        serving({**env, "ROSTER_SCIM_RATE_LIMIT": "off"}) as server,
        Client(
            base_url=f"{server.url}/scim/v2",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ) as http,
    ):
        results = check_server(SyncSCIMClient(http), raise_exceptions=False)

    failures = [
        f"{r.status.name} {r.title}: {r.reason}"
        for r in results
        if r.status not in (Status.SUCCESS, Status.COMPLIANT, Status.SKIPPED)
    ]
    assert failures == [], "\n".join(failures)
    assert sum(r.status is Status.SUCCESS for r in results) >= 100
