"""SAML 2.0, as a service provider: the identity provider's metadata (pasted, or read from its
URL), Roster's own metadata, the authentication request (HTTP-Redirect binding) and the
response posted back to the assertion consumer service (HTTP-POST binding).

pysaml2 does the protocol and Debian's `xmlsec1` checks the XML signatures: nothing here
parses a signature or a certificate by hand. Roster asks for signed assertions or a signed
response; it checks the audience (its own entity ID), the destination and recipient (its ACS
URL), `NotBefore`/`NotOnOrAfter` with `SKEW_SECONDS` of slack and `InResponseTo` (the request
this browser started). pysaml2 is synchronous and runs `xmlsec1` as a process, so a response
is read on a worker thread.

Every way a sign-in can fail is an `SsoRefused` naming its reason, never a library's error."""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, SAMLError
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS

from domain.commands import ConfigureSamlConnection
from domain.errors import InvalidValue, SsoRefused
from domain.sso import Identity

SKEW_SECONDS = 120  # clocks two minutes apart still agree on an assertion's lifetime
TIMEOUT_SECONDS = 10.0
KEPT_SECONDS = 24 * 3600  # how long an assertion's ID is kept when it names no end
MAX_METADATA_BYTES = 1_000_000
_EMAIL_ATTRIBUTES = (
    "email",
    "mail",
    "emailaddress",
    "user.email",
    "urn:oid:0.9.2342.19200300.100.1.3",
)
_EMAIL_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"


@dataclass(frozen=True, slots=True)
class ServiceProvider:
    """Roster as one organization's SAML service provider."""

    entity_id: str  # the audience: Roster's metadata URL for the organization
    acs_url: str  # where the identity provider posts its response


@dataclass(frozen=True, slots=True)
class IdentityProvider:
    """What the identity provider's metadata says Roster needs."""

    entity_id: str
    sso_url: str  # its single sign-on service, HTTP-Redirect binding
    metadata_xml: str


@dataclass(frozen=True, slots=True)
class Assertion:
    """A verified response: whom it signs in, and the assertion's ID with when it expires
    (kept until then, so that the same assertion is refused a second time)."""

    identity: Identity
    assertion_id: str
    expires_at: float  # a Unix time


def _xmlsec() -> str:
    found = shutil.which("xmlsec1")
    if found is None:
        raise SsoRefused("unavailable", "SAML needs xmlsec1 on the server (apt install xmlsec1)")
    return found


def _settings(sp: ServiceProvider, metadata_xml: str | None) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "entityid": sp.entity_id,
        "xmlsec_binary": _xmlsec(),
        "accepted_time_diff": SKEW_SECONDS,
        "allow_unknown_attributes": True,
        "service": {
            "sp": {
                "endpoints": {"assertion_consumer_service": [(sp.acs_url, BINDING_HTTP_POST)]},
                "allow_unsolicited": False,
                "want_assertions_or_response_signed": True,
                "want_assertions_signed": False,
                "want_response_signed": False,
                "authn_requests_signed": False,
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
            }
        },
    }
    if metadata_xml is not None:
        settings["metadata"] = {"inline": [metadata_xml]}
    return settings


@lru_cache(maxsize=64)
def _client(sp: ServiceProvider, metadata_xml: str) -> Saml2Client:
    """A client for one organization's provider; the metadata is read once per process."""
    config = SPConfig()
    config.load(_settings(sp, metadata_xml))
    return Saml2Client(config)


def sp_metadata(sp: ServiceProvider) -> str:
    """Roster's metadata for the organization: its entity ID and ACS URL, to give the
    identity provider."""
    config = SPConfig()
    config.load(_settings(sp, None))
    metadata: bytes = create_metadata_string(None, config=config, valid=24 * 365)
    return metadata.decode().strip() + "\n"


def identity_provider(metadata_xml: str) -> IdentityProvider:
    """The identity provider that `metadata_xml` describes; InvalidValue on `metadataXml`
    saying what is wrong when it is not one Roster can use."""
    text = metadata_xml.strip()
    if not text:
        raise InvalidValue("metadata_xml", "paste the identity provider's metadata XML")
    if len(text.encode()) > MAX_METADATA_BYTES:
        raise InvalidValue("metadata_xml", "the metadata is larger than 1 MB")
    try:
        fromstring(text, forbid_dtd=True)
    except DefusedXmlException:
        raise InvalidValue(
            "metadata_xml", "metadata with a DOCTYPE or entities is refused"
        ) from None
    except ParseError as error:
        raise InvalidValue("metadata_xml", f"not well-formed XML ({error})") from None
    sp = ServiceProvider("urn:roster:metadata-check", "https://roster.invalid/sso/saml/acs")
    try:
        config = SPConfig()
        config.load(_settings(sp, text))
    except SsoRefused as error:
        raise InvalidValue("metadata_xml", error.detail) from None
    except Exception as error:
        raise InvalidValue("metadata_xml", f"not SAML metadata ({type(error).__name__})") from None
    metadata = config.metadata
    providers = list(metadata.identity_providers()) if metadata is not None else []
    if len(providers) != 1:
        raise InvalidValue(
            "metadata_xml",
            "it describes no identity provider"
            if not providers
            else "it describes several identity providers: give the one for Roster",
        )
    entity_id = str(providers[0])
    try:
        locations = metadata.single_sign_on_service(entity_id, BINDING_HTTP_REDIRECT)
    except SAMLError:
        locations = []
    if not locations:
        raise InvalidValue(
            "metadata_xml", "the provider offers no single sign-on service with HTTP-Redirect"
        )
    if not metadata.certs(entity_id, "idpsso", "signing"):
        raise InvalidValue("metadata_xml", "the provider's metadata has no signing certificate")
    if len(entity_id) > 512:
        raise InvalidValue("metadata_xml", "the provider's entity ID is longer than 512")
    return IdentityProvider(entity_id, str(locations[0]["location"]), text)


