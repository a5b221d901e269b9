"""One log format for every line a Roster process writes: `configure_logging` sends every
logger's records (Roster's own, uvicorn's, Strawberry's, Tortoise's) to one handler on
standard error, as one JSON object a line (or, for developers, one readable line a record).

    {"timestamp":"2026-12-02T15:04:05.123Z","level":"INFO","logger":"roster.request",
     "message":"request","request_id":"…","method":"GET","path":"/scim/v2/Users",…}

Every line has `timestamp` (UTC, milliseconds), `level`, `logger` and `message`; a record's
structured fields (`logger.info("request", extra={...})`) follow, and `exception` holds the
trace of a record logged with one. `request_id` is on every record logged while a request is
in flight: the edge sets `domain.request_ids.REQUEST_ID` for the request's duration
and the handler's filter copies it onto each record.

Built on the standard `logging` module with a formatter of our own rather than on structlog
or python-json-logger: every library Roster runs on logs through `logging`, so the formatter
has to sit there anyway; structlog would add a second logging API and a bridge
(`ProcessorFormatter`) to format the same records, and python-json-logger would save only the
dozen lines of `_fields` while still needing our timestamp, names and console form.

uvicorn's access log is dropped (the request log replaces it) and its other loggers are
handed to this handler, whether `roster serve` started uvicorn (with `log_config=None`) or
`uvicorn --factory web.asgi:app_from_environment` did (with its own configuration, which this
replaces)."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Literal, TextIO

from domain.request_ids import REQUEST_ID

LogFormat = Literal["json", "console"]
LOG_FORMATS: tuple[LogFormat, ...] = ("json", "console")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# What every LogRecord has: anything else on a record is a structured field given by `extra`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",  # Python 3.12
    "color_message",  # uvicorn's copy of the message with terminal colours
}
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.asgi")


def timestamp(record: logging.LogRecord) -> str:
    """When the record was made: ISO 8601, UTC, to the millisecond (2026-12-02T15:04:05.123Z)."""
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


def _fields(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES}


class JsonFormatter(logging.Formatter):
    """A record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "timestamp": timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            entry["request_id"] = request_id
        for name, value in _fields(record).items():
            entry.setdefault(name, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False, separators=(",", ":"))


class ConsoleFormatter(logging.Formatter):
    """A record as one line for a person at a terminal (its trace, if any, on the lines
    after): time, level, logger, message, then the structured fields as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        line = f"{timestamp(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        line = f"{line}  {fields}" if fields else line
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class RequestIdFilter(logging.Filter):
    """Puts the id of the request in flight, if any, on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


class _StandardErrorHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is when a record comes (as logging's last resort
    does), so that a replaced stderr (a test's capture) is followed, never a closed one."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:  # type: ignore[override]  # (a settable attribute upstream)
        return sys.stderr


# Libraries whose records would only repeat what Roster logs itself, or worse: pysaml2 logs
# whole SAML messages at debug level and parts of them with its errors, and Roster reports
# every failure as a refusal of its own, so assertions never reach the logs.
_QUIETED = {"saml2": logging.CRITICAL + 1, "xmlschema": logging.WARNING}


def configure_logging(log_format: LogFormat = "json", level: str = "INFO") -> None:
    """Send every logger's records at `level` and above to standard error in `log_format`.
    Idempotent: a second call replaces the handler the first one installed (and leaves any
    other, such as a test's capture, alone)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StandardErrorHandler)]:
        root.removeHandler(handler)
    handler = _StandardErrorHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else ConsoleFormatter())
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
    for name in _UVICORN_LOGGERS:  # uvicorn's own configuration, if it made one, undone
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    for name, floor in _QUIETED.items():
        logging.getLogger(name).setLevel(floor)
    access = logging.getLogger("uvicorn.access")  # replaced by the request log
    access.handlers.clear()
    access.propagate = False
