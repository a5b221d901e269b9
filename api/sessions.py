"""The session cookie: the session token, signed with the secret key; HttpOnly, SameSite=Lax,
Secure when Roster is served over https."""

from __future__ import annotations

from itsdangerous import BadSignature, Signer
from starlette.responses import Response

from api.context import Context, GraphQLConfig

COOKIE = "roster_session"
SALT = "roster.session"
MAX_AGE_SECONDS = 12 * 60 * 60


def _signer(config: GraphQLConfig) -> Signer:
    return Signer(config.secret_key, salt=SALT)


def session_token(cookie: str | None, config: GraphQLConfig) -> str | None:
    """The session token in a cookie value, if its signature holds."""
    if not cookie:
        return None
    try:
        return _signer(config).unsign(cookie).decode()
    except BadSignature:
        return None


def set_session_cookie(context: Context, token: str) -> None:
    write_session_cookie(context.response, token, context.config)


def write_session_cookie(response: Response, token: str, config: GraphQLConfig) -> None:
    """The session cookie on any response (a GraphQL sign-in's, a single sign-on's redirect)."""
    response.set_cookie(
        COOKIE,
        _signer(config).sign(token).decode(),
        max_age=MAX_AGE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=config.secure_cookies,
    )


def clear_session_cookie(context: Context) -> None:
    context.response.delete_cookie(
        COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=context.config.secure_cookies,
    )
