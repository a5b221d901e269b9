"""Single sign-on's HTTP side: `GET /sso/start` sends the browser to the organization's
identity provider, `GET /sso/oidc/callback` takes it back, signs the person in and sends them
where they were going. What the flow must remember between the two (the connection, `state`,
`nonce`, the PKCE verifier, where to return) travels in a signed cookie that only the browser
that started the flow holds, for ten minutes.

Every refusal is one page saying what happened, with a way back to the sign-in page; the
domain records it in the organization's audit log. Secrets, codes and tokens are never
logged."""

from __future__ import annotations

import html
import logging
import secrets
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from api.context import GraphQLConfig
from api.sessions import write_session_cookie
from domain import sso
from domain.errors import SsoRefused
from domain.sealed import unseal
from sso import oidc

FLOW_COOKIE = "roster_sso"
FLOW_SALT = "roster.sso.flow"
FLOW_SECONDS = 600
CALLBACK_PATH = "/sso/oidc/callback"
log = logging.getLogger("roster.sso")


def routes(config: GraphQLConfig) -> list[Route]:
    """The routes, with the settings page's configuration: its secret key, how its session
    cookie is set, and the redirect URI (built from the public URL)."""
    flows = URLSafeTimedSerializer(config.secret_key, salt=FLOW_SALT)

    async def start(request: Request) -> Response:
        params = request.query_params
        try:
            connection = await sso.oidc_connection_of(
                params.get("organization"), params.get("email")
            )
        except SsoRefused as error:
            return _refusal(error)
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        provider = oidc.Provider.of(connection.provider)
        client = oidc.Client(str(connection.client_id), "", config.sso_redirect_uri)
        url = oidc.authorization_url(
            provider, client, state=state, nonce=nonce, code_verifier=verifier
        )
        flow = {
            "c": str(connection.id),
            "s": state,
            "n": nonce,
            "v": verifier,
            "r": safe_return(params.get("return_to")),
        }
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(
            FLOW_COOKIE,
            flows.dumps(flow),
            max_age=FLOW_SECONDS,
            path="/sso",
            httponly=True,
            samesite="lax",  # sent on the provider's top-level redirect back
            secure=config.secure_cookies,
        )
        return response

    async def callback(request: Request) -> Response:
        flow = _flow(flows, request.cookies.get(FLOW_COOKIE))
        connection = await sso.connection(flow["c"]) if flow is not None else None
        if flow is None or connection is None:
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
        try:
            signed_in = await sso.sign_in(connection.id, identity, "oidc")
        except SsoRefused as error:
            return _refusal(error)  # recorded by the domain
        response = RedirectResponse(flow["r"], status_code=303)
        write_session_cookie(response, str(signed_in.session.secret), config)
        response.delete_cookie(FLOW_COOKIE, path="/sso")
        return response

    return [
        Route("/sso/start", start, methods=["GET"]),
        Route(CALLBACK_PATH, callback, methods=["GET"]),
    ]


def safe_return(target: str | None) -> str:
    """Where to go once signed in: a path on Roster only (no other site, no scheme, no
    `//host` or `/\\host`), else the settings page."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x20 or c == "\\" for c in target):
        return "/"
    return target


def _flow(flows: URLSafeTimedSerializer, cookie: str | None) -> dict[str, str] | None:
    if not cookie:
        return None
    try:
        flow: Any = flows.loads(cookie, max_age=FLOW_SECONDS)
    except BadData:
        return None
    wanted = ("c", "s", "n", "v", "r")
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
