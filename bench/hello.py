"""A trivial HTTP/1.1 server: uvloop and a raw asyncio protocol answering every request with
the same small response, parsing nothing but where each request ends. Against it the load
generator measures its own ceiling. It serves requests without a body only (GET), pipelined
or not.

    python -m bench.hello --port 8001"""

from __future__ import annotations

import argparse
import asyncio
from typing import cast

import uvloop

from bench.servers import HOST

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
END = b"\r\n\r\n"


class Hello(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.pending = b""  # the start of a request not yet whole

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's, not a subclass

    def data_received(self, data: bytes) -> None:
        if self.pending:
            data = self.pending + data
        requests = data.count(END)
        self.pending = data[data.rfind(END) + len(END) :] if requests else data
        if requests and self.transport is not None:
            self.transport.write(RESPONSE * requests)


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Hello, HOST, port, backlog=1024)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.hello")
    parser.add_argument("--port", type=int, required=True)
    uvloop.run(serve(parser.parse_args(argv).port))


if __name__ == "__main__":
    main()
