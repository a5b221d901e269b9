"""Signing in through OpenID Connect, against a real provider: a provisioned, active user of
the organization signs in with the role they have; everyone else gets one page saying why,
no session, and an audit event naming the reason."""

from __future__ import annotations

import pytest

from domain import bus
from domain.commands import DeactivateUser, UpdateUser
from domain.models import AuditEvent, SsoConnection, SsoLink, User
from tests.conftest import provision
from tests.sso.conftest import (
    CONFIGURE,
    OidcProvider,
    browse_sign_in,
    path_of,
    through_provider,
    viewer,
)
from web.sso import safe_return


async def refusals() -> list[dict[str, object]]:
    events = await AuditEvent.filter(action="sso.sign_in_refused").order_by("id")
    return [dict(event.changes) for event in events]


async def test_a_provisioned_admin_signs_in_through_oidc_with_their_role(browser, connection, scim):
    jane = await provision(scim, "jane@acme.test", role="admin")

    answer = await browse_sign_in(browser, "jane@acme.test")

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/"
    signed_in = await viewer(browser)
    assert signed_in is not None
    assert signed_in["user"] == {"userName": "jane@acme.test"}
    assert "USERS_READ" in signed_in["permissions"]
    assert "SSO_MANAGE" not in signed_in["permissions"]
    assert await SsoLink.filter(user_id=jane.id).count() == 1
    assert (await SsoConnection.get(id=connection["id"])).tested_at is not None
    event = await AuditEvent.filter(action="admin.signed_in", target_id=str(jane.id)).first()
    assert event is not None
    assert event.changes == {"via": "oidc"}


async def test_a_basic_user_signs_in_to_no_settings(browser, connection, scim):
    await provision(scim, "bob@acme.test", role="basic-user")

    answer = await browse_sign_in(browser, "bob@acme.test")

    assert answer.status_code == 303
    signed_in = await viewer(browser)
    assert signed_in is not None
    assert signed_in["permissions"] == []


