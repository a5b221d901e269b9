"""The provisioning request log's cost: the SCIM scenarios against two `roster serve` on one
database, one with the log off (`ROSTER_REQUEST_LOG=off`) and one with it on, measured in turn
in `ROUNDS` interleaved rounds (the order alternating) so that the machine's drift falls on
both alike. Each round names new users to create (a `ScimRequests` of its own) and starts on
users of its own, so that each deactivation finds its user active."""

from __future__ import annotations

from typing import Any

from bench import loadgen
from bench.measure import Load, measure, record
from bench.scim import ScimRequests
from bench.servers import Server, roster_serve, serving

ROUNDS = 4
# Each scenario on each side lasts this long over its rounds: the two throughputs are compared
# within 10%, and 5 s in rounds of 1.25 s let one stall on two cores swing the ratio by more.
REQUEST_LOG_SECONDS = 12.0
SCENARIOS = ("get", "filter", "create", "deactivate")
SIDES = ("off", "on")


def request_log_cost(env: dict[str, str], token: str, ids: list[str], load: Load) -> dict[str, Any]:
    """Each scenario's figures with the log off and on, and on / off throughput."""
    found: dict[str, Any] = {side: {} for side in SIDES}
    off_env, on_env = {**env, "ROSTER_REQUEST_LOG": "off"}, {**env, "ROSTER_REQUEST_LOG": "on"}
    with (
        serving(roster_serve(), off_env, "/readyz") as off,
        serving(roster_serve(), on_env, "/readyz") as on,
    ):
        servers: dict[str, Server] = {"off": off, "on": on}
        slices = ROUNDS * len(SIDES)
        for name in SCENARIOS:
            merged = {side: loadgen.Result() for side in SIDES}
            for turn in range(ROUNDS):
                for side in SIDES if turn % 2 == 0 else tuple(reversed(SIDES)):
                    server = servers[side]
                    # each round on users of its own: a deactivation finds them all active
                    start = (turn * len(SIDES) + SIDES.index(side)) * len(ids) // slices
                    users = ids[start:] + ids[:start]
                    scenario = ScimRequests(server.port, token, users).scenarios()[name]
                    merged[side].merge(measure(server.port, scenario, load.scaled(1 / ROUNDS)))
            for side in SIDES:
                record(f"request log {side} {name}", merged[side], servers[side], found[side], name)
    found["on_vs_off"] = {
        name: round(
            found["on"][name]["requests_per_second"] / found["off"][name]["requests_per_second"], 3
        )
        if found["off"][name]["requests_per_second"]
        else 0.0
        for name in SCENARIOS
    }
    return found
