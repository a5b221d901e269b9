"""A SAML identity provider for the tests: pysaml2 in its IdP role, served by uvicorn on
127.0.0.1 with a key and self-signed certificate made for it. It publishes its metadata, shows
a sign-in form at its single sign-on URL and posts its signed response to the service
provider's ACS URL, as Okta does.

What the next response is can be set by a test: good, or one a real provider never sends
(tampered after signing, unsigned, expired, meant for another audience, or answering another
request). A certified provider never sends those; Roster must still refuse them."""

from __future__ import annotations

import base64
import datetime
import html
import re
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tests.processes import free_port
from tests.threaded_server import served_in_thread

with warnings.catch_warnings():  # pysaml2's IdP imports a cipher mode cryptography has moved
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.config import IdPConfig
    from saml2.metadata import create_metadata_string
    from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS, NameID
    from saml2.samlp import STATUS_REQUEST_DENIED
    from saml2.server import Server

from sso.saml import _xmlsec


def _key_pair(folder: Path, name: str) -> tuple[Path, Path]:
    """A 2048-bit RSA key and a self-signed certificate for it, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = folder / f"{name}.key", folder / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


@dataclass
class SamlIdp:
    base: str
    folder: Path
    # what the next response is: good, tampered (changed after signing), unsigned (its
    # signature taken out), foreign_key (signed by a key the metadata does not give), expired,
    # wrong_audience, unsolicited (answering a request this browser never made), denied (an
    # error status: the provider refuses the person)
    forgery: str = "good"
    email_attribute: bool = True  # an `email` attribute beside the NameID
    posted: list[str] = field(default_factory=list)  # every SAMLResponse it sent
    _servers: dict[str, Server] = field(default_factory=dict)

    @property
    def entity_id(self) -> str:
        return f"{self.base}/metadata"

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/metadata"

    @property
    def sso_url(self) -> str:
        return f"{self.base}/sso/redirect"

    def _config(self, key: str = "idp") -> IdPConfig:
        key_file, cert_file = self.folder / f"{key}.key", self.folder / f"{key}.crt"
        if not key_file.exists():
            _key_pair(self.folder, key)
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": _xmlsec(),
                "key_file": str(key_file),
                "cert_file": str(cert_file),
                "accepted_time_diff": 60,
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [
                                (self.sso_url, BINDING_HTTP_REDIRECT),
                                (f"{self.base}/sso/post", BINDING_HTTP_POST),
                            ]
                        },
                        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                        "policy": {
                            "default": {"lifetime": {"minutes": 15}, "name_form": NAME_FORMAT_URI}
                        },
                    }
                },
            }
        )
        return config

    def server(self, key: str = "idp") -> Server:
        if key not in self._servers:
            self._servers[key] = Server(config=self._config(key))
        return self._servers[key]

    def metadata(self) -> str:
        return bytes(create_metadata_string(None, config=self._config(), valid=24)).decode()

    def response(self, saml_request: str, email: str) -> tuple[str, str]:
        """The base64 SAMLResponse answering `saml_request` for `email`, as the forgery asks,
        and the ACS URL it goes to."""
        server = self.server()
        request = server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT).message
        acs = str(request.assertion_consumer_service_url)
        audience = str(request.issuer.text)
        in_response_to = str(request.id)
        if self.forgery == "wrong_audience":
            audience = "https://another-service.example/saml"
        elif self.forgery == "unsolicited":
            in_response_to = "id-a-request-this-browser-never-made"
        if self.forgery == "denied":  # the provider refuses the person, as Okta does
            denied = server.create_error_response(
                in_response_to, acs, (STATUS_REQUEST_DENIED, "User is not assigned"), sign=True
            )
            encoded = base64.b64encode(str(denied).encode()).decode()
            self.posted.append(encoded)
            return encoded, acs
        identity: dict[str, Any] = {"email": [email]} if self.email_attribute else {}
        signing = self.server("intruder") if self.forgery == "foreign_key" else server
        response = signing.create_authn_response(
            identity=identity,
            in_response_to=in_response_to,
            destination=acs,
            sp_entity_id=audience,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
            sign_assertion=True,
            sign_response=False,
        )
        xml = str(response)
        if self.forgery == "unsigned":  # the signature taken out
            xml = re.sub(r"<(\w+:)?Signature[ >].*?</(\w+:)?Signature>", "", xml, flags=re.S)
        if self.forgery == "expired":
            xml = _shift_times(xml, -3600)
            xml = str(signing.sec.sign_assertion(xml, node_id=_assertion_id(xml)))
        if self.forgery == "tampered":
            xml = xml.replace(email, email.replace("@", "+boss@"), 1)
        encoded = base64.b64encode(xml.encode()).decode()
        self.posted.append(encoded)
        return encoded, acs

    def app(self) -> Starlette:
        async def metadata(request: Request) -> Response:
            return Response(self.metadata(), media_type="application/samlmetadata+xml")

        async def sign_in_form(request: Request) -> Response:
            params = request.query_params
            return HTMLResponse(
                f"""<!doctype html><html><body>
<form method="post" action="{self.base}/sso/login">
<input type="hidden" name="SAMLRequest" value="{html.escape(params.get("SAMLRequest", ""))}">
<input type="hidden" name="RelayState" value="{html.escape(params.get("RelayState", ""))}">
<label>Email <input name="email" type="email"></label>
<button type="submit">Sign in to the test IdP</button>
</form></body></html>"""
            )

        async def login(request: Request) -> Response:
            form = await request.form()
            encoded, acs = self.response(str(form["SAMLRequest"]), str(form["email"]))
            relay = html.escape(str(form.get("RelayState") or ""))
            return HTMLResponse(
                f"""<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action="{html.escape(acs)}">
<input type="hidden" name="SAMLResponse" value="{encoded}">
<input type="hidden" name="RelayState" value="{relay}">
<noscript><button type="submit">Continue</button></noscript>
</form></body></html>"""
            )

        return Starlette(
            routes=[
                Route("/metadata", metadata),
                Route("/sso/redirect", sign_in_form),
                Route("/sso/login", login, methods=["POST"]),
            ]
        )


def _assertion_id(xml: str) -> str:
    found = re.search(r"<(?:\w+:)?Assertion[^>]* ID=\"([^\"]+)\"", xml)
    assert found is not None
    return found.group(1)


def _shift_times(xml: str, seconds: int) -> str:
    """Every instant in the response moved by `seconds`."""

    def shifted(match: re.Match[str]) -> str:
        instant = datetime.datetime.strptime(match.group(2), "%Y-%m-%dT%H:%M:%SZ")
        moved = instant + datetime.timedelta(seconds=seconds)
        return f'{match.group(1)}="{moved.strftime("%Y-%m-%dT%H:%M:%SZ")}"'

    return re.sub(r'(\w+)="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"', shifted, xml)


@contextmanager
def saml_idp(folder: Path, port: int = 0) -> Iterator[SamlIdp]:
    """The identity provider, served on 127.0.0.1 at `port` (0: a free one) until the block
    ends."""
    port = port or free_port()
    idp = SamlIdp(base=f"http://127.0.0.1:{port}", folder=folder)
    with served_in_thread(idp.app(), port, "the SAML identity provider"):
        yield idp


def main() -> None:
    """`make sso-demo`'s SAML identity provider: served on 127.0.0.1 at the given port until
    stopped, with its keys in a temporary folder; prints "ready" once it answers."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9001
    with tempfile.TemporaryDirectory() as folder, saml_idp(Path(folder), port):
        print("ready", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
