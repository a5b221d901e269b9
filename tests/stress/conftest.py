"""The stress suite's run: one `Stress` for the session (the suite's database, quick unless
`--stress-full`), and the figures each test records, printed at the end of the run and
written to `--stress-json FILE`."""

from __future__ import annotations

import json
import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from tests.stress.figures import RECORDED, Figures, Recorder, Run
from tests.stress.harness import Stress

RUN = pytest.StashKey[Run]()


@pytest.fixture(scope="session")
def stress(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stress]:
    postgres = os.environ.get("ROSTER_TEST_DATABASE_URL", "").rstrip("/") or None
    quick = not request.config.getoption("stress_full")
    run = Stress(postgres, quick, tmp_path_factory.mktemp("stress"))
    request.config.stash[RUN] = Run(run)
    try:
        yield run
    finally:
        run.drop_databases()


@pytest.fixture
def figures(request: pytest.FixtureRequest, stress: Stress) -> Recorder:
    return Recorder(request.config.stash[RUN], request.node)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    run = item.config.stash.get(RUN, None)
    if run is not None:
        run.seconds += report.duration  # setup, call and teardown of the suite's tests
    if report.when == "call":
        for figures in item.stash.get(RECORDED, []):
            figures.passed = report.passed
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    run = terminalreporter.config.stash.get(RUN, None)
    if run is None:
        return
    stress, sweep = run.stress, run.stress.sweep
    leaks = f"; found {sweep.leaks}" if sweep.leaks else ""
    searched = Figures(
        "secrets: none in the server logs",
        passed=not sweep.leaks and sweep.lines > 0,
        detail=f"{sweep.lines} log lines of {sweep.servers} servers searched for "
        f"{sweep.tokens} tokens{leaks}",
    )
    everything = [*run.figures, searched]
    failed = sum(figures.passed is False for figures in everything)
    mode = "quick" if stress.quick else "full"
    terminalreporter.section(f"Roster stress figures on {stress.database} ({mode})")
    for figures in everything:
        terminalreporter.write_line(figures.line())
    terminalreporter.write_line(
        f"{len(everything) - failed} passed, {failed} failed in {run.seconds:.0f} s"
    )
    path = terminalreporter.config.getoption("stress_json")
    if path:
        report = {figures.name: figures.json() for figures in everything}
        Path(path).write_text(json.dumps(report, indent=2) + "\n")
