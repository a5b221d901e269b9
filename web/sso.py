"""Single sign-on's HTTP side: `GET /sso/start` sends the browser to the organization's
identity provider; `GET /sso/oidc/callback` (OpenID Connect) or `POST /sso/saml/acs` (SAML)
takes it back, signs the person in and sends them where they were going. What the flow must
remember between the two (the connection, where to return; OIDC's `state`, `nonce` and PKCE
verifier; SAML's request ID) travels in a signed cookie that only the browser that started
the flow holds, for ten minutes. `GET /sso/saml/metadata` gives an organization's service
provider metadata to its identity provider.

Every refusal is one page saying what happened, with a way back to the sign-in page; the
domain records it in the organization's audit log. Secrets, codes and tokens are never
logged."""

from __future__ import annotations

import html
import logging
import secrets
from datetime import UTC, datetime
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from api.context import GraphQLConfig
from api.sessions import write_session_cookie
from domain import sso
from domain.errors import SsoRefused
from domain.models import SsoConnection, SsoProtocol
from domain.sealed import unseal
from domain.sso import Identity
from sso import oidc, saml

FLOW_COOKIE = "roster_sso"
FLOW_SALT = "roster.sso.flow"
FLOW_SECONDS = 600
CALLBACK_PATH = "/sso/oidc/callback"
ACS_PATH = "/sso/saml/acs"
METADATA_PATH = "/sso/saml/metadata"
MAX_RESPONSE_BYTES = 1_000_000  # a SAML response posted to the ACS
log = logging.getLogger("roster.sso")


def routes(config: GraphQLConfig) -> list[Route]:
    """The routes, with the settings page's configuration: its secret key, how its session
    cookie is set, and the URLs built from the public URL."""
    flows = URLSafeTimedSerializer(config.secret_key, salt=FLOW_SALT)

    async def start(request: Request) -> Response:
        params = request.query_params
        try:
            connection = await sso.connection_of(
                params.get("organization"), params.get("email"), params.get("protocol")
            )
            if connection.protocol == SsoProtocol.SAML:
                slug = await sso.slug_of(connection)
                sp = _service_provider(config, slug)
                request_id, url = saml.authentication_request(sp, _identity_provider(connection))
                flow = {"c": str(connection.id), "i": request_id, "e": sp.entity_id}
            else:
                url, flow = _oidc_start(config, connection)
        except SsoRefused as error:
            return _refusal(error)
        flow["r"] = safe_return(params.get("return_to"))
        response = RedirectResponse(url, status_code=303)
        # The provider sends OIDC's browser back with a top-level GET, which a Lax cookie goes
        # with; SAML's comes back with a POST from the provider's site, which only a
        # SameSite=None cookie goes with, and that must be Secure (so served over https).
        cross_site = connection.protocol == SsoProtocol.SAML and config.secure_cookies
        response.set_cookie(
            FLOW_COOKIE,
            flows.dumps(flow),
            max_age=FLOW_SECONDS,
            path="/sso",
            httponly=True,
            samesite="none" if cross_site else "lax",
            secure=config.secure_cookies,
        )
        return response

    async def oidc_callback(request: Request) -> Response:
        flow = _flow(flows, request.cookies.get(FLOW_COOKIE), _OIDC_FLOW)
        connection = await sso.connection(flow["c"]) if flow is not None else None
        if flow is None or connection is None or connection.protocol != SsoProtocol.OIDC:
            return _refusal(SsoRefused("flow_mismatch", "no sign-in was started in this browser"))
        params = request.query_params
        try:
            if params.get("state") != flow["s"]:
                raise SsoRefused("flow_mismatch", "the state returned is not this browser's")
            if params.get("error"):
                raise SsoRefused("idp_error", f"the provider answered {params['error'][:100]}")
            if not params.get("code"):
                raise SsoRefused("idp_error", "the provider returned no authorization code")
            secret = unseal(config.secret_key, connection.client_secret_sealed or "")
            if secret is None:
                raise SsoRefused("token_rejected", "the client secret cannot be opened here")
            client = oidc.Client(str(connection.client_id), secret, config.sso_redirect_uri)
            identity = await oidc.signed_in(
                oidc.Provider.of(connection.provider),
                client,
                code=params["code"],
                code_verifier=flow["v"],
                nonce=flow["n"],
            )
        except SsoRefused as error:
            return _refusal(await sso.refused(connection, error))
        return await _signed_in(connection, identity, flow["r"])

    async def saml_acs(request: Request) -> Response:
        flow = _flow(flows, request.cookies.get(FLOW_COOKIE), _SAML_FLOW)
        connection = await sso.connection(flow["c"]) if flow is not None else None
        if flow is None or connection is None or connection.protocol != SsoProtocol.SAML:
            return _refusal(SsoRefused("flow_mismatch", "no sign-in was started in this browser"))
        form = await request.form(max_files=0, max_fields=8, max_part_size=MAX_RESPONSE_BYTES)
        posted = form.get("SAMLResponse")
        try:
            if not isinstance(posted, str) or not posted.strip():
                raise SsoRefused("idp_error", "the provider posted no SAMLResponse")
            sp = saml.ServiceProvider(flow["e"], config.saml_acs_url)
            assertion = await saml.signed_in(sp, _identity_provider(connection), posted, flow["i"])
        except SsoRefused as error:
            return _refusal(await sso.refused(connection, error))
        try:
            expires = datetime.fromtimestamp(assertion.expires_at, UTC)
            await sso.first_use(connection, assertion.assertion_id, expires)
        except SsoRefused as error:
            return _refusal(error)  # recorded by the domain
        return await _signed_in(connection, assertion.identity, flow["r"])

    async def _signed_in(connection: SsoConnection, identity: Identity, target: str) -> Response:
        try:
            signed_in = await sso.sign_in(connection, identity)
        except SsoRefused as error:
            return _refusal(error)  # recorded by the domain
        response = RedirectResponse(target, status_code=303)
        write_session_cookie(response, str(signed_in.session.secret), config)
        response.delete_cookie(FLOW_COOKIE, path="/sso")
        return response

    async def saml_metadata(request: Request) -> Response:
        slug = (request.query_params.get("organization") or "").strip().lower()
        if not await sso.organization_exists(slug):
            return PlainTextResponse(f"no organization {slug!r}\n", status_code=404)
        try:
            metadata = saml.sp_metadata(_service_provider(config, slug))
        except SsoRefused as error:
            return PlainTextResponse(f"{error.detail}\n", status_code=503)
        return Response(metadata, media_type="application/samlmetadata+xml")

    return [
        Route("/sso/start", start, methods=["GET"]),
        Route(CALLBACK_PATH, oidc_callback, methods=["GET"]),
        Route(ACS_PATH, saml_acs, methods=["POST"]),
        Route(METADATA_PATH, saml_metadata, methods=["GET"]),
    ]


