"""One log format: every line a Roster process writes is one JSON object with `timestamp`,
`level`, `logger`, `message`, the request's id while a request is in flight, and its
structured fields; expected client errors are never logged at ERROR."""

from __future__ import annotations

import json
import logging
import logging.config
import re
import socket
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
from uvicorn.config import LOGGING_CONFIG

from domain import sessions
from domain.request_ids import REQUEST_ID
from tests.processes import SERVE, free_port, ok, roster, serving
from tests.scim.conftest import SCIM_JSON, okta_user
from web.logs import ConsoleFormatter, JsonFormatter, RequestIdFilter, configure_logging
from web.request_log import new_request_id
from web.settings import Settings, SettingsError

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
CSRF = {"X-Roster-CSRF": "1"}
# 2026-12-02T15:04:05.123Z
WHEN = 1796223845.123


def record(message: str = "hello %s", *args: object, **fields: object) -> logging.LogRecord:
    made = logging.LogRecord("roster.test", logging.INFO, __file__, 1, message, args, None)
    made.created, made.msecs = WHEN, 123.0
    for name, value in fields.items():
        setattr(made, name, value)
    return made


# --- the formats --------------------------------------------------------------------------


def test_a_record_is_one_json_object_with_utc_timestamp_level_logger_and_message():
    line = JsonFormatter().format(record("hello %s", "world"))

    assert "\n" not in line
    assert json.loads(line) == {
        "timestamp": "2026-12-02T15:04:05.123Z",
        "level": "INFO",
        "logger": "roster.test",
        "message": "hello world",
    }


def test_structured_fields_follow_the_message_and_never_replace_its_keys():
    fields = {"status": 401, "path": "/scim/v2/Users", "level": "forged", "request_id": "r-1"}
    entry = json.loads(JsonFormatter().format(record("request", **fields)))

    assert list(entry) == [
        "timestamp",
        "level",
        "logger",
        "message",
        "request_id",
        "status",
        "path",
    ]
    assert (entry["level"], entry["status"], entry["request_id"]) == ("INFO", 401, "r-1")


def test_an_exception_stays_on_its_line_with_its_trace():
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError:
        failed = record("boom")
        failed.exc_info = sys.exc_info()

    line = JsonFormatter().format(failed)

    assert "\n" not in line
    assert "ZeroDivisionError: division by zero" in json.loads(line)["exception"]


def test_a_value_json_cannot_hold_is_written_as_text():
    entry = json.loads(JsonFormatter().format(record("x", where=Path("data"))))
    assert entry["where"] == "data"


def test_the_console_format_is_one_readable_line_with_the_fields_after_the_message():
    line = ConsoleFormatter().format(record("request", status=200, request_id="r-1"))

    assert (
        line == "2026-12-02T15:04:05.123Z INFO    roster.test: request  status=200 request_id=r-1"
    )


def test_a_record_made_while_a_request_is_in_flight_carries_its_id():
    in_flight = REQUEST_ID.set("okta-42")
    try:
        during = record("database unavailable")
        RequestIdFilter().filter(during)
    finally:
        REQUEST_ID.reset(in_flight)
    after = record("Shutting down")
    RequestIdFilter().filter(after)

    assert json.loads(JsonFormatter().format(during))["request_id"] == "okta-42"
    assert "request_id" not in json.loads(JsonFormatter().format(after))


# --- the configuration ----------------------------------------------------------------------


@pytest.fixture
def logging_state() -> Iterator[None]:
    """The logging configuration as it was, put back after the test."""
    root = logging.getLogger()
    names = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
    kept = [(logging.getLogger(n), logging.getLogger(n).__dict__.copy()) for n in names]
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for logger, state in kept:
        logger.__dict__.clear()
        logger.__dict__.update(state)


def test_configuring_twice_leaves_one_handler_of_ours_and_any_other_alone(logging_state):
    root = logging.getLogger()
    other = logging.NullHandler()
    root.addHandler(other)

    configure_logging("json", "INFO")
    configure_logging("console", "WARNING")

    assert other in root.handlers
    assert len(root.handlers) == len(set(root.handlers))
    ours = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter | ConsoleFormatter)]
    assert [type(h.formatter) for h in ours] == [ConsoleFormatter]
    assert root.level == logging.WARNING


