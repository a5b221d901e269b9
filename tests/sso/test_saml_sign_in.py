"""Signing in through SAML 2.0, against pysaml2 as a real identity provider: the connection
is made from the provider's metadata, Roster's own metadata names its entity ID and ACS URL,
and a provisioned, active user signs in with their role. A response a provider should never
send (tampered, unsigned, signed by another key, expired, for another audience, answering
another request, replayed) gets one page saying why, no session, and an audit event naming
the reason."""

from __future__ import annotations

import html
import logging
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from domain.errors import SsoRefused
from domain.models import AuditEvent, SsoAssertion, SsoConnection, SsoLink
from tests.api.conftest import BASE
from tests.conftest import provision
from tests.sso.conftest import (
    CONFIGURE_SAML,
    browse_saml_sign_in,
    path_of,
    saml_post_for,
    viewer,
)
from tests.sso.saml_idp import SamlIdp

CONNECTIONS = "{ organization { ssoConnections { protocol issuer spEntityId redirectUri } } }"


async def refusals() -> list[dict[str, object]]:
    events = await AuditEvent.filter(action="sso.sign_in_refused").order_by("id")
    return [dict(event.changes) for event in events]


async def test_a_connection_is_made_from_the_providers_metadata_url(root, saml_connection):
    idp_entity = saml_connection["issuer"]

    assert saml_connection["protocol"] == "saml"
    assert str(idp_entity).endswith("/metadata")
    assert str(saml_connection["ssoUrl"]).endswith("/sso/redirect")
    assert saml_connection["metadataUrl"] == idp_entity
    assert saml_connection["spEntityId"] == f"{BASE}/sso/saml/metadata?organization=acme"
    assert saml_connection["redirectUri"] == f"{BASE}/sso/saml/acs"
    assert saml_connection["testedAt"] is None
    event = await AuditEvent.get(action="sso.connection_created")
    assert event.changes["protocol"] == {"before": None, "after": "saml"}
    assert "metadata_xml" not in event.changes


async def test_pasted_metadata_makes_the_same_connection(root, saml_idp_of_test: SamlIdp):
    data = await root(CONFIGURE_SAML, input={"metadataXml": saml_idp_of_test.metadata()})

    connection = data["configureSamlConnection"]["connection"]
    assert connection["issuer"] == saml_idp_of_test.entity_id
    assert connection["metadataUrl"] is None


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ({}, "metadata_xml: give the metadata XML or its URL, one of the two"),
        (
            {"metadataXml": "<x/>", "metadataUrl": "https://idp.example/metadata"},
            "metadata_xml: give the metadata XML or its URL, one of the two",
        ),
        ({"metadataXml": "<unclosed>"}, "metadata_xml: not well-formed XML"),
        (
            {"metadataXml": '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'},
            "metadata_xml: metadata with a DOCTYPE or entities is refused",
        ),
        ({"metadataXml": "<x/>"}, "metadata_xml: it describes no identity provider"),
        ({"metadataUrl": "ftp://idp.example/metadata"}, "metadata_url: an https:// URL"),
        ({"metadataUrl": "http://127.0.0.1:9/metadata"}, "metadata_url: http://127.0.0.1:9"),
    ],
)
async def test_metadata_roster_cannot_use_is_refused_with_the_reason(root, given, why):
    data = await root(CONFIGURE_SAML, input=given)

    result = data["configureSamlConnection"]
    assert result["__typename"] == "ValidationError"
    assert result["message"].startswith(why), result["message"]
    assert await SsoConnection.all().count() == 0


async def test_metadata_without_a_signing_certificate_is_refused(root, saml_idp_of_test):
    metadata = saml_idp_of_test.metadata()
    start = metadata.index("<ns0:KeyDescriptor")
    end = metadata.index("</ns0:KeyDescriptor>") + len("</ns0:KeyDescriptor>")

    data = await root(CONFIGURE_SAML, input={"metadataXml": metadata[:start] + metadata[end:]})

    message = data["configureSamlConnection"]["message"]
    assert message == "metadata_xml: the provider's metadata has no signing certificate"


async def test_rosters_metadata_names_its_entity_id_and_acs_url(browser, root):
    answer = await browser.get("/sso/saml/metadata?organization=acme")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/samlmetadata+xml")
    assert f'entityID="{BASE}/sso/saml/metadata?organization=acme"' in answer.text
    assert f'Location="{BASE}/sso/saml/acs"' in answer.text
    assert "HTTP-POST" in answer.text
    unknown = await browser.get("/sso/saml/metadata?organization=nobody")
    assert unknown.status_code == 404


