"""Behind a TLS proxy: the client's address and scheme come from X-Forwarded-For / -Proto only
when the peer is a trusted proxy (ROSTER_TRUSTED_PROXIES), so per-address limits such as the
sign-in throttle hold each client to its own budget and a forged header dodges nothing."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.processes import ok, serving
from web.settings import Settings, SettingsError

pytestmark = pytest.mark.served

FAILURES = 25  # more than the 20 failed sign-ins an address may make in 15 minutes


def sign_in(base: str, email: str, forwarded_for: str) -> dict[str, object]:
    """A wrong password for `email`, sent through a proxy that says the client is
    `forwarded_for`; the login result."""
    document = (
        'mutation { login(email: "%s", password: "not the password") '
        "{ __typename ... on AuthenticationError { retryAfterSeconds } } }" % email
    )
    request = urllib.request.Request(  # noqa: S310 - our own server over http
        f"{base}/graphql",
        data=json.dumps({"query": document}).encode(),
        headers={
            "Content-Type": "application/json",
            "X-Roster-CSRF": "1",
            "X-Forwarded-For": forwarded_for,
            "X-Forwarded-Proto": "https",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our server
        result: dict[str, object] = json.load(response)["data"]["login"]
        return result


def throttled(result: dict[str, object]) -> bool:
    return result["retryAfterSeconds"] is not None


@pytest.mark.slow
def test_behind_a_trusted_proxy_one_clients_failures_do_not_throttle_another(env):
    ok(env, "migrate")
    with serving({**env, "ROSTER_TRUSTED_PROXIES": "127.0.0.1"}) as server:
        base = server.url
        from_a = [sign_in(base, f"a{n}@acme.test", "203.0.113.7") for n in range(FAILURES)]
        from_b = sign_in(base, "b@acme.test", "198.51.100.9")

    assert not any(map(throttled, from_a[:20]))
    assert all(map(throttled, from_a[20:]))  # A is held back...
    assert not throttled(from_b)  # ...and B, behind the same proxy, is not


@pytest.mark.slow
def test_a_forged_forwarded_for_from_an_untrusted_peer_changes_nothing(env):
    ok(env, "migrate")
    with serving(env) as server:  # no trusted proxy: every peer talks for itself
        base = server.url
        forged = [sign_in(base, f"a{n}@acme.test", f"203.0.113.{n}") for n in range(FAILURES)]
        another = sign_in(base, "b@acme.test", "198.51.100.9")

    assert not any(map(throttled, forged[:20]))
    assert all(map(throttled, forged[20:]))  # the forged addresses dodged nothing
    assert throttled(another)


def test_trusted_proxies_are_addresses_or_networks(tmp_path):
    base = {"ROSTER_DATA_DIR": str(tmp_path), "ROSTER_SECRET_KEY": "k" * 40}
    assert Settings.from_env(base).trusted_proxies == ()
    listed = Settings.from_env({**base, "ROSTER_TRUSTED_PROXIES": " 10.0.0.0/8, 127.0.0.1 ,::1"})
    assert listed.trusted_proxies == ("10.0.0.0/8", "127.0.0.1", "::1")


@pytest.mark.parametrize("value", ["*", "proxy.internal", "10.0.0.0/33"])
def test_a_proxy_that_is_not_an_address_or_network_is_refused(tmp_path, value):
    base = {"ROSTER_DATA_DIR": str(tmp_path), "ROSTER_SECRET_KEY": "k" * 40}
    with pytest.raises(SettingsError, match="ROSTER_TRUSTED_PROXIES"):
        Settings.from_env({**base, "ROSTER_TRUSTED_PROXIES": value})