def test_uvicorn_s_own_configuration_is_replaced_and_its_access_log_dropped(logging_state, capsys):
    logging.config.dictConfig(LOGGING_CONFIG)  # what `uvicorn --factory ...` does first
    configure_logging("json", "INFO")

    logging.getLogger("uvicorn.error").info("Application startup complete.")
    logging.getLogger("uvicorn.access").info("127.0.0.1 - GET / 200")

    captured = capsys.readouterr()
    (line,) = [json.loads(text) for text in captured.err.splitlines()]
    assert (line["logger"], line["message"]) == ("uvicorn.error", "Application startup complete.")
    assert captured.out == ""
    assert not logging.getLogger("uvicorn.access").hasHandlers()  # uvicorn then skips it


def test_the_log_settings_default_to_json_at_info_and_refuse_what_they_do_not_know():
    settings = Settings.from_env({"ROSTER_SECRET_KEY": "k" * 32})
    assert (settings.log_format, settings.log_level) == ("json", "INFO")
    console = Settings.from_env(
        {"ROSTER_SECRET_KEY": "k" * 32, "ROSTER_LOG_FORMAT": "Console", "ROSTER_LOG_LEVEL": "debug"}
    )
    assert (console.log_format, console.log_level) == ("console", "DEBUG")
    for name, value in (("ROSTER_LOG_FORMAT", "xml"), ("ROSTER_LOG_LEVEL", "loud")):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({"ROSTER_SECRET_KEY": "k" * 32, name: value})


# --- the app, in this process ---------------------------------------------------------------


def written(capsys) -> list[dict[str, object]]:
    """The lines the app wrote on stderr, each parsed (one JSON object each, or this fails)."""
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]


async def graphql(app_transport, document: str, **variables: object) -> httpx.Response:
    async with httpx.AsyncClient(transport=app_transport, base_url="http://roster.test") as c:
        body = {"query": document, "variables": variables}
        return await c.post("/graphql", json=body, headers=CSRF)


async def test_an_invalid_graphql_document_is_logged_at_info_with_the_request_id(
    app_transport, capsys
):
    capsys.readouterr()
    response = await graphql(app_transport, "{ nope }")

    (error,) = [e for e in written(capsys) if e["logger"] == "roster.graphql"]
    assert error["level"] == "INFO"
    assert error["request_id"] == response.headers["x-request-id"]
    assert "nope" in str(error["message"])


async def test_an_unexpected_graphql_error_is_logged_at_error_with_its_error_id(
    app_transport, capsys, monkeypatch
):
    async def broken(*args: object) -> None:
        raise RuntimeError("internal detail")

    monkeypatch.setattr(sessions, "sign_in", broken)
    capsys.readouterr()
    response = await graphql(
        app_transport,
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { __typename } }",
        e="root@acme.test",
        p="correct horse battery",
    )

    error_id = response.json()["errors"][0]["extensions"]["errorId"]
    (error,) = [e for e in written(capsys) if e["logger"] == "roster.graphql"]
    assert (error["level"], error["error_id"]) == ("ERROR", error_id)
    assert error["request_id"] == response.headers["x-request-id"]
    assert "RuntimeError: internal detail" in str(error["exception"])
    assert "correct horse battery" not in json.dumps(error)


# --- real processes -------------------------------------------------------------------------


def parse_lines(text: str) -> list[dict[str, object]]:
    """Every line parsed as one JSON object with the four keys every line has."""
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        entry = json.loads(line)  # fails on any line that is not JSON
        assert isinstance(entry, dict), (number, line)
        assert TIMESTAMP.match(str(entry["timestamp"])), (number, line)
        assert entry["level"] in LEVELS, (number, line)
        assert isinstance(entry["logger"], str), (number, line)
        assert isinstance(entry["message"], str), (number, line)
        lines.append(entry)
    assert lines, "nothing was logged"
    return lines


@contextmanager
def serving_to(
    log: Path, env: dict[str, str], command: tuple[str, ...] = SERVE, workers: int = 1
) -> Iterator[str]:
    """A server process started with `command`, its stderr in `log`; its base URL (stopped
    with SIGTERM afterwards, as a supervisor stops it)."""
    with serving(env, log=log, command=command, workers=workers) as server:
        yield server.url
    assert server.stdout == "", "a server writes nothing on stdout (no access log)"


