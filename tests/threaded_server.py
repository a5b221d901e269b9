"""A stand-in for another party's server (an identity provider) in the tests: an ASGI app served
by uvicorn on 127.0.0.1 from a thread of the test process, for as long as a block lasts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from tests.processes import HOST

START_SECONDS = 10.0


@contextmanager
def served_in_thread(app: ASGIApp, port: int, name: str) -> Iterator[None]:
    """`app` answering on 127.0.0.1:`port` until the block ends; `name` says what did not start."""
    config = uvicorn.Config(app, host=HOST, port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name=name)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"{name} did not start on port {port}")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
