"""The benchmark suite still works (a few seconds; the real run is `make bench`)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.processes import bench_environment


@pytest.mark.slow
def test_the_benchmark_smoke_run_measures_every_scenario(tmp_path):
    database, env = bench_environment()
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
    report = json.loads(output.read_text())
    assert report["roster"]["okta_mix"]["requests"] > 0
    assert report["graphql"]["users100"]["requests"] > 0
    assert report["graphql"]["set_role"]["requests"] > 0
    assert report["token_check"]["authed"]["requests"] > 0
    assert report["mix_memory"]["samples_mb"]
    for walk in ("orm_by_id", "orm_by_created_at", "startIndex", "cursor"):
        assert report["walk"][walk]["distinct_users"] == report["walk"]["users"]
    assert report["walk"]["server"]["rss_mb"] > 0
    if database == "postgres":
        assert report["workers"]["get"]["requests"] > 0
        assert report["workers"]["filter"]["requests"] > 0
    scale = report["scale"]
    for size in scale["sizes"]:
        for scenario in scale["scenarios"]:
            assert f"scale {size} {scenario}" in result.stdout
            assert scale["by_size"][str(size)][scenario]["requests"] > 0, (size, scenario)
    assert report["okta_import"]["created"] == report["okta_import"]["users"]
    expected_targets = 10 + 1 + 1 + 1 + 5 + (2 if database == "postgres" else 0)
    expected_targets += len(scale["scenarios"]) + 1  # each at the largest size; the import
    assert len(report["targets"]) == expected_targets
    for target in report["targets"].values():
        assert target["verdict"] in ("pass", "FAIL", "n/a")
