"""The benchmark suite still works (a few seconds; the real run is `make bench`)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest

from bench import django_peer, loadgen, targets
from tests.processes import bench_environment


@pytest.mark.slow
@pytest.mark.served
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
    assert "load generator ceiling: " in result.stdout
    for scenario in ("get", "filter", "create", "deactivate", "list100"):
        assert f"scim {scenario}" in result.stdout
        assert f"ceiling {scenario}" in result.stdout
        assert f"peer {scenario}" in result.stdout
    assert "django-scim2 peer skipped" in result.stdout  # PostgreSQL only, and not in smoke
    report = json.loads(output.read_text())
    assert report["load_generator"]["requests_per_second"] > 0
    assert report["load_generator"]["client_cpu_us_per_request"] > 0
    assert report["roster"]["okta_mix"]["requests"] > 0
    assert report["graphql"]["users100"]["requests"] > 0
    assert report["graphql"]["set_role"]["requests"] > 0
    assert report["token_check"]["authed"]["requests"] > 0
    assert report["mix_memory"]["samples_mb"]
    for walk in ("orm_by_id", "orm_by_created_at", "startIndex", "cursor"):
        assert report["walk"][walk]["distinct_users"] == report["walk"]["users"]
    assert report["walk"]["server"]["rss_mb"] > 0
    if database == "postgres":
        for scenario in ("get", "filter"):  # reported beside one worker, with no target
            assert report["workers"][scenario]["requests"] > 0
            assert report["workers"][scenario]["vs_one_worker"] > 0
    scale = report["scale"]
    for size in scale["sizes"]:
        for scenario in scale["scenarios"]:
            assert f"scale {size} {scenario}" in result.stdout
            assert scale["by_size"][str(size)][scenario]["requests"] > 0, (size, scenario)
    assert report["okta_import"]["created"] == report["okta_import"]["users"]
    _assert_group_figures(report["groups"], result.stdout)
    expected_targets = 10 + 1 + 1 + 1 + 5
    expected_targets += len(scale["scenarios"]) + 1  # each at the largest size; the import
    expected_targets += 2  # the big group read by id and by filter, against the empty one
    expected_targets += len(report["request_log"]["on_vs_off"])  # each with the log / without
    assert set(report["request_log"]["on_vs_off"]) == {"get", "filter", "create", "deactivate"}
    assert len(report["targets"]) == expected_targets
    for target in report["targets"].values():
        assert target["verdict"] in ("pass", "FAIL", "n/a")


def _assert_group_figures(groups: dict[str, Any], stdout: str) -> None:
    """The group bench filled its group, patch by patch, read both groups without errors,
    removed and added back members, and found every member at the end."""
    assert groups["error_count"] == 0, groups["errors"]
    assert groups["members_read"] == groups["members"] > 0
    fill = groups["fill"]
    assert fill["patches"] == len(fill["patch_ms"]) == -(-groups["members"] // groups["patch_size"])
    assert 0 < fill["median_ms"] <= fill["max_ms"]
    assert min(fill["first_ms"], fill["last_ms"], groups["remove_ms"], groups["add_back_ms"]) > 0
    for read in ("get", "filter"):
        for size in ("empty", "big"):
            assert f"groups {read} {size}" in stdout
            figures = groups["reads"][f"{read}_{size}"]
            assert figures["requests"] > 0, (read, size)
            assert figures["errors"] == {}, (read, size)
            assert 0 < figures["p50_ms"] <= figures["p95_ms"]
        assert groups["big_vs_empty"][read] > 0
    assert f"groups: PATCH adding {groups['patch_size']} members, median ms" in stdout


@pytest.mark.slow
def test_django_scim2_answers_every_scenario_with_success(monkeypatch):
    """Its ratios mean something only if it does the work: every scenario's request, as the
    bench sends it, gets a 2xx (the deactivate PATCH twice: deactivate, then reactivate)."""
    database, env = bench_environment()
    if database != "postgres":
        pytest.skip("django-scim2 runs on PostgreSQL only")
    if not django_peer.peers_ready():
        pytest.skip("no .venv-peers yet: `make bench` makes it (pip from PyPI)")
    monkeypatch.setenv("ROSTER_BENCH_POSTGRES", env["ROSTER_BENCH_POSTGRES"])

    async def send(port: int, requests: list[bytes]) -> list[tuple[int, bytes]]:
        async with loadgen.Connection("127.0.0.1", port) as connection:
            return [await connection.send(raw) for raw in requests]

    with django_peer.django_scim2(150, analyze=False) as peer:
        scenarios = peer.requests().scenarios()
        sent = [make(n) for make in scenarios.values() for n in (0, 150)]
        answers = asyncio.run(send(peer.server.port, sent))
    named = [f"{name} {n}" for name in scenarios for n in (0, 150)]
    statuses = {label: status for label, (status, _) in zip(named, answers, strict=True)}
    assert statuses == {label: 201 if label.startswith("create") else 200 for label in named}
    bodies = {label: json.loads(body) for label, (_, body) in zip(named, answers, strict=True)}
    assert bodies["deactivate 0"]["active"] is False
    assert bodies["deactivate 150"]["active"] is True
    assert bodies["filter 0"]["totalResults"] == 1
    assert len(bodies["list100 0"]["Resources"]) == 100


def _django_figures(rate: float, requests: int, errors: dict[str, int]) -> dict[str, object]:
    return {"requests_per_second": rate, "requests": requests, "errors": errors}


def test_ratio_against_django_scim2_is_told_only_when_it_answered_every_request():
    report = {
        "django": {
            "get": _django_figures(200.0, 1000, {}),
            "filter": _django_figures(200.0, 1000, {"500": 3}),
            "list100": _django_figures(0.0, 0, {}),
        }
    }
    passed = targets.versus_django(report, "get", 400.0)
    assert (passed.name, passed.value, passed.verdict) == ("get vs django-scim2", 2.0, "pass")
    assert targets.versus_django(report, "get", 399.0).verdict == "FAIL"
    assert targets.versus_django(report, "filter", 1000.0).verdict == "n/a"
    assert targets.versus_django(report, "list100", 40.0).verdict == "n/a"


def test_the_big_group_is_held_to_the_empty_group_s_rate_and_its_patch_time_is_told():
    read = {"requests_per_second": 900.0}
    groups = {
        "members": 50_000,
        "patch_size": 1000,
        "reads": {"get_empty": read, "get_big": read, "filter_empty": read, "filter_big": read},
        "big_vs_empty": {"get": 0.95, "filter": 0.85},
        "fill": {"median_ms": 120.0, "max_ms": 300.0},
    }
    found = {target.name: target.verdict for target in targets.group_targets(groups)}
    assert found == {
        "groups get: 50000 members / empty": "pass",
        "groups filter: 50000 members / empty": "FAIL",
    }
    (line,) = targets.reported({"groups": groups})
    assert "PATCH adding 1000 members, median ms" in line
    assert "120.0  (reported, no target" in line
    assert targets.reported({}) == []
