"""The peer: python-scim's scim2-server 0.8.3, its ASGI application on uvicorn with its
in-memory storage and default schemas, open (no token check: the comparison favours it).
Run by bench/run.py: `uvicorn bench.peer:app`."""

from __future__ import annotations

from scim2_server.applications.asgi import ASGIApplication
from scim2_server.memory import AsyncInMemoryStorage
from scim2_server.utils import load_default_provider

app = ASGIApplication(AsyncInMemoryStorage(), load_default_provider())
