"""The ASGI entry point that `roster serve` hands to uvicorn (each worker builds its app)."""

from __future__ import annotations

from starlette.applications import Starlette

from web.app import create_app
from web.settings import Settings


def app_from_environment() -> Starlette:
    return create_app(Settings.from_env())