async def configuration(
    metadata_xml: str | None, metadata_url: str | None
) -> ConfigureSamlConnection:
    """The command that connects an organization to the identity provider whose metadata is
    pasted or published at a URL (one of the two), once read and checked."""
    given = [value for value in (metadata_xml, metadata_url) if value and value.strip()]
    if len(given) != 1:
        raise InvalidValue("metadata_xml", "give the metadata XML or its URL, one of the two")
    url = metadata_url.strip() if metadata_url and metadata_url.strip() else None
    xml = await fetch_metadata(url) if url else str(metadata_xml)
    try:
        provider = identity_provider(xml)
    except InvalidValue as error:
        raise InvalidValue("metadata_url" if url else "metadata_xml", error.reason) from None
    return ConfigureSamlConnection(
        entity_id=provider.entity_id,
        sso_url=provider.sso_url,
        metadata_xml=provider.metadata_xml,
        metadata_url=url,
    )


async def fetch_metadata(url: str) -> str:
    """The metadata the identity provider publishes at `url` (Okta's "Metadata URL");
    InvalidValue on `metadataUrl` when it cannot be read."""
    url = url.strip()
    if not url.startswith(("https://", "http://")):
        raise InvalidValue("metadata_url", "an https:// URL, such as Okta's Metadata URL")
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as http:
            response = await http.get(url)
    except httpx.HTTPError as error:
        raise InvalidValue(
            "metadata_url", f"{url} did not answer: {type(error).__name__}"
        ) from None
    if response.status_code != 200:
        raise InvalidValue("metadata_url", f"{url} answered {response.status_code}, not 200")
    if len(response.content) > MAX_METADATA_BYTES:
        raise InvalidValue("metadata_url", "the metadata is larger than 1 MB")
    return response.text


def authentication_request(sp: ServiceProvider, idp: IdentityProvider) -> tuple[str, str]:
    """The request's ID (its answer must name it in `InResponseTo`) and where the browser
    goes to sign in: the provider's SSO URL with the request (HTTP-Redirect binding)."""
    client = _client(sp, idp.metadata_xml)
    request_id, info = client.prepare_for_authenticate(
        entityid=idp.entity_id, binding=BINDING_HTTP_REDIRECT
    )
    location = dict(info["headers"])["Location"]
    return str(request_id), str(location)


async def signed_in(
    sp: ServiceProvider, idp: IdentityProvider, saml_response: str, request_id: str
) -> Assertion:
    """The identity in a response posted to the ACS, once verified: signed by the provider's
    key, for this service provider, now, and in answer to `request_id`."""
    return await asyncio.to_thread(_verified, sp, idp, saml_response, request_id)


def _verified(
    sp: ServiceProvider, idp: IdentityProvider, saml_response: str, request_id: str
) -> Assertion:
    client = _client(sp, idp.metadata_xml)
    try:
        response = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={request_id: "/"}
        )
    except SsoRefused:
        raise
    except Exception as error:  # pysaml2's, xmlsec's, xmlschema's, defusedxml's: a refusal
        raise _refusal(error) from None
    if response is None or response.assertion is None:
        raise SsoRefused("assertion_rejected", "the response carries no assertion")
    if response.in_response_to != request_id:
        raise SsoRefused("flow_mismatch", "the response answers another sign-in")
    if response.name_id is None or not (response.name_id.text or "").strip():
        raise SsoRefused("assertion_rejected", "the assertion names no subject (NameID)")
    subject = str(response.name_id.text).strip()
    email = _email(response.ava or {}, subject, response.name_id.format)
    expires = float(response.not_on_or_after or 0) or time.time() + KEPT_SECONDS
    return Assertion(Identity(subject, email), str(response.assertion.id), expires)


def _email(
    attributes: dict[str, list[str]], subject: str, name_id_format: str | None
) -> str | None:
    """The email an assertion gives: an email attribute, else a NameID in email format."""
    for name, values in attributes.items():
        if name.lower() in _EMAIL_ATTRIBUTES or name == _EMAIL_CLAIM:
            for value in values:
                if isinstance(value, str) and value.strip():
                    return value.strip()
    if name_id_format == NAMEID_FORMAT_EMAILADDRESS or "@" in subject:
        return subject
    return None


_REASONS = {
    "SignatureError": "the signature does not verify against the provider's certificate",
    "IncorrectlySigned": "the signature does not verify against the provider's certificate",
    "ResponseLifetimeExceed": "the assertion has expired",
    "ToEarly": "the assertion is not valid yet",
    "MissingKey": "the signature names no key of the provider",
}


def _refusal(error: Exception) -> SsoRefused:
    """The refusal a library error means, without the XML it was about."""
    name = type(error).__name__
    if name == "UnsolicitedResponse":
        return SsoRefused("flow_mismatch", "the response answers no sign-in this browser started")
    if name.startswith("Status"):
        return SsoRefused("idp_error", f"the provider answered an error ({name})")
    text = str(error).lower()
    if name in _REASONS:
        why = _REASONS[name]
    elif "signed" in text or "signature" in text:
        why = "the response and its assertions are not signed by the provider"
    elif "audience" in text or "not for me" in text:
        why = "the assertion is meant for another service provider (audience)"
    else:
        why = f"the response cannot be accepted ({name})"
    return SsoRefused("assertion_rejected", why)