async def test_sign_in_starts_from_an_email_too_and_returns_where_it_was_asked(
    browser, connection, scim
):
    await provision(scim, "jane@acme.test", role="admin")

    answer = await browse_sign_in(
        browser, "jane@acme.test", "/sso/start?email=JANE@acme.test&return_to=/%23/users"
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == "/#/users"


@pytest.mark.parametrize(
    ("asked", "went"),
    [
        ("/#/roles", "/#/roles"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
    ],
)
def test_the_return_target_is_only_ever_a_path_on_roster(asked, went):
    assert safe_return(asked) == went


async def test_the_first_sign_in_links_the_subject_and_later_ones_find_the_user_by_it(
    browser, connection, scim
):
    jane = await provision(scim, "jane@acme.test", role="admin")
    await browse_sign_in(browser, "jane@acme.test")
    renamed = UpdateUser(str(jane.id), {"user_name": "jane.doe@acme.test", "emails": ()})
    await bus.handle(renamed, scim)
    browser.cookies.clear()

    answer = await browse_sign_in(browser, "jane@acme.test")

    assert answer.status_code == 303, answer.text
    signed_in = await viewer(browser)
    assert signed_in is not None
    assert signed_in["user"] == {"userName": "jane.doe@acme.test"}


async def test_someone_the_provider_knows_but_roster_was_never_sent_is_told_so(browser, connection):
    answer = await browse_sign_in(browser, "stranger@acme.test")

    assert answer.status_code == 403
    assert "has not assigned you Roster" in answer.text
    assert "roster_session" not in answer.headers.get("set-cookie", "")
    assert await viewer(browser) is None
    (refusal,) = await refusals()
    assert refusal["reason"] == "unknown_user"
    assert refusal["email"] == "stranger@acme.test"
    assert await User.filter(user_name="stranger@acme.test").count() == 0


async def test_a_deactivated_user_signs_in_no_more_and_their_session_ends_at_once(
    browser, connection, scim
):
    jane = await provision(scim, "jane@acme.test", role="admin")
    await browse_sign_in(browser, "jane@acme.test")
    assert await viewer(browser) is not None

    await bus.handle(DeactivateUser(str(jane.id)), scim)

    assert await viewer(browser) is None
    answer = await browse_sign_in(browser, "jane@acme.test")
    assert answer.status_code == 403
    assert "deactivated" in answer.text
    assert [r["reason"] for r in await refusals()] == ["inactive_user"]


async def test_cancelling_at_the_provider_signs_no_one_in(browser, connection, scim):
    await provision(scim, "jane@acme.test", role="admin")

    answer = await browse_sign_in(browser, "jane@acme.test", cancel=True)

    assert answer.status_code == 400
    assert await viewer(browser) is None
    (refusal,) = await refusals()
    assert refusal["reason"] == "idp_error"
    assert "access_denied" in str(refusal["detail"])


async def test_a_mismatched_state_signs_no_one_in(browser, connection, scim):
    await provision(scim, "jane@acme.test", role="admin")
    start = await browser.get("/sso/start?organization=acme")
    assert start.status_code == 303

    answer = await browser.get("/sso/oidc/callback?code=forged&state=not-the-one-sent")

    assert answer.status_code == 400
    assert "not started in this browser" in answer.text
    assert await viewer(browser) is None
    assert [r["reason"] for r in await refusals()] == ["flow_mismatch"]


async def test_a_callback_in_a_browser_that_started_no_sign_in_is_refused(browser, connection):
    answer = await browser.get("/sso/oidc/callback?code=stolen&state=stolen")

    assert answer.status_code == 400
    assert await viewer(browser) is None


async def test_an_authorization_code_signs_in_once(browser, connection, scim):
    await provision(scim, "jane@acme.test", role="admin")
    start = await browser.get("/sso/start?organization=acme")
    flow = browser.cookies.get("roster_sso")
    callback = path_of(await through_provider(start.headers["location"], "jane@acme.test"))
    assert (await browser.get(callback)).status_code == 303
    browser.cookies.clear()
    browser.cookies.set("roster_sso", flow or "", domain="roster.test", path="/sso")

    replayed = await browser.get(callback)

    assert replayed.status_code == 400
    assert await viewer(browser) is None
    assert [r["reason"] for r in await refusals()] == ["token_rejected"]


async def test_an_organization_without_sso_sends_no_one_anywhere(browser, oidc_provider):
    answer = await browser.get("/sso/start?organization=acme")

    assert answer.status_code == 400
    assert "not set up" in answer.text


async def test_the_client_secret_is_sealed_and_only_its_end_is_shown(
    root, connection, oidc_provider: OidcProvider
):
    stored = await SsoConnection.get(id=connection["id"])

    assert oidc_provider.client_secret not in (stored.client_secret_sealed or "")
    assert connection["clientSecretHint"] == "…" + oidc_provider.client_secret[-4:]
    assert connection["redirectUri"] == "http://roster.test/sso/oidc/callback"
    events = await AuditEvent.filter(action="sso.connection_created")
    assert oidc_provider.client_secret not in str([e.changes for e in events])


async def test_an_issuer_without_a_discovery_document_is_refused_with_the_reason(root):
    data = await root(
        CONFIGURE,
        input={"issuer": "http://127.0.0.1:9", "clientId": "x", "clientSecret": "y"},
    )

    result = data["configureOidcConnection"]
    assert result["__typename"] == "ValidationError"
    assert "did not answer" in result["message"]
    assert await SsoConnection.all().count() == 0


async def test_an_admin_may_not_configure_sso(admin, oidc_provider):
    data = await admin(
        CONFIGURE,
        input={"issuer": oidc_provider.issuer, "clientId": "x", "clientSecret": "y"},
    )

    assert data["configureOidcConnection"]["__typename"] == "PermissionDeniedError"


async def test_no_secret_code_or_token_reaches_the_logs(
    browser, connection, scim, oidc_provider: OidcProvider, caplog
):
    await provision(scim, "jane@acme.test", role="admin")
    caplog.set_level("INFO")  # what a deployment logs (ROSTER_LOG_LEVEL's default)
    start = await browser.get("/sso/start?organization=acme")
    callback = path_of(await through_provider(start.headers["location"], "jane@acme.test"))
    code = callback.split("code=")[1].split("&")[0]

    answer = await browser.get(callback)

    assert answer.status_code == 303
    # Roster's own records and its OAuth client's; not the test's stand-in for the browser
    ours = ("roster", "authlib", "httpx2", "uvicorn")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(ours))
    assert "roster.request" in {record.name for record in caplog.records}
    assert code not in logged
    assert oidc_provider.client_secret not in logged
    assert "eyJ" not in logged  # no JWT (an ID token's header starts so)


async def test_only_who_may_configure_sso_reads_the_connections(admin, connection):
    errors = await admin.errors("{ organization { ssoConnections { id issuer } } }")

    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert connection["issuer"] not in str(errors)
