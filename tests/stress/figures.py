"""What a stress scenario saw, reported beside the verdict: requests sent, responses by status,
writes acknowledged but missing afterwards, and the scenario's own figures. One line each at
the end of the run (and in `--stress-json FILE`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest

from tests.stress.harness import Stress

Json = dict[str, "bool | int | str | dict[str, int] | None"]


@dataclass
class Figures:
    name: str
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)  # 0: no answer at all
    lost_writes: int = 0
    detail: str = ""
    passed: bool | None = None  # the test's verdict, once it has run

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def line(self) -> str:
        verdict = {True: "pass", False: "FAIL", None: "-"}[self.passed]
        statuses = " ".join(f"{status}x{n}" for status, n in sorted(self.statuses.items()))
        return (
            f"{verdict:<4} {self.name:<40} requests {self.requests:>6}  "
            f"statuses [{statuses or '-'}]  5xx {self.server_errors}  "
            f"lost writes {self.lost_writes}  {self.detail}"
        ).rstrip()

    def json(self) -> Json:
        return {
            "passed": self.passed,
            "requests": self.requests,
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "server_errors": self.server_errors,
            "lost_writes": self.lost_writes,
            "detail": self.detail,
        }


RECORDED = pytest.StashKey[list[Figures]]()  # on a test item: the figures its test recorded


class Run:
    """The stress suite's run: the figures of every scenario that ran, in order, and the
    seconds its tests took."""

    def __init__(self, stress: Stress) -> None:
        self.stress = stress
        self.figures: list[Figures] = []
        self.seconds = 0.0


class Recorder:
    """Records what a test's scenario saw (its verdict is the test's)."""

    def __init__(self, run: Run, item: pytest.Item) -> None:
        self.run, self.item = run, item

    def __call__(
        self,
        name: str,
        *,
        requests: int = 0,
        statuses: Counter[int] | None = None,
        lost_writes: int = 0,
        detail: str = "",
    ) -> Figures:
        figures = Figures(name, requests, statuses or Counter(), lost_writes, detail)
        self.run.figures.append(figures)
        self.item.stash.setdefault(RECORDED, []).append(figures)
        return figures