async def test_a_provisioned_admin_signs_in_through_saml_with_their_role(
    browser, saml_connection, scim
):
    jane = await provision(scim, "jane@acme.test", role="admin")

    answer = await browse_saml_sign_in(browser, "jane@acme.test")

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/"
    signed_in = await viewer(browser)
    assert signed_in is not None
    assert signed_in["user"] == {"userName": "jane@acme.test"}
    assert "USERS_READ" in signed_in["permissions"]
    assert "SSO_MANAGE" not in signed_in["permissions"]
    assert await SsoLink.filter(user_id=jane.id).count() == 1
    assert (await SsoConnection.get(id=saml_connection["id"])).tested_at is not None
    event = await AuditEvent.get(action="admin.signed_in", target_id=str(jane.id))
    assert event.changes == {"via": "saml"}


async def test_the_authentication_request_goes_to_the_providers_sso_url(browser, saml_connection):
    answer = await browser.get("/sso/start?organization=acme")

    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(str(saml_connection["ssoUrl"]))
    assert "SAMLRequest" in parse_qs(urlsplit(location).query)
    flow = answer.headers["set-cookie"]
    assert "roster_sso=" in flow
    assert "Path=/sso" in flow
    assert "HttpOnly" in flow


async def test_a_basic_user_signs_in_to_no_settings(browser, saml_connection, scim):
    await provision(scim, "bob@acme.test", role="basic-user")

    answer = await browse_saml_sign_in(browser, "bob@acme.test")

    assert answer.status_code == 303
    signed_in = await viewer(browser)
    assert signed_in is not None
    assert signed_in["permissions"] == []


async def test_the_nameid_alone_signs_in_when_no_email_attribute_is_sent(
    browser, saml_connection, saml_idp_of_test, scim
):
    await provision(scim, "jane@acme.test", role="admin")
    saml_idp_of_test.email_attribute = False

    answer = await browse_saml_sign_in(browser, "jane@acme.test")

    assert answer.status_code == 303, answer.text


