"""The operator's `roster sso oidc` and `roster sso saml`: an organization's connections from
the command line (what `make sso-demo` runs for the demo organization)."""

from __future__ import annotations

import asyncio

from domain import database
from domain.models import SsoConnection, SsoProtocol
from tests.processes import ok, roster
from tests.sso.conftest import OidcProvider

SECRET = "demo-secret"


def configure(env, issuer: str):
    args = ["sso", "oidc", "--org", "acme", "--issuer", issuer, "--client-id", "roster-demo"]
    return roster(env, *args, "--client-secret-stdin", stdin=SECRET + "\n")


async def stored(env) -> list[SsoConnection]:
    context = await database.open_database(env["ROSTER_DATABASE_URL"])
    try:
        return await SsoConnection.all()
    finally:
        await database.close_database(context)


def test_the_command_line_sets_the_connection_with_the_secret_sealed(
    env, oidc_provider: OidcProvider
):
    ok(env, "migrate")
    ok(env, "org", "create", "acme", "--name", "Acme")

    result = configure(env, oidc_provider.issuer)

    assert result.returncode == 0, result.stderr
    assert f"signs in through {oidc_provider.issuer}" in result.stdout
    assert "/sso/oidc/callback" in result.stdout
    (connection,) = asyncio.run(stored(env))
    assert connection.client_id == "roster-demo"
    assert SECRET not in (connection.client_secret_sealed or "")
    assert SECRET not in result.stdout + result.stderr


def test_an_issuer_that_is_no_provider_is_one_line(env):
    ok(env, "migrate")
    ok(env, "org", "create", "acme", "--name", "Acme")

    result = configure(env, "http://127.0.0.1:9")

    assert result.returncode == 1
    assert result.stderr.startswith("roster: error: issuer: ")
    assert result.stderr.count("\n") == 1


def test_the_command_line_sets_the_saml_connection_from_a_metadata_url(env, saml_provider):
    ok(env, "migrate")
    ok(env, "org", "create", "acme", "--name", "Acme")

    result = roster(
        env, "sso", "saml", "--org", "acme", "--metadata-url", saml_provider.metadata_url
    )

    assert result.returncode == 0, result.stderr
    assert f"signs in through {saml_provider.entity_id}" in result.stdout
    assert "/sso/saml/acs" in result.stdout
    (connection,) = asyncio.run(stored(env))
    assert connection.protocol == SsoProtocol.SAML
    assert connection.provider["metadata_url"] == saml_provider.metadata_url


def test_saved_metadata_is_read_from_a_file_and_bad_metadata_is_one_line(
    env, saml_provider, tmp_path
):
    ok(env, "migrate")
    ok(env, "org", "create", "acme", "--name", "Acme")
    saved, broken = tmp_path / "idp.xml", tmp_path / "broken.xml"
    saved.write_text(saml_provider.metadata())
    broken.write_text("<not-metadata/>")

    good = roster(env, "sso", "saml", "--org", "acme", "--metadata-file", str(saved))
    bad = roster(env, "sso", "saml", "--org", "acme", "--metadata-file", str(broken))

    assert good.returncode == 0, good.stderr
    assert bad.returncode == 1
    assert bad.stderr == "roster: error: metadata_xml: it describes no identity provider\n"
