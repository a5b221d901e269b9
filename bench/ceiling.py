"""The ceiling: bare Starlette routes doing through Tortoise the statements each SCIM scenario
must run, with no SCIM, authentication, validation or rendering beyond a small JSON:

- get: SELECT the user by id;
- filter: SELECT the users of the organization with that userName;
- create: in one transaction, INSERT the user, INSERT one index row per email (as filters on
  emails need), INSERT the audit event;
- deactivate: in one transaction, SELECT the user FOR UPDATE, UPDATE it, INSERT the audit
  event;
- list: SELECT a page of 100 of the organization's users by (created_at, id).

And the same get behind Roster's real SCIM token check (`/authed/users/{id}`), to price that
check. Run by bench/run.py: `uvicorn bench.ceiling:app` with ROSTER_DATABASE_URL set."""

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
from tortoise.transactions import in_transaction

from domain.authentication import authenticate_scim
from domain.database import close_database, open_database
from domain.errors import InvalidToken
from domain.models import AuditEvent, Channel, Organization, Role, RoleOrigin, User, UserValue


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
    async with in_transaction():
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
        await UserValue.bulk_create(
            [
                UserValue(
                    user_id=user.id,
                    attribute="emails",
                    value=email["value"],
                    value_key=email["value"].casefold(),
                    type=email.get("type"),
                    primary=bool(email.get("primary")),
                )
                for email in body["emails"]
            ]
        )
        await _audit(state.organization_id, "user.provisioned", user)
    return _json(_user(user), 201)


async def update_user(request: Request) -> Response:
    body = json.loads(await request.body())
    user_id = uuid.UUID(request.path_params["id"])
    async with in_transaction():
        user = await User.filter(id=user_id).select_for_update().get()
        user.active = body["active"]
        user.version += 1
        await user.save(update_fields=["active", "version", "updated_at"])
        await _audit(user.organization_id, "user.deactivated", user)
    return _json(_user(user))


async def _audit(organization_id: int, action: str, user: User) -> None:
    await AuditEvent.create(
        organization_id=organization_id,
        actor_kind="scim_token",
        actor_label="ceiling",
        channel=Channel.SCIM,
        action=action,
        target_type="user",
        target_id=str(user.id),
        changes={"active": {"before": None, "after": user.active}},
    )


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
