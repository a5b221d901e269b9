"""The GraphQL door as an ASGI application, mounted by `web` at /graphql behind the edge.

Who is acting (`authenticate`, called by the edge): a personal API token (`Authorization:
Bearer rst_api_...`), else the session cookie. A POST that does not carry a bearer token must
carry the `X-Roster-CSRF` header, which a cross-site form cannot send (and no CORS policy lets
another site add). The edge's refusals are rendered by `refuse` as GraphQL errors with a
`code` extension."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from api.context import Context, GraphQLConfig
from api.errors import COMMIT_UNCONFIRMED_MESSAGE, DATABASE_DOWN_MESSAGE
from api.schema import build_schema
from api.sessions import COOKIE, session_token
from domain.actors import Actor
from domain.authentication import authenticate_api, authenticate_session
from domain.database import DATABASE_UNAVAILABLE
from domain.errors import InvalidToken

CSRF_HEADER = "x-roster-csrf"
_REFUSALS = {
    "UNAUTHENTICATED": "the Authorization header must be `Bearer <personal API token>` "
    "with a token that is neither unknown nor revoked",
    "DATABASE_UNAVAILABLE": DATABASE_DOWN_MESSAGE,
    "COMMIT_UNCONFIRMED": COMMIT_UNCONFIRMED_MESSAGE,
}
# Strawberry's GraphiQL page builds its fetcher's headers from this object; ours starts with
# the CSRF header, so that GraphiQL's POSTs (signing in, mutations) pass the check.
_GRAPHIQL_HEADERS = "const defaultHeaders = {};"


def _error(
    status: int, message: str, headers: dict[str, str] | None = None, *, code: str | None = None
) -> JSONResponse:
    error: dict[str, object] = {"message": message}
    if code is not None:
        error["extensions"] = {"code": code}
    return JSONResponse({"errors": [error]}, status_code=status, headers=headers)


def refuse(status: int, code: str, headers: dict[str, str]) -> Response:
    """The edge's refusal of a GraphQL request as a GraphQL error with its code."""
    if code == "RATE_LIMITED":
        message = f"Too many requests; retry in {headers.get('Retry-After')} seconds."
    else:
        message = _REFUSALS.get(code, "Unexpected error.")
    return _error(status, message, headers, code=code)


def graphiql_html(template: str) -> str:
    """Strawberry's GraphiQL page, its fetcher sending the CSRF header with every request."""
    if _GRAPHIQL_HEADERS not in template:
        raise RuntimeError("Strawberry's GraphiQL page changed: cannot add the CSRF header")
    return template.replace(_GRAPHIQL_HEADERS, f'const defaultHeaders = {{"{CSRF_HEADER}": "1"}};')


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, config: GraphQLConfig) -> None:
        super().__init__(
            build_schema(),
            graphql_ide="graphiql" if config.graphiql else None,
            allow_queries_via_get=True,
            multipart_uploads_enabled=False,
        )
        self.config = config
        # built once, so that a Strawberry whose page no longer fits fails at start-up
        self._graphiql_page = graphiql_html(self.graphql_ide_html) if config.graphiql else ""

    async def authenticate(self, request: Request, bearer: str | None) -> Actor | None:
        """The admin behind the request's API token or, without one, its session cookie (None:
        not signed in). An unknown or revoked API token is InvalidToken; an ended or expired
        session is simply signed out."""
        if bearer is not None:
            actor: Actor | None = await authenticate_api(bearer)
        else:
            token = session_token(request.cookies.get(COOKIE), self.config)
            try:
                actor = None if token is None else await authenticate_session(token)
            except InvalidToken:
                actor = None
        request.state.graphql_actor = actor
        return actor

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await _error(404, "no websocket endpoint here")(scope, receive, send)
            return
        request = Request(scope)
        cross_site_possible = "authorization" not in request.headers
        if (
            request.method == "POST"
            and cross_site_possible
            and not request.headers.get(CSRF_HEADER)
        ):
            refusal = _error(403, f"send the {CSRF_HEADER} header with every POST")
            await refusal(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def render_graphql_ide(self, request: Any) -> Response:
        return HTMLResponse(self._graphiql_page)

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        """A database that went away during the request fails the whole request: the edge
        answers 503 with Retry-After."""
        for error in result.errors or ():
            if isinstance(error.original_error, DATABASE_UNAVAILABLE):
                raise error.original_error
        return await super().process_result(request, result)

    async def get_context(self, request: Any, response: Any) -> Context:
        assert isinstance(request, Request)
        assert isinstance(response, Response)
        actor: Actor | None = getattr(request.state, "graphql_actor", None)
        return Context(request=request, response=response, config=self.config, actor=actor)
