"""The benchmark suite still works (a few seconds; the real run is `make bench`)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_the_benchmark_smoke_run_measures_every_scenario(tmp_path):
    database = "postgres" if os.environ.get("ROSTER_TEST_DATABASE_URL") else "sqlite"
    env = dict(os.environ)
    if database == "postgres":
        env["ROSTER_BENCH_POSTGRES"] = os.environ["ROSTER_TEST_DATABASE_URL"].rstrip("/")
    output = tmp_path / "bench.json"
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "bench.run",
            "--database",
            database,
            "--smoke",
            "--json",
            str(output),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for scenario in ("get", "filter", "create", "deactivate", "list100"):
        assert f"scim {scenario}" in result.stdout
        assert f"ceiling {scenario}" in result.stdout
        assert f"peer {scenario}" in result.stdout
    assert output.exists()
