"""The stress suite's quick version (`python -m bench.stress --quick`) on this suite's database:
every scenario (concurrency, faults, fuzz, limits) against real `roster serve` processes,
with `0 failed`."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.processes import bench_environment


@pytest.mark.slow
def test_the_quick_stress_suite_passes_every_scenario(tmp_path):
    database, env = bench_environment()
    output = tmp_path / "stress.json"
    command = [sys.executable, "-m", "bench.stress", "--database", database, "--quick"]
    result = subprocess.run(  # noqa: S603
        [*command, "--json", str(output)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    print(result.stdout)  # the figures, in the test log
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout.splitlines()[-1]
    for module in ("concurrency", "faults", "fuzz", "limits"):
        assert module in result.stdout.splitlines()[0]