class DatabaseRelay:
    """A TCP relay between the server and PostgreSQL that the test can cut, as a network
    outage would: open connections are reset and new ones refused."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                near, _ = self.listener.accept()
            except OSError:
                return
            far = socket.create_connection(self.target)
            self.sockets += [near, far]
            for source, sink in ((near, far), (far, near)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)  # the end of one side's stream, passed on

    def cut(self) -> None:
        for each in [self.listener, *self.sockets]:
            with suppress(OSError):
                each.shutdown(socket.SHUT_RDWR)
            each.close()


class Outage:
    """A database the test makes unavailable to a running server. On PostgreSQL the server
    reaches it through a relay that is then cut; on SQLite another process takes the write lock
    (a write then waits the busy timeout, 5 s, and gives up)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.url = env["ROSTER_DATABASE_URL"]
        self.relay: DatabaseRelay | None = None
        self.lock: sqlite3.Connection | None = None
        if self.url.startswith("postgres"):
            parts = urlsplit(self.url)
            self.relay = DatabaseRelay(parts.hostname or "127.0.0.1", parts.port or 5432)
            credentials = parts.netloc.rpartition("@")[0]
            relayed = parts._replace(netloc=f"{credentials}@127.0.0.1:{self.relay.port}")
            self.server_env = {**env, "ROSTER_DATABASE_URL": relayed.geturl()}
        else:
            self.server_env = env

    def begin(self) -> None:
        if self.relay is not None:
            self.relay.cut()
        else:
            self.lock = sqlite3.connect(self.url.removeprefix("sqlite://"), isolation_level=None)
            self.lock.execute("BEGIN IMMEDIATE")

    def end(self) -> None:
        if self.lock is not None:
            self.lock.execute("ROLLBACK")
            self.lock.close()


@pytest.fixture
def acme(env) -> dict[str, str]:
    """A migrated database with the `acme` organization and its admin."""
    ok(env, "migrate")
    ok(env, "org", "create", "acme", "--name", "Acme Corp")
    ok(env, "admin", "create", "--org", "acme", "--email", "root@acme.test", "--password-stdin",
       stdin="correct horse battery\n")  # fmt: skip
    return env


@pytest.fixture
def scim_token(acme) -> str:
    return ok(acme, "token", "create", "--org", "acme").strip()


@pytest.mark.slow
def test_roster_serve_writes_only_json_lines_and_no_expected_error_at_error(
    acme, scim_token, tmp_path
):
    """Two workers, a failed sign-in, SCIM refusals, GraphQL errors and a database outage:
    every line on stderr is JSON, a line logged within a request carries its id, and nothing
    but the outage is above INFO."""
    outage = Outage(acme)
    log = tmp_path / "serve.log"
    responses: dict[str, httpx.Response] = {}
    with serving_to(log, outage.server_env, workers=2) as base:
        scim = {"Authorization": f"Bearer {scim_token}", "Content-Type": SCIM_JSON}
        login = (
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { __typename } }"
        )
        with httpx.Client(base_url=base, timeout=30) as http:
            responses["sign-in"] = http.post(
                "/graphql",
                json={"query": login, "variables": {"e": "root@acme.test", "p": "wrong password"}},
                headers=CSRF,
            )
            responses["invalid document"] = http.post(
                "/graphql", json={"query": "{ nope }"}, headers=CSRF
            )
            responses["not signed in"] = http.post(
                "/graphql", json={"query": "{ users { totalCount } }"}, headers=CSRF
            )
            responses["bad token"] = http.get(
                "/scim/v2/Users", headers={"Authorization": "Bearer rst_scim_wrong"}
            )
            responses["unknown user"] = http.get(f"/scim/v2/Users/{uuid.uuid4()}", headers=scim)
            responses["invalid filter"] = http.get(
                "/scim/v2/Users?filter=" + quote("userName zz 1"), headers=scim
            )
            outage.begin()
            try:
                responses["outage"] = http.post(
                    "/scim/v2/Users", json=okta_user("jane@acme.test"), headers=scim
                )
            finally:
                outage.end()

    statuses = {name: response.status_code for name, response in responses.items()}
    assert statuses == {
        "sign-in": 200,
        "invalid document": 200,
        "not signed in": 200,
        "bad token": 401,
        "unknown user": 404,
        "invalid filter": 400,
        "outage": 503,
    }
    assert responses["sign-in"].json()["data"]["login"]["__typename"] == "AuthenticationError"
    lines = parse_lines(log.read_text())
    ids = {response.headers["x-request-id"]: name for name, response in responses.items()}
    by_request = {
        name: [e for e in lines if ids.get(str(e.get("request_id"))) == name] for name in responses
    }

    # one request line for each request, with its fields
    for name, response in responses.items():
        (request_line,) = [e for e in by_request[name] if e["logger"] == "roster.request"]
        assert request_line["status"] == response.status_code
        assert request_line["path"] == response.request.url.path
        assert {"method", "duration_ms", "organization", "actor"} <= set(request_line)
    # what the doors log, they log within a request, with its id
    for entry in lines:
        if entry["logger"] in {"roster.request", "roster.graphql", "roster.scim"}:
            assert entry.get("request_id"), entry  # (the readiness checks' /readyz lines too)
    # expected errors at INFO; the outage a WARNING with its request's id; nothing at ERROR
    graphql_errors = [e for e in lines if e["logger"] == "roster.graphql"]
    assert {ids[str(e["request_id"])] for e in graphql_errors} == {
        "invalid document",
        "not signed in",
    }
    assert {e["level"] for e in graphql_errors} == {"INFO"}
    (down,) = [e for e in by_request["outage"] if e["logger"] == "roster.edge"]
    assert down["level"] == "WARNING"
    assert str(down["message"]).startswith("database unavailable")
    assert [e for e in lines if e["level"] in {"ERROR", "CRITICAL"}] == []
    # uvicorn's lines too, from the parent and from both workers; never its access log
    messages = [str(e["message"]) for e in lines if e["logger"] == "uvicorn.error"]
    assert any(m.startswith("Started parent process") for m in messages)
    assert sum(m == "Application startup complete." for m in messages) == 2
    assert not [e for e in lines if e["logger"] == "uvicorn.access"]


