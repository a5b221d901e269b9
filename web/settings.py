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
| ROSTER_SCIM_RATE_LIMIT | 50/second;1200/minute per SCIM token, or `off` |
| ROSTER_GRAPHQL_RATE_LIMIT | 20/second;600/minute per API token or account, or `off` |
| ROSTER_METRICS_TOKEN  | unset: /metrics is off; set: a scrape sends it as a bearer token |
| PROMETHEUS_MULTIPROC_DIR | set by `roster serve --workers N`: where workers pool metrics |
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from domain.database import connection_config
from domain.rate_limits import RateLimit

SCIM_RATE_LIMIT = "50/second;1200/minute"
GRAPHQL_RATE_LIMIT = "20/second;600/minute"


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
        return cls(
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
    if settings.metrics_token:
        os.environ["ROSTER_METRICS_TOKEN"] = settings.metrics_token
    if settings.metrics_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = settings.metrics_dir


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
