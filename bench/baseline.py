"""Before and after: this run's SCIM figures beside those of an earlier run's JSON (`--baseline
FILE`, written by `--json` with the code before a change), so that a change to the hot path is
judged on the same machine. Figures here move ±20% between runs: compare several pairs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCENARIOS = ("get", "filter", "create", "deactivate", "list100")


def comparison(report: dict[str, Any], baseline_path: Path) -> list[str]:
    """One line per SCIM scenario both runs measured: requests/s and p99 before and after."""
    baseline: dict[str, Any] = json.loads(baseline_path.read_text())
    before, after = baseline.get("roster", {}), report.get("roster", {})
    lines = []
    for name in SCENARIOS:
        if name not in before or name not in after:
            continue
        old, new = before[name], after[name]
        change = new["requests_per_second"] / old["requests_per_second"] - 1
        lines.append(
            f"scim {name:<11} before {old['requests_per_second']:7.0f} req/s "
            f"p99 {old['p99_ms']:6.1f} ms   after {new['requests_per_second']:7.0f} req/s "
            f"p99 {new['p99_ms']:6.1f} ms   {change:+.0%}"
        )
    return lines
