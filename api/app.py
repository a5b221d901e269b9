"""The GraphQL door as an ASGI application, mounted by `web` at /graphql.

Who is acting: a personal API token (`Authorization: Bearer rst_api_...`), else the session
cookie. A POST that does not carry a bearer token must carry the `X-Roster-CSRF` header, which
a cross-site form cannot send (and no CORS policy lets another site add)."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from api.context import Context, GraphQLConfig
from api.errors import DATABASE_DOWN_MESSAGE
from api.schema import build_schema
from api.sessions import COOKIE, session_token
from domain.actors import Actor
from domain.authentication import authenticate_api, authenticate_session
from domain.database import DATABASE_UNAVAILABLE
from domain.errors import InvalidToken, RateLimited

CSRF_HEADER = "x-roster-csrf"
RETRY_AFTER_SECONDS = "5"
_BEARER = re.compile(r"^\s*bearer\s+(\S+)\s*$", re.IGNORECASE)
_ACTOR = "roster.actor"  # also where the web layer's request log finds the actor
_DATABASE_ERROR = "roster.database_error"  # where the web layer's metrics look


def _refusal(
    status: int, message: str, headers: dict[str, str] | None = None, *, code: str | None = None
) -> JSONResponse:
    error: dict[str, object] = {"message": message}
    if code is not None:
        error["extensions"] = {"code": code}
    return JSONResponse({"errors": [error]}, status_code=status, headers=headers)


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, config: GraphQLConfig) -> None:
        super().__init__(
            build_schema(),
            graphql_ide="graphiql" if config.graphiql else None,
            allow_queries_via_get=True,
            multipart_uploads_enabled=False,
        )
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await _refusal(404, "no websocket endpoint here")(scope, receive, send)
            return
        request = Request(scope)
        refusal = None
        cross_site_possible = "authorization" not in request.headers
        if (
            request.method == "POST"
            and cross_site_possible
            and not request.headers.get(CSRF_HEADER)
        ):
            refusal = _refusal(403, f"send the {CSRF_HEADER} header with every POST")
        if refusal is None:
            try:
                scope[_ACTOR] = actor = await self._actor(request)
                if self.config.rate_limit is not None:
                    address = request.client.host if request.client else None
                    await self.config.rate_limit(actor, address)
            except InvalidToken:
                refusal = _refusal(
                    401,
                    "the Authorization header must be `Bearer <personal API token>` "
                    "with a token that is neither unknown nor revoked",
                    {"WWW-Authenticate": 'Bearer realm="roster"'},
                )
            except RateLimited as limited:
                refusal = _refusal(
                    429,
                    f"Too many requests; retry in {limited.retry_after} seconds.",
                    {"Retry-After": str(limited.retry_after)},
                    code="RATE_LIMITED",
                )
            except DATABASE_UNAVAILABLE as error:
                scope[_DATABASE_ERROR] = type(error).__name__
                refusal = _refusal(503, DATABASE_DOWN_MESSAGE, {"Retry-After": RETRY_AFTER_SECONDS})
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        for error in result.errors or ():
            if (error.extensions or {}).get("code") == "DATABASE_UNAVAILABLE":
                request.scope[_DATABASE_ERROR] = type(error.original_error).__name__
        return await super().process_result(request, result)

    async def get_context(self, request: Any, response: Any) -> Context:
        assert isinstance(request, Request)
        assert isinstance(response, Response)
        actor = request.scope.get(_ACTOR)
        return Context(request=request, response=response, config=self.config, actor=actor)

    async def _actor(self, request: Request) -> Actor | None:
        authorization = request.headers.get("authorization")
        if authorization is not None:
            match = _BEARER.match(authorization)
            if match is None:
                raise InvalidToken()
            return await authenticate_api(match.group(1))
        token = session_token(request.cookies.get(COOKIE), self.config)
        if token is None:
            return None
        try:
            return await authenticate_session(token)
        except InvalidToken:
            return None  # an ended or expired session: signed out
