"""Single sign-on against real identity providers: the certified `oidc-provider` (npm), run by
tests/sso/idp/oidc_provider.mjs on 127.0.0.1 with its development login pages, and pysaml2 as
a SAML identity provider (tests/sso/saml_idp.py), one of each per test session.
`browse_sign_in` and `browse_saml_sign_in` play the browser: Roster's redirect to the
provider, the provider's forms, and the way back to Roster."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.api.conftest import BASE, CSRF, GraphQLClient, admin, root, super_admin_id
from tests.sso.oidc_provider import OidcProvider, running_oidc_provider
from tests.sso.saml_idp import SamlIdp, saml_idp

__all__ = ["admin", "root", "super_admin_id"]

REDIRECT_URI = f"{BASE}/sso/oidc/callback"


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    with running_oidc_provider(REDIRECT_URI) as provider:
        yield provider


@pytest.fixture
async def browser(app_transport) -> AsyncIterator[httpx.AsyncClient]:
    """Roster as a browser reaches it (its cookies kept), not signed in."""
    async with httpx.AsyncClient(transport=app_transport, base_url=BASE) as http:
        yield http


CONFIGURE = """mutation($input: OidcConnectionInput!) {
  configureOidcConnection(input: $input) {
    __typename
    ... on SsoConnectionPayload { connection { id protocol issuer clientId clientSecretHint
                                              redirectUri testedAt } }
    ... on Error { message }
  }
}"""


@pytest.fixture
async def connection(root: GraphQLClient, oidc_provider: OidcProvider) -> dict[str, object]:
    """acme's OIDC connection to the test provider, configured by its super-admin."""
    variables = {
        "issuer": oidc_provider.issuer,
        "clientId": oidc_provider.client_id,
        "clientSecret": oidc_provider.client_secret,
    }
    data = await root(CONFIGURE, input=variables)
    result = data["configureOidcConnection"]
    assert result["__typename"] == "SsoConnectionPayload", result
    return dict(result["connection"])


async def browse_sign_in(
    browser: httpx.AsyncClient,
    login: str,
    start: str = "/sso/start?organization=acme",
    *,
    cancel: bool = False,
) -> httpx.Response:
    """Start at Roster, sign in at the provider as `login` (or cancel there), and return to
    Roster: its answer to the provider's redirect back."""
    response = await browser.get(start)
    if response.status_code != 303 or response.headers["location"].startswith(BASE):
        return response
    return await browser.get(await through_provider(response.headers["location"], login, cancel))


async def through_provider(location: str, login: str, cancel: bool = False) -> str:
    """The provider's pages from its authorization URL on: where it sends the browser back."""
    async with httpx.AsyncClient() as provider:
        for _ in range(12):
            if location.startswith(BASE):
                return location
            page = await provider.get(location)
            if page.status_code in (302, 303):
                location = urljoin(str(page.url), page.headers["location"])
                continue
            assert page.status_code == 200, page.text[:500]
            if cancel:
                abort = re.search(r'href="([^"]+/abort)"', page.text)
                assert abort is not None, page.text[:500]
                location = abort.group(1)
                continue
            action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
            assert action is not None, page.text[:500]
            fields = dict(
                re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
            )
            if 'name="login"' in page.text:
                fields.update(login=login, password="any password")
            answer = await provider.post(urljoin(str(page.url), action.group(1)), data=fields)
            assert answer.status_code in (302, 303), answer.text[:500]
            location = urljoin(str(answer.url), answer.headers["location"])
    raise AssertionError("the provider never sent the browser back to Roster")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


VIEWER = "{ viewer { user { userName } permissions } }"


async def viewer(browser: httpx.AsyncClient) -> dict[str, object] | None:
    """Whom the browser's session signs in, None when it signs no one in."""
    response = await browser.post("/graphql", json={"query": VIEWER}, headers=CSRF)
    body = response.json()
    return body["data"]["viewer"] if body.get("data") else None


@pytest.fixture(scope="session")
def saml_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdp]:
    """pysaml2 as a SAML identity provider on 127.0.0.1, one per test session."""
    with saml_idp(tmp_path_factory.mktemp("saml-idp")) as idp:
        yield idp


@pytest.fixture
def saml_idp_of_test(saml_provider: SamlIdp) -> Iterator[SamlIdp]:
    """The session's SAML identity provider, answering well unless the test says otherwise."""
    saml_provider.forgery = "good"
    saml_provider.email_attribute = True
    yield saml_provider
    saml_provider.forgery = "good"
    saml_provider.email_attribute = True


CONFIGURE_SAML = """mutation($input: SamlConnectionInput!) {
  configureSamlConnection(input: $input) {
    __typename
    ... on SsoConnectionPayload { connection { id protocol issuer ssoUrl metadataUrl
                                              spEntityId redirectUri testedAt } }
    ... on Error { message }
  }
}"""


@pytest.fixture
async def saml_connection(root: GraphQLClient, saml_idp_of_test: SamlIdp) -> dict[str, object]:
    """acme's SAML connection to the test identity provider, from its metadata URL."""
    data = await root(CONFIGURE_SAML, input={"metadataUrl": saml_idp_of_test.metadata_url})
    result = data["configureSamlConnection"]
    assert result["__typename"] == "SsoConnectionPayload", result
    return dict(result["connection"])


@dataclass(frozen=True)
class SamlPost:
    """What the identity provider's page posts to Roster's ACS."""

    acs: str
    fields: dict[str, str]


async def saml_post_for(location: str, login: str) -> SamlPost:
    """The identity provider's pages from its SSO URL on, signing in as `login`: the form it
    has the browser post to Roster."""
    async with httpx.AsyncClient() as provider:
        page = await provider.get(location)
        assert page.status_code == 200, page.text[:500]
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action is not None, page.text[:500]
        answer = await provider.post(action.group(1), data={**fields, "email": login})
    assert answer.status_code == 200, answer.text[:500]
    acs = re.search(r'<form method="post" action="([^"]+)"', answer.text)
    assert acs is not None, answer.text[:500]
    posted = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', answer.text))
    return SamlPost(html.unescape(acs.group(1)), posted)


async def browse_saml_sign_in(
    browser: httpx.AsyncClient, login: str, start: str = "/sso/start?organization=acme"
) -> httpx.Response:
    """Start at Roster, sign in at the SAML identity provider as `login`, and post its
    response to Roster: Roster's answer."""
    response = await browser.get(start)
    if response.status_code != 303 or response.headers["location"].startswith(BASE):
        return response
    posted = await saml_post_for(response.headers["location"], login)
    return await browser.post(path_of(posted.acs), data=posted.fields)
