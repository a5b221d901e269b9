"""Settings, read from ROSTER_* environment variables. The only module that reads them.

| variable              | default                               |
| --------------------- | ------------------------------------- |
| ROSTER_DATABASE_URL   | sqlite://<data dir>/roster.sqlite3     |
| ROSTER_DATA_DIR       | ./data                                |
| ROSTER_HOST           | 127.0.0.1                             |
| ROSTER_PORT           | 8000                                  |
| ROSTER_PUBLIC_URL     | http://<host>:<port>                  |
| ROSTER_SECRET_KEY     | generated once, kept in <data dir>/secret_key |
| ROSTER_GRAPHIQL       | 0 (1 serves GraphiQL at /graphql)     |
| ROSTER_SCIM_MAX_RESULTS | 1000 (the most users one SCIM page returns, at least 1000) |
| ROSTER_SCIM_RATE_LIMIT | 50/second;3000/minute per SCIM token, or `off` |
| ROSTER_GRAPHQL_RATE_LIMIT | 20/second;600/minute per API token or account, or `off` |
| ROSTER_METRICS_TOKEN  | unset: /metrics is off; set: a scrape sends it as a bearer token |
| ROSTER_TRUSTED_PROXIES | none; addresses/CIDRs whose X-Forwarded-For/-Proto count |
| ROSTER_DRAIN_SECONDS  | 3 (after SIGTERM: readyz 503, still serving, Connection: close) |
| ROSTER_REDIS_URL      | unset: each process alone; set (redis://HOST:PORT/DB): shared state |
| ROSTER_REDIS_PREFIX   | roster (what every Redis key of this deployment starts with) |
| ROSTER_LOG_FORMAT     | json (one JSON object a line), or console (one readable line) |
| ROSTER_LOG_LEVEL      | INFO (DEBUG, INFO, WARNING, ERROR or CRITICAL) |
| ROSTER_REQUEST_LOG    | on (each SCIM request in the organization's provisioning log), or off |
| ROSTER_REQUEST_LOG_DAYS | 30 (how long the provisioning log keeps a request, 1 to 3650 days) |
| ROSTER_REQUEST_LOG_REDACT | none; SCIM attributes the log keeps no value of (comma-separated) |
| PROMETHEUS_MULTIPROC_DIR | set by `roster serve --workers N`: where workers pool metrics |
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from domain.database import connection_config
from web.logs import LOG_FORMATS, LOG_LEVELS, LogFormat
from web.rate_limits import RateLimit

# Entra ID's gallery asks a SCIM server for at least 25 requests/s per tenant, and quarantines
# a job that meets many 429s: twice that, sustained (3000/minute = 50/s), per SCIM token.
SCIM_RATE_LIMIT = "50/second;3000/minute"
GRAPHQL_RATE_LIMIT = "20/second;600/minute"
DRAIN_SECONDS = 3.0
MAX_DRAIN_SECONDS = 60.0
REDIS_PREFIX = "roster"
REQUEST_LOG_DAYS = 30
MAX_REQUEST_LOG_DAYS = 3650
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._:-]{0,255}$")
_REDIS_SCHEMES = {"redis", "rediss", "unix"}
_REDIS_PREFIX_TEXT = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class SettingsError(ValueError):
    """A setting has a value Roster cannot use; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    data_dir: Path
    host: str
    port: int
    public_url: str
    secret_key: str
    graphiql: bool = False
    scim_max_results: int = 1000
    scim_rate_limit: str | None = SCIM_RATE_LIMIT  # None: no limit
    graphql_rate_limit: str | None = GRAPHQL_RATE_LIMIT
    metrics_token: str | None = None  # None: /metrics is off
    metrics_dir: str | None = None  # the workers' shared metrics folder (prometheus-client's)
    trusted_proxies: tuple[str, ...] = ()  # addresses and networks; empty: direct connections
    drain_seconds: float = DRAIN_SECONDS  # `roster serve` after SIGTERM, before it closes
    redis_url: str | None = None  # None: rate limits and walk positions kept in each process
    redis_prefix: str = REDIS_PREFIX
    log_format: LogFormat = "json"
    log_level: str = "INFO"
    request_log: bool = True  # each SCIM request in the organization's provisioning log
    request_log_days: int = REQUEST_LOG_DAYS
    request_log_redact: tuple[str, ...] = ()  # SCIM attribute names (passwords always)

    @property
    def scim_base_url(self) -> str:
        return f"{self.public_url}/scim/v2"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("ROSTER_DATA_DIR", "data"))
        database_url = env.get("ROSTER_DATABASE_URL") or f"sqlite://{data_dir / 'roster.sqlite3'}"
        try:
            connection_config(database_url)
        except ValueError as error:
            raise SettingsError(f"ROSTER_DATABASE_URL: {error}") from error
        host = env.get("ROSTER_HOST", "127.0.0.1")
        port_text = env.get("ROSTER_PORT", "8000")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise SettingsError(f"ROSTER_PORT: {port_text!r} is not a TCP port number")
        port = int(port_text)
        public_url = (env.get("ROSTER_PUBLIC_URL") or f"http://{host}:{port}").rstrip("/")
        parts = urlsplit(public_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise SettingsError(f"ROSTER_PUBLIC_URL: {public_url!r} is not an http(s) URL")
        secret_key = env.get("ROSTER_SECRET_KEY") or _kept_secret_key(data_dir)
        graphiql = env.get("ROSTER_GRAPHIQL", "0").strip().lower() in {"1", "true", "yes", "on"}
        max_results_text = env.get("ROSTER_SCIM_MAX_RESULTS", "1000")
        if not max_results_text.isdigit() or not 1000 <= int(max_results_text) <= 10000:
            raise SettingsError(
                f"ROSTER_SCIM_MAX_RESULTS: {max_results_text!r} is not a number from 1000 to 10000"
            )
        metrics_token = env.get("ROSTER_METRICS_TOKEN", "").strip() or None
        if metrics_token is not None and len(metrics_token) < 16:
            raise SettingsError("ROSTER_METRICS_TOKEN: use at least 16 characters")
        drain_text = env.get("ROSTER_DRAIN_SECONDS", "").strip() or str(DRAIN_SECONDS)
        try:
            drain_seconds = float(drain_text)
        except ValueError:
            drain_seconds = -1.0
        if not 0 <= drain_seconds <= MAX_DRAIN_SECONDS:
            raise SettingsError(
                f"ROSTER_DRAIN_SECONDS: {drain_text!r} is not a number of seconds from 0 to "
                f"{MAX_DRAIN_SECONDS:g}"
            )
        redis_url = env.get("ROSTER_REDIS_URL", "").strip() or None
        if redis_url is not None and urlsplit(redis_url).scheme not in _REDIS_SCHEMES:
            raise SettingsError(
                f"ROSTER_REDIS_URL: {redis_url!r} is not a Redis URL "
                "(redis://HOST:PORT/DB, rediss://... or unix:///PATH)"
            )
        redis_prefix = env.get("ROSTER_REDIS_PREFIX", REDIS_PREFIX).strip()
        if not _REDIS_PREFIX_TEXT.match(redis_prefix):
            raise SettingsError(
                f"ROSTER_REDIS_PREFIX: {redis_prefix!r} is not 1 to 64 letters, digits or ._:-"
            )
        log_format, log_level = _log_settings(env)
        request_log, request_log_days, request_log_redact = _request_log_settings(env)
        return cls(
            request_log=request_log,
            request_log_days=request_log_days,
            request_log_redact=request_log_redact,
            trusted_proxies=_trusted_proxies(env.get("ROSTER_TRUSTED_PROXIES", "")),
            drain_seconds=drain_seconds,
            redis_url=redis_url,
            redis_prefix=redis_prefix,
            log_format=log_format,
            log_level=log_level,
            metrics_token=metrics_token,
            metrics_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
            scim_rate_limit=_rate_limit(env, "ROSTER_SCIM_RATE_LIMIT", SCIM_RATE_LIMIT),
            graphql_rate_limit=_rate_limit(env, "ROSTER_GRAPHQL_RATE_LIMIT", GRAPHQL_RATE_LIMIT),
            database_url=database_url,
            data_dir=data_dir,
            host=host,
            port=port,
            public_url=public_url,
            secret_key=secret_key,
            graphiql=graphiql,
            scim_max_results=int(max_results_text),
        )


def export_to_environment(settings: Settings) -> None:
    """Hand these settings to worker processes, which build their own from the environment."""
    os.environ["ROSTER_DATABASE_URL"] = settings.database_url
    os.environ["ROSTER_DATA_DIR"] = str(settings.data_dir)
    os.environ["ROSTER_HOST"] = settings.host
    os.environ["ROSTER_PORT"] = str(settings.port)
    os.environ["ROSTER_PUBLIC_URL"] = settings.public_url
    os.environ["ROSTER_SECRET_KEY"] = settings.secret_key
    os.environ["ROSTER_GRAPHIQL"] = "1" if settings.graphiql else "0"
    os.environ["ROSTER_SCIM_MAX_RESULTS"] = str(settings.scim_max_results)
    os.environ["ROSTER_SCIM_RATE_LIMIT"] = settings.scim_rate_limit or "off"
    os.environ["ROSTER_GRAPHQL_RATE_LIMIT"] = settings.graphql_rate_limit or "off"
    os.environ["ROSTER_TRUSTED_PROXIES"] = ",".join(settings.trusted_proxies)
    os.environ["ROSTER_DRAIN_SECONDS"] = f"{settings.drain_seconds:g}"
    if settings.metrics_token:
        os.environ["ROSTER_METRICS_TOKEN"] = settings.metrics_token
    if settings.metrics_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = settings.metrics_dir
    if settings.redis_url:
        os.environ["ROSTER_REDIS_URL"] = settings.redis_url
    os.environ["ROSTER_REDIS_PREFIX"] = settings.redis_prefix
    os.environ["ROSTER_REQUEST_LOG"] = "on" if settings.request_log else "off"
    os.environ["ROSTER_REQUEST_LOG_DAYS"] = str(settings.request_log_days)
    os.environ["ROSTER_REQUEST_LOG_REDACT"] = ",".join(settings.request_log_redact)


def _request_log_settings(env: Mapping[str, str]) -> tuple[bool, int, tuple[str, ...]]:
    switch = env.get("ROSTER_REQUEST_LOG", "on").strip().lower()
    if switch not in {"on", "off"}:
        raise SettingsError(f"ROSTER_REQUEST_LOG: {switch!r} is not on or off")
    days_text = env.get("ROSTER_REQUEST_LOG_DAYS", "").strip() or str(REQUEST_LOG_DAYS)
    if not days_text.isdigit() or not 1 <= int(days_text) <= MAX_REQUEST_LOG_DAYS:
        raise SettingsError(
            f"ROSTER_REQUEST_LOG_DAYS: {days_text!r} is not a number of days from 1 to "
            f"{MAX_REQUEST_LOG_DAYS}"
        )
    names = tuple(
        name.strip() for name in env.get("ROSTER_REQUEST_LOG_REDACT", "").split(",") if name.strip()
    )
    for name in names:
        if not _ATTRIBUTE_NAME.match(name):
            raise SettingsError(f"ROSTER_REQUEST_LOG_REDACT: {name!r} is not a SCIM attribute name")
    return switch == "on", int(days_text), names


def _log_settings(env: Mapping[str, str]) -> tuple[LogFormat, str]:
    text = env.get("ROSTER_LOG_FORMAT", "json").strip().lower()
    log_format = next((known for known in LOG_FORMATS if known == text), None)
    if log_format is None:
        raise SettingsError(f"ROSTER_LOG_FORMAT: {text!r} is not `json` or `console`")
    log_level = env.get("ROSTER_LOG_LEVEL", "INFO").strip().upper()
    if log_level not in LOG_LEVELS:
        raise SettingsError(
            f"ROSTER_LOG_LEVEL: {log_level!r} is not one of {', '.join(LOG_LEVELS)}"
        )
    return log_format, log_level


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str | None:
    value = env.get(name, default).strip()
    if value.lower() == "off":
        return None
    try:
        RateLimit(value)
    except ValueError as error:
        raise SettingsError(
            f"{name}: {value!r} is not a rate limit such as {default!r} (or `off`): {error}"
        ) from error
    return value


def _trusted_proxies(text: str) -> tuple[str, ...]:
    """The proxies (addresses or networks, comma-separated) allowed to tell the client's
    address and scheme; a name or `*` is refused (trust must be given address by address)."""
    proxies = []
    for part in (item.strip() for item in text.split(",")):
        if not part:
            continue
        try:
            network = ipaddress.ip_network(part, strict=False)
        except ValueError as error:
            raise SettingsError(
                f"ROSTER_TRUSTED_PROXIES: {part!r} is not an IP address or network (CIDR), "
                "such as 10.0.0.0/8 or 127.0.0.1"
            ) from error
        proxies.append(str(network) if "/" in part else str(network.network_address))
    return tuple(proxies)


def _kept_secret_key(data_dir: Path) -> str:
    """The secret key in <data dir>/secret_key, created (readable by its owner only) if missing."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the keys, the database: private
    key = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    return key
