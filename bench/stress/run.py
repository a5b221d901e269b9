"""`python -m bench.stress --database sqlite|postgres [--quick] [--only NAME] [--json FILE]`

Runs every scenario module in turn against real `roster serve` processes on 127.0.0.1, prints
one line per scenario and a final `N passed, M failed`, and exits 1 when any failed. `--quick`
is the CI version (tests/test_stress.py); the full run is `make stress`."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.stress import concurrency, faults, fuzz, limits
from bench.stress.harness import Stress
from bench.stress.outcome import Outcome

Scenario = Callable[[Stress], list[Outcome]]


def _scenarios() -> dict[str, Scenario]:
    """The scenario modules, in the order they run (each a `run(stress)` function)."""
    modules: dict[str, Scenario] = {}
    modules["concurrency"] = concurrency.run
    modules["faults"] = faults.run
    modules["fuzz"] = fuzz.run
    modules["limits"] = limits.run
    return modules


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.stress")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--quick", action="store_true", help="the small CI version")
    parser.add_argument("--only", action="append", default=[], help="run these modules only")
    parser.add_argument("--json", default=None, help="where to write the figures")
    args = parser.parse_args(argv)
    scenarios = _scenarios()
    chosen = args.only or list(scenarios)
    unknown = sorted(set(chosen) - set(scenarios))
    if unknown:
        parser.error(f"unknown scenario modules: {unknown}; known: {sorted(scenarios)}")
    mode = "quick" if args.quick else "full"
    print(f"# Roster stress suite on {args.database} ({mode}): {', '.join(chosen)}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="roster-stress-"))
    stress = Stress(args.database, args.quick, folder)
    outcomes: list[Outcome] = []
    started = time.monotonic()
    try:
        for name in chosen:
            try:
                found = scenarios[name](stress)
            except Exception as error:  # a scenario that breaks is a failed scenario
                found = [Outcome(f"{name} (crashed)", False, detail=repr(error)[:300])]
            for outcome in found:
                print(outcome.line(), flush=True)
            outcomes.extend(found)
        sweep = stress.secrets_sweep()
        print(sweep.line(), flush=True)
        outcomes.append(sweep)
    finally:
        stress.drop_databases()
        shutil.rmtree(folder, ignore_errors=True)
    failed = sum(not outcome.passed for outcome in outcomes)
    seconds = time.monotonic() - started
    print(f"{len(outcomes) - failed} passed, {failed} failed in {seconds:.0f} s", flush=True)
    if args.json:
        figures = {outcome.name: outcome.figures() for outcome in outcomes}
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 1 if failed else 0
