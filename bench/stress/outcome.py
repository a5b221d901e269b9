"""What a stress scenario found: its figures, and whether Roster held."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outcome:
    """One scenario's result. `passed` is the scenario's verdict; the counts are what it saw:
    requests sent, responses by status, writes acknowledged but missing afterwards, and 5xx
    answers (which no scenario expects but the database-down one, where 503 is the contract)."""

    name: str
    passed: bool
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    lost_writes: int = 0
    detail: str = ""  # the scenario's own figures or, when it failed, why

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def line(self) -> str:
        verdict = "pass" if self.passed else "FAIL"
        statuses = " ".join(f"{status}x{n}" for status, n in sorted(self.statuses.items()))
        return (
            f"{verdict:<4} {self.name:<40} requests {self.requests:>6}  "
            f"statuses [{statuses or '-'}]  5xx {self.server_errors}  "
            f"lost writes {self.lost_writes}  {self.detail}"
        ).rstrip()

    def figures(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "requests": self.requests,
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "server_errors": self.server_errors,
            "lost_writes": self.lost_writes,
            "detail": self.detail,
        }