def test_a_request_id_of_rosters_own_is_a_uuid7_that_sorts_in_the_order_ids_were_made():
    made = []
    for _ in range(3):
        made.append(new_request_id())
        time.sleep(0.002)

    assert made == sorted(made)
    assert all(len(text) == 32 and uuid.UUID(text).version == 7 for text in made)
    assert {uuid.UUID(text).variant for text in made} == {uuid.RFC_4122}
    assert len({new_request_id() for _ in range(1000)}) == 1000


@pytest.mark.slow
def test_console_format_is_one_readable_line_per_record(acme, tmp_path):
    log = tmp_path / "serve.log"
    with serving_to(log, {**acme, "ROSTER_LOG_FORMAT": "console"}) as base:
        response = httpx.get(f"{base}/healthz")

    request_id = response.headers["x-request-id"]
    lines = [text for text in log.read_text().splitlines() if request_id in text]
    assert len(lines) == 1, log.read_text()
    assert re.match(r"^\S+Z INFO +roster\.request: request  method=GET path=/healthz", lines[0])


@pytest.mark.slow
def test_the_app_uvicorn_builds_from_the_environment_logs_its_requests(acme, tmp_path):
    """`uvicorn --factory web.asgi:app_from_environment`, with uvicorn's own logging
    configuration: the app's replaces it, so the request log is there and nothing else."""
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    log = tmp_path / "uvicorn.log"
    command = (uvicorn, "--factory", "web.asgi:app_from_environment", "--host", "127.0.0.1")
    with serving_to(log, acme, command) as base:
        response = httpx.get(f"{base}/healthz", headers={"X-Request-ID": "probe-1"})

    assert response.status_code == 200
    lines = parse_lines(log.read_text())
    (request_line,) = [e for e in lines if e.get("request_id") == "probe-1"]
    assert (request_line["logger"], request_line["path"], request_line["status"]) == (
        "roster.request",
        "/healthz",
        200,
    )
    assert {e["logger"] for e in lines} <= {"roster.request", "uvicorn.error", "tortoise"}


def test_serve_logs_why_it_cannot_start_as_a_json_line(env):
    env["ROSTER_LOG_LEVEL"] = "loud"
    result = roster(env, "serve", "--port", str(free_port()))

    assert result.returncode == 1
    (line,) = parse_lines(result.stderr)
    assert (line["level"], line["logger"]) == ("ERROR", "roster.cli")
    assert "ROSTER_LOG_LEVEL" in str(line["message"])