async def test_sign_in_starts_from_an_email_and_returns_where_it_was_asked(
    browser, saml_connection, scim
):
    await provision(scim, "jane@acme.test", role="admin")

    answer = await browse_saml_sign_in(
        browser, "jane@acme.test", "/sso/start?email=jane@acme.test&return_to=/%23/users"
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == "/#/users"


async def test_someone_roster_was_never_sent_is_told_so(browser, saml_connection):
    answer = await browse_saml_sign_in(browser, "stranger@acme.test")

    assert answer.status_code == 403
    assert "has not assigned you Roster" in answer.text
    assert await viewer(browser) is None
    (refusal,) = await refusals()
    assert refusal["reason"] == "unknown_user"


async def test_a_deactivated_user_does_not_sign_in(browser, saml_connection, scim):
    await provision(scim, "jane@acme.test", role="admin", active=False)

    answer = await browse_saml_sign_in(browser, "jane@acme.test")

    assert answer.status_code == 403
    assert await viewer(browser) is None
    (refusal,) = await refusals()
    assert refusal["reason"] == "inactive_user"


@pytest.mark.parametrize(
    ("forgery", "reason", "why"),
    [
        (
            "tampered",
            "assertion_rejected",
            "the signature does not verify against the provider's certificate",
        ),
        (
            "unsigned",
            "assertion_rejected",
            "the response and its assertions are not signed by the provider",
        ),
        (
            "foreign_key",
            "assertion_rejected",
            "the signature does not verify against the provider's certificate",
        ),
        ("expired", "assertion_rejected", "the assertion has expired"),
        (
            "wrong_audience",
            "assertion_rejected",
            "the assertion is meant for another service provider (audience)",
        ),
        (
            "unsolicited",
            "flow_mismatch",
            "the response answers no sign-in this browser started",
        ),
        ("denied", "idp_error", "the provider answered an error (StatusRequestDenied)"),
    ],
)
async def test_a_response_a_provider_should_never_send_signs_no_one_in(
    browser, saml_connection, saml_idp_of_test, scim, forgery, reason, why
):
    await provision(scim, "jane@acme.test", role="admin")
    saml_idp_of_test.forgery = forgery

    answer = await browse_saml_sign_in(browser, "jane@acme.test")

    assert answer.status_code == 400, answer.text
    assert 'id="sso-refusal"' in answer.text
    assert f'data-reason="{reason}"' in answer.text
    assert html.escape(SsoRefused(reason, why).message) in answer.text
    assert "roster_session" not in answer.headers.get("set-cookie", "")
    assert await viewer(browser) is None
    (refusal,) = await refusals()
    assert refusal == {"reason": reason, "detail": why}
    assert await SsoLink.all().count() == 0


async def test_a_replayed_assertion_is_refused(browser, saml_connection, scim):
    await provision(scim, "jane@acme.test", role="admin")
    start = await browser.get("/sso/start?organization=acme")
    flow = browser.cookies["roster_sso"]
    posted = await saml_post_for(start.headers["location"], "jane@acme.test")
    first = await browser.post(path_of(posted.acs), data=posted.fields)
    assert first.status_code == 303
    browser.cookies.clear()
    browser.cookies.set("roster_sso", flow, domain="roster.test", path="/sso")

    again = await browser.post(path_of(posted.acs), data=posted.fields)

    assert again.status_code == 400
    assert 'data-reason="replayed"' in again.text
    assert "This sign-in has been used already" in again.text
    assert await viewer(browser) is None
    (refusal,) = await refusals()
    assert refusal["reason"] == "replayed"
    assert await SsoAssertion.all().count() == 1


async def test_a_response_posted_in_a_browser_that_started_no_sign_in_is_refused(
    browser, saml_connection, scim, app_transport
):
    await provision(scim, "jane@acme.test", role="admin")
    start = await browser.get("/sso/start?organization=acme")
    posted = await saml_post_for(start.headers["location"], "jane@acme.test")

    async with httpx.AsyncClient(transport=app_transport, base_url=BASE) as other:
        answer = await other.post(path_of(posted.acs), data=posted.fields)
        assert answer.status_code == 400
        assert 'data-reason="flow_mismatch"' in answer.text
        assert await viewer(other) is None


async def test_a_response_to_another_browsers_sign_in_is_refused(
    browser, saml_connection, scim, app_transport
):
    await provision(scim, "jane@acme.test", role="admin")
    start = await browser.get("/sso/start?organization=acme")
    posted = await saml_post_for(start.headers["location"], "jane@acme.test")

    async with httpx.AsyncClient(transport=app_transport, base_url=BASE) as other:
        assert (await other.get("/sso/start?organization=acme")).status_code == 303
        answer = await other.post(path_of(posted.acs), data=posted.fields)
        assert answer.status_code == 400
        assert 'data-reason="flow_mismatch"' in answer.text
        assert await viewer(other) is None


async def test_a_post_without_a_response_is_refused(browser, saml_connection):
    await browser.get("/sso/start?organization=acme")

    answer = await browser.post("/sso/saml/acs", data={"RelayState": ""})

    assert answer.status_code == 400
    assert 'data-reason="idp_error"' in answer.text


async def test_with_both_protocols_oidc_comes_first_unless_saml_is_asked_for(
    browser, saml_connection, connection
):
    oidc = await browser.get("/sso/start?organization=acme")
    saml = await browser.get("/sso/start?organization=acme&protocol=saml")

    assert "SAMLRequest" not in oidc.headers["location"]
    assert "SAMLRequest" in saml.headers["location"]


async def test_the_connections_show_what_to_give_the_provider(root, saml_connection):
    data = await root(CONNECTIONS)

    (shown,) = data["organization"]["ssoConnections"]
    assert shown["protocol"] == "saml"
    assert shown["spEntityId"] == f"{BASE}/sso/saml/metadata?organization=acme"
    assert shown["redirectUri"] == f"{BASE}/sso/saml/acs"


async def test_no_assertion_reaches_the_logs(browser, saml_connection, scim, caplog):
    await provision(scim, "jane@acme.test", role="admin")
    caplog.set_level(logging.INFO)

    start = await browser.get("/sso/start?organization=acme")
    posted = await saml_post_for(start.headers["location"], "jane@acme.test")
    await browser.post(path_of(posted.acs), data=posted.fields)
    await browser.post(path_of(posted.acs), data=posted.fields)  # refused: a replay

    # what Roster logged (the test's own HTTP clients log the URLs they fetch)
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore"))
    )
    assert "roster.request" in {record.name for record in caplog.records}
    assert posted.fields["SAMLResponse"][:40] not in logged
    assert "Assertion" not in logged
    assert "jane@acme.test" not in logged
