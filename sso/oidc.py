"""OpenID Connect, as a relying party: the provider's discovery document, the authorization
request (code flow with PKCE S256, `state` and `nonce`), the token request, and the ID token's
verification against the provider's JWKS. Authlib makes the OAuth 2.0 requests and joserfc
verifies the token: nothing here parses a JWT or checks a signature by hand.

Every way a sign-in can fail is an `SsoRefused` naming its reason, never a library's error."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from domain.errors import InvalidValue, SsoRefused
from domain.sso import Identity

SCOPE = "openid email profile"
TIMEOUT_SECONDS = 10.0
LEEWAY_SECONDS = 60  # clocks a minute apart still agree on a token's lifetime
JWKS_SECONDS = 300.0  # keys are read again after this, and at once for a key id not known yet
_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")


@dataclass(frozen=True, slots=True)
class Provider:
    """What an OpenID provider's discovery document says Roster needs."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.authorization_endpoint,
            "token_endpoint": self.token_endpoint,
            "jwks_uri": self.jwks_uri,
            "userinfo_endpoint": self.userinfo_endpoint,
        }

    @classmethod
    def of(cls, document: dict[str, Any]) -> Provider:
        return cls(
            issuer=str(document["issuer"]),
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
            userinfo_endpoint=document.get("userinfo_endpoint") or None,
        )


@dataclass(frozen=True, slots=True)
class Client:
    """Roster as the provider's client: its id, its secret and where the provider returns."""

    client_id: str
    client_secret: str
    redirect_uri: str


async def discover(issuer: str) -> Provider:
    """The provider at `issuer`, from its `/.well-known/openid-configuration`; InvalidValue on
    `issuer` saying what is wrong when there is none, or it names another issuer."""
    issuer = issuer.strip().rstrip("/")
    if not issuer.startswith(("https://", "http://")):
        raise InvalidValue("issuer", "an https:// URL, such as https://acme.okta.com")
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as http:
            response = await http.get(url)
    except httpx.HTTPError as error:
        raise InvalidValue("issuer", f"{url} did not answer: {type(error).__name__}") from None
    if response.status_code != 200:
        raise InvalidValue("issuer", f"{url} answered {response.status_code}, not 200")
    try:
        document = response.json()
    except ValueError:
        raise InvalidValue("issuer", f"{url} did not answer JSON") from None
    if not isinstance(document, dict):
        raise InvalidValue("issuer", f"{url} did not answer a JSON object")
    missing = [name for name in ("issuer", *_ENDPOINTS) if not document.get(name)]
    if missing:
        raise InvalidValue("issuer", f"the discovery document lacks {', '.join(missing)}")
    if str(document["issuer"]).rstrip("/") != issuer:
        raise InvalidValue(
            "issuer", f"the discovery document names another issuer: {document['issuer']}"
        )
    return Provider.of(document)


def authorization_url(
    provider: Provider, client: Client, *, state: str, nonce: str, code_verifier: str
) -> str:
    """Where the browser goes to sign in: the code flow, with PKCE (S256), state and nonce."""
    oauth = AsyncOAuth2Client(
        client.client_id,
        redirect_uri=client.redirect_uri,
        scope=SCOPE,
        code_challenge_method="S256",
    )
    url, _ = oauth.create_authorization_url(
        provider.authorization_endpoint, state=state, nonce=nonce, code_verifier=code_verifier
    )
    return str(url)


async def signed_in(
    provider: Provider, client: Client, *, code: str, code_verifier: str, nonce: str
) -> Identity:
    """The identity behind an authorization code: the token request, then the ID token
    verified (signature by the provider's keys, issuer, audience, expiry, nonce)."""
    try:
        async with AsyncOAuth2Client(
            client.client_id,
            client.client_secret,
            redirect_uri=client.redirect_uri,
            timeout=TIMEOUT_SECONDS,
        ) as oauth:
            token = await oauth.fetch_token(
                provider.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
            )
            id_token = token.get("id_token")
            if not isinstance(id_token, str):
                raise SsoRefused("token_rejected", "the provider sent no ID token")
            claims = await _verified_claims(provider, client, id_token, nonce)
            email = claims.get("email")
            if not isinstance(email, str) and provider.userinfo_endpoint:
                answer = await oauth.get(provider.userinfo_endpoint)
                info = answer.json() if answer.status_code == 200 else {}
                if isinstance(info, dict) and info.get("sub") == claims["sub"]:
                    email = info.get("email")
    except SsoRefused:
        raise
    except Exception as error:
        raise SsoRefused("token_rejected", _why(error)) from None
    return Identity(str(claims["sub"]), email if isinstance(email, str) else None)


def _why(error: Exception) -> str:
    """A refusal's reason from a library error, without anything the provider sent back."""
    name = getattr(error, "error", None) or type(error).__name__
    return f"the provider refused the token request ({name})"


async def _verified_claims(
    provider: Provider, client: Client, id_token: str, nonce: str
) -> dict[str, Any]:
    keys = await _keys(provider.jwks_uri)
    try:
        token = _decode(id_token, keys)
    except JoseError as error:
        if not _unknown_key(error):
            raise SsoRefused("token_rejected", f"the ID token's signature: {error.error}") from None
        keys = await _keys(provider.jwks_uri, fresh=True)  # the provider rotated its keys
        try:
            token = _decode(id_token, keys)
        except JoseError as again:
            raise SsoRefused("token_rejected", f"the ID token's signature: {again.error}") from None
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": client.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    try:
        registry.validate(token.claims)
    except JoseError as error:
        why = error.description or error.error
        raise SsoRefused("token_rejected", f"the ID token: {why}") from None
    claims = dict(token.claims)
    if "nonce" not in claims:
        raise SsoRefused("token_rejected", "the ID token carries no nonce")
    if claims["nonce"] != nonce:
        raise SsoRefused("token_rejected", "the ID token's nonce is not this sign-in's")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client.client_id:
        raise SsoRefused("token_rejected", "the ID token was issued to another client (azp)")
    return claims


def _decode(id_token: str, keys: KeySet) -> jwt.Token:
    return jwt.decode(id_token, keys, algorithms=_ALGORITHMS)


def _unknown_key(error: JoseError) -> bool:
    return "key" in str(error.error).lower() or "kid" in str(error).lower()


_jwks: dict[str, tuple[float, KeySet]] = {}


async def _keys(jwks_uri: str, *, fresh: bool = False) -> KeySet:
    """The provider's signing keys, read again after `JWKS_SECONDS` or when `fresh`."""
    kept = _jwks.get(jwks_uri)
    if kept is not None and not fresh and time.monotonic() - kept[0] < JWKS_SECONDS:
        return kept[1]
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as http:
            response = await http.get(jwks_uri)
        keys = KeySet.import_key_set(response.json())
    except (httpx.HTTPError, ValueError, JoseError) as error:
        raise SsoRefused("token_rejected", f"the provider's keys: {type(error).__name__}") from None
    _jwks[jwks_uri] = (time.monotonic(), keys)
    return keys
