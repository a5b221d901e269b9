"""An OpenID provider that answers what a test tells it to: a real HTTP server on 127.0.0.1
(discovery, keys, authorization, token) whose ID tokens are signed with joserfc and can be
tampered with, expired, meant for another client, without a nonce, or signed with a key it
rotated in. A certified provider never sends these; Roster must still refuse them."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.processes import free_port
from tests.threaded_server import served_in_thread


def _key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@dataclass
class ForgedProvider:
    issuer: str = ""
    client_id: str = "forged-client"
    client_secret: str = "forged-client-secret"
    # what the next ID token is: good, tampered, wrong_audience, expired, no_nonce,
    # unknown_key, rotated
    forgery: str = "good"
    email: str = "jane@acme.test"
    published: list[RSAKey] = field(default_factory=lambda: [_key("first")])
    codes: dict[str, str] = field(default_factory=dict)  # code -> the nonce asked with it

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": f"sub-{self.email}",
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "email": self.email,
        }
        key = self.published[0]
        if self.forgery == "wrong_audience":
            claims["aud"] = "another-client"
        elif self.forgery == "expired":
            claims.update(iat=now - 7200, exp=now - 3600)
        elif self.forgery == "no_nonce":
            del claims["nonce"]
        elif self.forgery == "unknown_key":
            key = _key("never-published")
        elif self.forgery == "rotated":
            key = _key("second")
            self.published = [key]  # the provider rotated: the new key is published now
        token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
        if self.forgery == "tampered":
            head, body, signature = token.split(".")
            flipped = "A" if signature[-6] != "A" else "B"  # one character of the signature
            token = f"{head}.{body}.{signature[:-6]}{flipped}{signature[-5:]}"
        return token

    def app(self) -> Starlette:
        async def discovery(request: Request) -> Response:
            return JSONResponse(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                }
            )

        async def jwks(request: Request) -> Response:
            return JSONResponse(KeySet(list(self.published)).as_dict(private=False))

        async def authorize(request: Request) -> Response:
            params = request.query_params
            code = secrets.token_urlsafe(16)
            self.codes[code] = params["nonce"]
            back = urlencode({"code": code, "state": params["state"]})
            return RedirectResponse(f"{params['redirect_uri']}?{back}", status_code=303)

        async def token(request: Request) -> Response:
            form = parse_qs((await request.body()).decode())
            nonce = self.codes.pop(form.get("code", [""])[0], None)
            if nonce is None:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            return JSONResponse(
                {"access_token": "forged", "token_type": "Bearer", "id_token": self.id_token(nonce)}
            )

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks", jwks),
                Route("/authorize", authorize),
                Route("/token", token, methods=["POST"]),
            ]
        )


@contextmanager
def forged_provider() -> Iterator[ForgedProvider]:
    port = free_port()
    provider = ForgedProvider(issuer=f"http://127.0.0.1:{port}")
    with served_in_thread(provider.app(), port, "the forged OpenID provider"):
        yield provider