def _oidc_start(config: GraphQLConfig, connection: SsoConnection) -> tuple[str, dict[str, str]]:
    """Where the browser goes to sign in through OpenID Connect, and what the flow keeps."""
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    provider = oidc.Provider.of(connection.provider)
    client = oidc.Client(str(connection.client_id), "", config.sso_redirect_uri)
    url = oidc.authorization_url(provider, client, state=state, nonce=nonce, code_verifier=verifier)
    return url, {"c": str(connection.id), "s": state, "n": nonce, "v": verifier}


def _service_provider(config: GraphQLConfig, slug: str) -> saml.ServiceProvider:
    return saml.ServiceProvider(config.saml_entity_id(slug), config.saml_acs_url)


def _identity_provider(connection: SsoConnection) -> saml.IdentityProvider:
    provider = connection.provider
    return saml.IdentityProvider(
        connection.issuer, str(provider["sso_url"]), str(provider["metadata_xml"])
    )


def safe_return(target: str | None) -> str:
    """Where to go once signed in: a path on Roster only (no other site, no scheme, no
    `//host` or `/\\host`), else the settings page."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x20 or c == "\\" for c in target):
        return "/"
    return target


# what a flow keeps: the connection, where to return, and for OpenID Connect the state, nonce
# and PKCE verifier; for SAML the request's ID and Roster's entity ID
_OIDC_FLOW = ("c", "r", "s", "n", "v")
_SAML_FLOW = ("c", "r", "i", "e")


def _flow(
    flows: URLSafeTimedSerializer, cookie: str | None, wanted: tuple[str, ...]
) -> dict[str, str] | None:
    if not cookie:
        return None
    try:
        flow: Any = flows.loads(cookie, max_age=FLOW_SECONDS)
    except BadData:
        return None
    if not isinstance(flow, dict) or not all(isinstance(flow.get(k), str) for k in wanted):
        return None
    return {k: str(flow[k]) for k in wanted}


def _refusal(error: SsoRefused) -> Response:
    """The one page every refusal shows: what happened, and the way back."""
    log.info("single sign-on refused: %s", error.reason)
    status = 403 if error.reason in ("unknown_user", "inactive_user") else 400
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in refused · Roster</title>
<link rel="stylesheet" href="/styles.css">
</head>
<body>
<main class="refusal" id="sso-refusal" data-reason="{html.escape(error.reason)}">
<h1>You are not signed in</h1>
<p>{html.escape(error.message)}</p>
<p><a class="btn btn-primary" href="/">Back to sign-in</a></p>
</main>
</body>
</html>
"""
    return HTMLResponse(page, status_code=status)
