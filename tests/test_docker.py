"""The production image and compose file (docker/): what an operator relies on, checked
without a Docker daemon. The compose file is read with PyYAML (a dependency of uvicorn's
`standard` extra) or, failing that, by `docker compose config`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "docker" / "Dockerfile"
COMPOSE = ROOT / "docker" / "compose.yaml"
# On SIGTERM: ROSTER_DRAIN_SECONDS (3) of draining, then up to 10 s for requests in flight.
STOP_SECONDS = 3 + 10
REQUIRED = {"ROSTER_SECRET_KEY": "test-secret-key", "POSTGRES_PASSWORD": "test"}


def compose_command() -> list[str] | None:
    """A Compose that can read the file: the `docker compose` plugin, or docker-compose 1.29."""
    docker = shutil.which("docker")
    if docker:
        plugin = subprocess.run([docker, "compose", "version"], capture_output=True)  # noqa: S603
        if plugin.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def load_compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text()))


def stages() -> list[list[str]]:
    """The Dockerfile's stages, each a list of its instructions (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    found: list[list[str]] = []
    for instruction in instructions:
        if instruction.upper().startswith("FROM "):
            found.append([])
        found[-1].append(instruction)
    return found


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return dict(load_compose()["services"])


def environment(service: dict[str, Any]) -> dict[str, str]:
    return dict(service["environment"])


def seconds(duration: str) -> int:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, duration
    return int(match.group(1))


def test_the_image_is_built_in_stages_and_runs_from_a_copied_venv():
    builder, final = stages()[0], stages()[-1]

    assert len(stages()) >= 2
    assert "AS builder" in builder[0]
    assert "COPY --from=builder /app/.venv /app/.venv" in final
    assert not any(i.startswith(("COPY . ", "ADD ")) for i in final), "no source tree"
    assert any(i.startswith("ENV PATH=/app/.venv/bin:") for i in final)


def test_dependencies_are_installed_in_their_own_layer_before_the_source_is_copied():
    builder = stages()[0]
    install_dependencies = next(i for i in builder if "--requirement" in i)
    copy_source = next(i for i in builder if i.startswith("COPY domain"))

    assert builder.index("COPY pyproject.toml ./") < builder.index(install_dependencies)
    assert builder.index(install_dependencies) < builder.index(copy_source)


def test_roster_is_installed_as_a_package_without_dev_tools():
    text = "\n".join(instruction for stage in stages() for instruction in stage)

    assert "pip install --no-deps ." in text
    assert not re.search(r"pip install[^\n]*(\s-e\s|--editable)", text)
    assert "[dev]" not in text
    assert "make install" not in text


def test_the_final_stage_runs_as_a_numeric_non_root_user():
    users = [i.split()[1] for i in stages()[-1] if i.startswith("USER ")]

    assert users
    uid = users[-1].split(":")[0]
    assert uid.isdigit(), "Kubernetes' runAsNonRoot can only check a numeric user"
    assert int(uid) != 0


def test_the_build_context_is_only_what_the_package_is_built_from():
    patterns = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()]
    patterns = [p for p in patterns if not p.startswith("#")]

    assert patterns[0] == "*"
    assert {p for p in patterns if p.startswith("!")} == {
        "!pyproject.toml",
        "!README.md",
        "!domain/",
        "!api/",
        "!scim/",
        "!web/",
    }


def test_roster_starts_only_after_migrate_completed_successfully(services):
    assert services["migrate"]["command"] == ["roster", "migrate"]
    assert services["roster"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    assert services["migrate"]["restart"] == "no"


def test_postgres_15_is_healthy_only_once_it_listens_on_tcp(services):
    postgres = services["postgres"]

    assert postgres["image"] == "postgres:15"
    assert postgres["healthcheck"]["test"] == [
        "CMD",
        "pg_isready",
        "-h",
        "127.0.0.1",
        "-U",
        "postgres",
    ]
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_redis_7_is_health_checked_and_shared_by_roster(services):
    assert services["redis"]["image"] == "redis:7"
    assert "healthcheck" in services["redis"]
    assert environment(services["roster"])["ROSTER_REDIS_URL"] == "redis://redis:6379/0"


def test_roster_restarts_and_is_health_checked_on_readyz_without_curl(services):
    roster = services["roster"]
    check = " ".join(roster["healthcheck"]["test"])

    assert roster["restart"] == "unless-stopped"
    assert "/readyz" in check
    assert "urllib" in check
    assert "curl" not in check


def test_roster_gets_longer_to_stop_than_it_drains_and_finishes_requests(services):
    assert seconds(services["roster"]["stop_grace_period"]) > STOP_SECONDS


def test_roster_and_migrate_share_the_settings_and_the_secret_key_is_required(services):
    roster, migrate = environment(services["roster"]), environment(services["migrate"])

    assert roster == migrate
    assert {
        "ROSTER_DATABASE_URL",
        "ROSTER_SECRET_KEY",
        "ROSTER_PUBLIC_URL",
        "ROSTER_TRUSTED_PROXIES",
        "ROSTER_REDIS_URL",
    } <= set(roster)
    assert re.fullmatch(r"\$\{ROSTER_SECRET_KEY:\?.+\}", roster["ROSTER_SECRET_KEY"])
    assert roster["ROSTER_DATABASE_URL"].startswith("postgres://postgres:")
    assert roster["ROSTER_DATABASE_URL"].endswith("@postgres:5432/roster")


@pytest.mark.skipif(compose_command() is None, reason="no Docker Compose on this machine")
def test_compose_accepts_the_file_and_refuses_to_start_without_a_secret_key():
    command = [*(compose_command() or []), "-f", str(COMPOSE), "config"]
    base = {k: v for k, v in os.environ.items() if k not in REQUIRED}

    accepted = subprocess.run(  # noqa: S603
        command, env={**base, **REQUIRED}, capture_output=True, text=True
    )
    refused = subprocess.run(  # noqa: S603
        command, env={**base, "POSTGRES_PASSWORD": "test"}, capture_output=True, text=True
    )

    assert accepted.returncode == 0, accepted.stderr
    assert refused.returncode != 0
    assert "set ROSTER_SECRET_KEY" in refused.stderr
