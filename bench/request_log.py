"""The provisioning request log's cost: the SCIM scenarios against two `roster serve` on one
database, one with the log off (`ROSTER_REQUEST_LOG=off`) and one with it on, measured in turn
in `ROUNDS` interleaved rounds (the order alternating: off on, on off, ...) so that the
machine's drift falls on both alike. Each round names new users to create (a `ScimRequests` of
its own) and starts on users of its own, so that each deactivation finds its user active.

The log is written in batches, a batch `GATHER_SECONDS` after its first request: a slice's last
batch is written after the slice, whichever server the next one measures. So after each slice
the servers are left idle until it is written, and each side is charged the CPU time its server
took over the slice and that wait: the target is the server's CPU time a request without the
log / with it (1.0: the log costs nothing; 0.9: a request costs 11% more, and a server busy on
its core answers 10% fewer). The throughputs over the slices are reported beside it, but
compare less well: two servers alike, both with the log off, measured so here differ by up
to 5% over 24 s, and by 10% in a round."""

from __future__ import annotations

import dataclasses
import statistics
import time
from typing import Any

from bench import loadgen
from bench.measure import Load, measure, record
from bench.scim import ScimRequests
from bench.servers import Server, roster_serve, serving
from scim.request_log import GATHER_SECONDS

ROUNDS = 8
REQUEST_LOG_SECONDS = 24.0  # each scenario on each side, over its rounds
SETTLE_SECONDS = GATHER_SECONDS + 0.5  # after a slice: its last batch written
SCENARIOS = ("get", "filter", "create", "deactivate")
SIDES = ("off", "on")


@dataclasses.dataclass
class _Side:
    """One side's measure of one scenario: the requests over every round and the CPU time
    its server took for them."""

    result: loadgen.Result = dataclasses.field(default_factory=loadgen.Result)
    cpu_seconds: float = 0.0

    @property
    def cpu_per_request(self) -> float:
        return self.cpu_seconds / self.result.count if self.result.count else 0.0


def request_log_cost(env: dict[str, str], token: str, ids: list[str], load: Load) -> dict[str, Any]:
    """Each scenario's figures with the log off and on; the server's CPU time a request off /
    on (`on_vs_off`, the target) and the throughput on / off, over all the rounds and round by
    round (its median and quartiles: the spread)."""
    found: dict[str, Any] = {side: {} for side in SIDES}
    found["on_vs_off"], found["throughput_on_vs_off"], found["rounds"] = {}, {}, {}
    off_env, on_env = {**env, "ROSTER_REQUEST_LOG": "off"}, {**env, "ROSTER_REQUEST_LOG": "on"}
    # a run too short for rounds of a second (a smoke run) measures once, without waiting
    full = load.seconds >= ROUNDS
    turns, settle = (ROUNDS, SETTLE_SECONDS) if full else (1, 0.0)
    # no warm-up within a slice: every request it answers is counted against its CPU time
    slice_load = dataclasses.replace(load.scaled(1 / turns), warmup=0.0)
    with (
        serving(roster_serve(), off_env, "/readyz") as off,
        serving(roster_serve(), on_env, "/readyz") as on,
    ):
        servers: dict[str, Server] = {"off": off, "on": on}
        for server in servers.values():  # each server's connections and caches warmed
            scenario = ScimRequests(server.port, token, ids).scenarios()["get"]
            measure(server.port, scenario, dataclasses.replace(load, seconds=load.warmup))
        slices = turns * len(SIDES)
        for name in SCENARIOS:
            measured = {side: _Side() for side in SIDES}
            rounds: list[float] = []
            for turn in range(turns):
                rates: dict[str, float] = {}
                for side in SIDES if turn % 2 == 0 else tuple(reversed(SIDES)):
                    server = servers[side]
                    # each round on users of its own: a deactivation finds them all active
                    start = (turn * len(SIDES) + SIDES.index(side)) * len(ids) // slices
                    users = ids[start:] + ids[:start]
                    scenario = ScimRequests(server.port, token, users).scenarios()[name]
                    cpu_from = server.cpu_seconds()
                    result = measure(server.port, scenario, slice_load)
                    time.sleep(settle)
                    measured[side].cpu_seconds += server.cpu_seconds() - cpu_from
                    measured[side].result.merge(result)
                    rates[side] = result.rate
                if rates["off"]:
                    rounds.append(rates["on"] / rates["off"])
            for side in SIDES:
                record(
                    f"request log {side} {name}",
                    measured[side].result,
                    servers[side],
                    found[side],
                    name,
                )
                cpu = measured[side].cpu_per_request * 1e6
                found[side][name]["server_cpu_us_per_request"] = round(cpu, 1)
            off_cpu, on_cpu = measured["off"].cpu_per_request, measured["on"].cpu_per_request
            found["on_vs_off"][name] = round(off_cpu / on_cpu, 3) if on_cpu else 0.0
            off_rate = found["off"][name]["requests_per_second"]
            throughput = found["on"][name]["requests_per_second"] / off_rate if off_rate else 0.0
            found["throughput_on_vs_off"][name] = round(throughput, 3)
            found["rounds"][name] = _spread(rounds)
            print(_summary(name, found), flush=True)
    return found


def _spread(ratios: list[float]) -> dict[str, Any]:
    """The rounds' throughput on / off: each, their median and quartiles."""
    if len(ratios) < 2:
        middle = ratios[0] if ratios else 0.0
        quartiles = [middle, middle, middle]
    else:
        quartiles = statistics.quantiles(ratios, n=4)
    return {
        "each": [round(ratio, 3) for ratio in ratios],
        "median": round(quartiles[1], 3),
        "quartiles": [round(quartiles[0], 3), round(quartiles[2], 3)],
    }


def _summary(name: str, found: dict[str, Any]) -> str:
    spread = found["rounds"][name]
    low, high = spread["quartiles"]
    return (
        f"request log {name}: server CPU a request off / on {found['on_vs_off'][name]:.3f} "
        f"({found['off'][name]['server_cpu_us_per_request']:.0f} / "
        f"{found['on'][name]['server_cpu_us_per_request']:.0f} µs); throughput on / off "
        f"{found['throughput_on_vs_off'][name]:.3f}, by round: median {spread['median']:.3f}, "
        f"quartiles {low:.3f} to {high:.3f} ({len(spread['each'])} rounds)"
    )
