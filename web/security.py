"""Security headers on every response of the site (the settings page above all)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Scope

from web.response_headers import ResponseHeaders

# No inline scripts or styles, nothing from elsewhere, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeaders(ResponseHeaders):
    """Adds the headers to every HTTP response. GraphiQL (a developer tool, off by default)
    loads its scripts from a CDN, so its page keeps its own, looser policy: none is added to a
    response that already has one."""

    def edit(self, scope: Scope, headers: MutableHeaders) -> None:
        is_graphiql = scope["path"] == "/graphql" and headers.get("content-type", "").startswith(
            "text/html"
        )
        for name, value in HEADERS.items():
            if is_graphiql and name == "Content-Security-Policy":
                continue
            headers.setdefault(name, value)
