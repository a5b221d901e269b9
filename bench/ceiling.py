"""The ceiling: bare Starlette routes doing the same database operations as the SCIM
scenarios through Tortoise, with no SCIM, authentication or audit; and the same get behind
Roster's real SCIM token check (`/authed/users/{id}`), to price that check. Run by
bench/run.py: `uvicorn bench.ceiling:app` with ROSTER_DATABASE_URL set."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.authentication import authenticate_scim
from domain.database import close_database, open_database
from domain.errors import InvalidToken
from domain.models import Organization, Role, RoleOrigin, User


def _json(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value, default=str), status, media_type="application/json")


def _user(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "userName": user.user_name,
        "name": {"givenName": user.given_name, "familyName": user.family_name},
        "emails": user.emails,
        "active": user.active,
        "version": user.version,
    }


async def get_user(request: Request) -> Response:
    user = await User.filter(id=uuid.UUID(request.path_params["id"])).first()
    return _json(_user(user)) if user else _json({}, 404)


async def get_user_authed(request: Request) -> Response:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer":
            raise InvalidToken()
        await authenticate_scim(token.strip())
    except InvalidToken:
        return _json({}, 401)
    return await get_user(request)


async def list_users(request: Request) -> Response:
    users = User.filter(organization_id=request.app.state.organization_id)  # as Roster scopes
    name = request.query_params.get("userName")
    if name is not None:
        users = users.filter(user_name_key=name.casefold())
    else:
        offset = int(request.query_params.get("offset", "0"))
        users = users.order_by("created_at", "id").offset(offset).limit(100)
    return _json([_user(u) for u in await users])


async def create_user(request: Request) -> Response:
    body = json.loads(await request.body())
    state = request.app.state
    user = await User.create(
        organization_id=state.organization_id,
        user_name=body["userName"],
        user_name_key=body["userName"].casefold(),
        given_name=body["name"]["givenName"],
        family_name=body["name"]["familyName"],
        emails=body["emails"],
        role_id=state.role_id,
        role_origin=RoleOrigin.IDENTITY_PROVIDER,
    )
    return _json(_user(user), 201)


async def update_user(request: Request) -> Response:
    body = json.loads(await request.body())
    user_id = uuid.UUID(request.path_params["id"])
    await User.filter(id=user_id).update(active=body["active"])
    user = await User.get(id=user_id)
    return _json(_user(user))


async def ok(request: Request) -> Response:
    return Response(b"{}", media_type="application/json")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    database = await open_database(os.environ["ROSTER_DATABASE_URL"], global_fallback=True)
    organization = await Organization.get(slug=os.environ.get("BENCH_ORG", "bench"))
    role = await Role.get(organization_id=organization.id, key="basic-user")
    app.state.organization_id = organization.id
    app.state.role_id = role.id
    try:
        yield
    finally:
        await close_database(database)


app = Starlette(
    routes=[
        Route("/users", list_users, methods=["GET"]),
        Route("/users", create_user, methods=["POST"]),
        Route("/users/{id}", get_user, methods=["GET"]),
        Route("/users/{id}", update_user, methods=["PATCH"]),
        Route("/authed/users/{id}", get_user_authed, methods=["GET"]),
        Route("/ok", ok),
    ],
    lifespan=lifespan,
)
