"""The benchmark's load generator reads responses as an HTTP/1.1 client must: the status,
Content-Length and chunked bodies, keep-alive and `Connection: close`, whatever the bytes'
split; and its runs count every request, on connections the server may close."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bench import loadgen
from bench.loadgen import ConnectionClosed, ResponseParser

Answer = tuple[int, bytes, bool]

SMALL = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
CHUNKED = (
    b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n7;name=value\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n"
)


def parsed(*pieces: bytes, keep_body: bool = True) -> list[Answer]:
    answers: list[Answer] = []
    parser = ResponseParser(lambda *answer: answers.append(answer), keep_body=keep_body)
    for piece in pieces:
        parser.feed(piece)
    return answers


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def test_a_response_gives_its_status_and_content_length_body():
    assert parsed(SMALL) == [(200, b"{}", True)]


def test_a_response_split_anywhere_is_read_whole_once():
    assert parsed(*bytewise(SMALL)) == [(200, b"{}", True)]
    assert parsed(*bytewise(CHUNKED)) == [(201, b"hello, world", True)]


def test_a_chunked_body_is_joined_without_extensions_or_trailers():
    assert parsed(CHUNKED) == [(201, b"hello, world", True)]


def test_bodies_are_dropped_unless_kept():
    assert parsed(SMALL, CHUNKED, keep_body=False) == [(200, b"", True), (201, b"", True)]


def test_responses_one_after_another_on_a_connection_are_each_read():
    not_found = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    assert parsed(SMALL + not_found, SMALL) == [
        (200, b"{}", True),
        (404, b"", True),
        (200, b"{}", True),
    ]


def test_connection_close_and_http_1_0_end_keep_alive():
    closing = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    old = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    old_kept = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}"
    assert parsed(closing) == [(503, b"", False)]
    assert parsed(old) == [(200, b"{}", False)]
    assert parsed(old_kept) == [(200, b"{}", True)]


def test_interim_responses_are_skipped_and_204_has_no_body():
    interim = b"HTTP/1.1 100 Continue\r\n\r\n"
    no_content = b"HTTP/1.1 204 No Content\r\n\r\n"
    assert parsed(interim + no_content + SMALL) == [(204, b"", True), (200, b"{}", True)]


Handler = Callable[[int], bytes]  # the number of the request on its connection -> the answer


async def serve(answer: Handler) -> AsyncIterator[int]:
    """A server on 127.0.0.1 answering each GET with `answer(n)`; closes the connection after
    an answer that says `Connection: close`. Yields its port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = 0
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                response = answer(number)
                number += 1
                writer.write(response)
                if b"Connection: close" in response:
                    break
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


@pytest.fixture
async def small_server() -> AsyncIterator[int]:
    async for port in serve(lambda n: SMALL):
        yield port


@pytest.fixture
async def closing_server() -> AsyncIterator[int]:
    """Closes each connection after its third answer, which alternates 200 and 404."""

    def answer(n: int) -> bytes:
        status = b"200 OK" if n % 2 == 0 else b"404 Not Found"
        close = b"Connection: close\r\n" if n == 2 else b""
        return b"HTTP/1.1 " + status + b"\r\n" + close + b"Content-Length: 2\r\n\r\n{}"

    async for port in serve(answer):
        yield port


def get(n: int) -> bytes:
    return loadgen.request("GET", f"/{n}", host="127.0.0.1")


def recording(numbers: list[int]) -> loadgen.RequestFactory:
    """`get`, keeping each request number it is asked for."""

    def make(n: int) -> bytes:
        numbers.append(n)
        return get(n)

    return make


async def test_a_run_sends_each_request_number_once_and_counts_every_answer(small_server):
    numbers: list[int] = []
    result = await loadgen.run(
        "127.0.0.1",
        small_server,
        recording(numbers),
        concurrency=4,
        seconds=30,
        warmup=0,
        max_requests=500,
    )
    assert sorted(numbers) == list(range(500))
    assert result.count == 500
    assert result.statuses == {200: 500}
    assert all(latency > 0 for latency in result.latencies)
    assert 0 < result.seconds < 30
    assert result.cpu_seconds > 0


async def test_a_run_opens_a_new_connection_when_the_server_closes_one(closing_server):
    result = await loadgen.run(
        "127.0.0.1", closing_server, get, concurrency=3, seconds=30, warmup=0, max_requests=90
    )
    assert result.count == 90
    assert result.statuses == {200: 60, 404: 30}


async def test_a_run_is_bounded_in_time_and_measures_after_the_warm_up(small_server):
    sent: list[int] = []
    result = await loadgen.run(
        "127.0.0.1", small_server, recording(sent), concurrency=2, seconds=0.3, warmup=0.2
    )
    assert result.seconds == pytest.approx(0.3)
    assert 0 < result.count < len(sent)  # the warm-up's requests are not measured
    assert result.rate == result.count / result.seconds


async def test_a_run_fails_when_the_server_closes_with_a_request_in_flight():
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(ConnectionClosed):
            await loadgen.run("127.0.0.1", port, get, concurrency=2, seconds=5, warmup=0)


async def test_a_connection_gives_each_body_and_reopens_after_connection_close(closing_server):
    async with loadgen.Connection("127.0.0.1", closing_server) as connection:
        answers = [await connection.send(get(n)) for n in range(5)]
    assert answers == [(200, b"{}"), (404, b"{}"), (200, b"{}"), (200, b"{}"), (404, b"{}")]


def test_merged_results_add_their_time_requests_and_statuses():
    first, second = loadgen.Result(seconds=1.0, cpu_seconds=0.1), loadgen.Result(seconds=2.0)
    first.latencies.extend([0.001, 0.002])
    first.statuses.update({200: 2})
    second.latencies.append(0.003)
    second.statuses.update({500: 1})
    first.merge(second)
    assert (first.seconds, first.count, first.cpu_seconds) == (3.0, 3, 0.1)
    assert first.statuses == {200: 2, 500: 1}
    assert first.rate == 1.0
    assert first.percentile(0.99) == 3.0
