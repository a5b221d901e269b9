"""The price of the SCIM token check: the ceiling's get by id, bare and behind Roster's real
token check (`domain.authentication.authenticate_scim`), in short rounds taken in pairs, the
order flipping from pair to pair. This machine's throughput drifts by 20% and more from one
second to the next, so each pair gives a ratio of two neighbouring rounds and the cost is read
from the median ratio."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from bench import loadgen
from bench.measure import Load, figures, line, measure
from bench.scim import CeilingRequests
from bench.servers import Server

ROUND_SHARE = 0.2  # of a scenario's time (and warm-up), per round


@dataclass(frozen=True, slots=True)
class TokenCheck:
    plain: list[loadgen.Result]
    authed: list[loadgen.Result]

    @property
    def ratios(self) -> list[float]:
        return [
            authed.rate / plain.rate if plain.rate else 0.0
            for plain, authed in zip(self.plain, self.authed, strict=True)
        ]

    @property
    def cost(self) -> float:
        """1 - the median of the pairs' authenticated / plain throughput."""
        return 1 - statistics.median(self.ratios)

    @property
    def spread(self) -> tuple[float, float]:
        """The cost at the pairs' quartiles: how far one run can be trusted."""
        if len(self.ratios) < 2:
            return self.cost, self.cost
        low, _, high = statistics.quantiles(self.ratios, n=4)
        return 1 - high, 1 - low

    @staticmethod
    def _merged(results: list[loadgen.Result]) -> loadgen.Result:
        merged = loadgen.Result()
        for result in results:
            merged.merge(result)
        return merged

    def report(self, server: Server) -> dict[str, Any]:
        """Print each side over all its rounds; its figures, every pair's ratio and the cost."""
        rss = server.peak_rss_mb()
        found: dict[str, Any] = {"pairs": len(self.plain), "cost": round(self.cost, 4)}
        for side, results in (("plain", self.plain), ("authed", self.authed)):
            merged = self._merged(results)
            print(line(f"ceiling get {side}", merged, rss), flush=True)
            found[side] = figures(merged, rss)
            found[f"{side}_rates"] = [round(result.rate, 1) for result in results]
        found["pair_ratios"] = [round(ratio, 3) for ratio in self.ratios]
        found["cost_quartiles"] = [round(cost, 4) for cost in self.spread]
        return found


def token_check(server: Server, requests: CeilingRequests, load: Load, pairs: int) -> TokenCheck:
    short = load.scaled(ROUND_SHARE)
    plain: list[loadgen.Result] = []
    authed: list[loadgen.Result] = []
    for pair in range(pairs):
        sides = [(requests.get, plain), (requests.authed_get, authed)]
        for make, results in sides if pair % 2 == 0 else reversed(sides):
            results.append(measure(server.port, make, short))
    return TokenCheck(plain, authed)
