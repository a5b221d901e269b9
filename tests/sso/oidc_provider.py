"""The certified `oidc-provider` (npm), run by tests/sso/idp/oidc_provider.mjs on Node.js on
127.0.0.1, with its development login pages (any login and password; the login is the `email`
claim) and one client, Roster's, that may return only to the redirect URI it is given."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import free_port

IDP = Path(__file__).parent / "idp"
CLIENT_ID = "roster-test"
CLIENT_SECRET = "roster-test-client-secret"
START_SECONDS = 30.0


@dataclass(frozen=True)
class OidcProvider:
    issuer: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET


def installed() -> None:
    """oidc-provider's node_modules, installed from the lock file the first time."""
    if (IDP / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("the SSO tests run oidc-provider on Node.js: `apt-get install nodejs npm`")
    subprocess.run(  # noqa: S603 - npm, with the lock file's exact versions
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=IDP, check=True
    )


@contextmanager
def running_oidc_provider(redirect_uri: str) -> Iterator[OidcProvider]:
    """The provider, answering until the block ends (then stopped with SIGTERM)."""
    installed()
    port = free_port()
    provider = OidcProvider(issuer=f"http://127.0.0.1:{port}")
    client = {
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    }
    env = {**os.environ, "PORT": str(port), "CLIENTS": json.dumps([client])}
    process = subprocess.Popen(  # noqa: S603 - Node.js on the tests' own script
        [shutil.which("node") or "node", str(IDP / "oidc_provider.mjs")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + START_SECONDS
        while process.stdout.readline().strip() != "ready":
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("oidc-provider did not start")
        yield provider
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
