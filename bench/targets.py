"""The performance targets, each a figure of one run against a bound, with pass/FAIL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# scenario -> the least Roster / ceiling and Roster / peer throughput ratios
CEILING_TARGETS = {"get": 0.6, "filter": 0.6, "create": 0.5, "deactivate": 0.5, "list100": 0.5}
PEER_TARGETS = {"get": 1.2, "filter": 2.0, "create": 1.0, "deactivate": 1.0, "list100": 5.0}
DJANGO_TARGET = 2.0  # Roster / django-scim2 throughput, on every scenario
GRAPHQL_VS_SCIM_LIST = 0.5  # GraphQL users(first: 100) / SCIM list of 100
TOKEN_CHECK_COST = 0.05  # 1 - authenticated / unauthenticated throughput of the same route
WALK_VS_ORM = 3.0  # an import walk over HTTP / the bare keyset walk through the ORM
LAST_VS_FIRST_PAGE = 1.5
WALK_RSS_MB = 200.0  # per worker, after the walk
MIX_RSS_GROWTH = 0.10  # over the mixed load
SCALE_VS_SMALLEST = 0.8  # each scenario's throughput at the largest size / at the smallest
IMPORT_LAST_VS_FIRST = 1.2  # Okta's import: the last slice's time / the first's
GROUP_BIG_VS_EMPTY = 0.9  # a group of every user / an empty group, read without members
# each SCIM scenario's server CPU time a request without the request log / with it (its
# throughputs, with / without, are reported beside: they compare less well, bench/request_log.py)
REQUEST_LOG_ON_VS_OFF = 0.9


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    value: float
    bound: float
    at_most: bool = False  # the value must stay at or under the bound (else reach it)
    note: str = ""
    known: bool = True  # False: the run could not tell (the value is partial)

    @property
    def verdict(self) -> str:
        if not self.known:
            return "n/a"
        met = self.value <= self.bound if self.at_most else self.value >= self.bound
        return "pass" if met else "FAIL"

    def figures(self) -> dict[str, Any]:
        return {
            "value": round(self.value, 3),
            "target": f"{'<=' if self.at_most else '>='} {self.bound}",
            "verdict": self.verdict,
            **({"note": self.note} if self.note else {}),
        }

    def line(self) -> str:
        sign = "<=" if self.at_most else ">="
        verdict = self.verdict
        note = f"  ({self.note})" if self.note else ""
        return f"{self.name:<44} {self.value:8.3f}  (target {sign} {self.bound:<5}) {verdict}{note}"


def ratio(ours: float, theirs: float) -> float:
    return ours / theirs if theirs else 0.0


def rate(report: dict[str, Any], side: str, scenario: str) -> float:
    return float(report[side][scenario]["requests_per_second"])


def versus_django(report: dict[str, Any], name: str, ours: float) -> Target:
    """Roster against django-scim2 on one scenario: n/a when django-scim2 answered errors, or
    answered no request sent within the measured window (each took longer than the window)."""
    figures = report["django"][name]
    errors = figures["errors"]
    note = f"django-scim2 answered {errors}" if errors else ""
    if not figures["requests"]:
        note = "django-scim2 answered no request within the window"
    versus = ratio(ours, rate(report, "django", name))
    return Target(f"{name} vs django-scim2", versus, DJANGO_TARGET, note=note, known=not note)


def targets(report: dict[str, Any]) -> list[Target]:
    """Every target the run has the figures for."""
    found = []
    for name, bound in CEILING_TARGETS.items():
        ours = rate(report, "roster", name)
        found.append(
            Target(f"{name} vs ceiling", ratio(ours, rate(report, "ceiling", name)), bound)
        )
        peer = ratio(ours, rate(report, "peer", name))
        found.append(Target(f"{name} vs peer", peer, PEER_TARGETS[name]))
        if name in report.get("django", {}):
            found.append(versus_django(report, name, ours))
    graphql = ratio(rate(report, "graphql", "users100"), rate(report, "roster", "list100"))
    found.append(Target("graphql users(first: 100) / scim list100", graphql, GRAPHQL_VS_SCIM_LIST))
    check = report["token_check"]
    low, high = check["cost_quartiles"]
    spread = f"{check['pairs']} pairs, quartiles {low:.3f} to {high:.3f}"
    found.append(
        Target(
            "token check cost (1 - authed/plain get)",
            check["cost"],
            TOKEN_CHECK_COST,
            True,
            spread,
        )
    )
    for name, value in report.get("request_log", {}).get("on_vs_off", {}).items():
        label = f"{name}: CPU a request, log off / on"
        found.append(Target(label, value, REQUEST_LOG_ON_VS_OFF))
    mix = report["mix_memory"]
    growth = mix["growth"]
    found.append(
        Target(f"RSS growth over {mix['seconds']:g} s of the mix", growth, MIX_RSS_GROWTH, True)
    )
    walk = report.get("walk")
    if walk:
        reference = walk["orm_reference"]
        for how in ("startIndex", "cursor"):
            figures = walk[how]
            complete = figures["complete"]
            share = f"{figures['users'] / walk['users']:.0%}"
            found.append(
                Target(
                    f"walk by {how} / bare ORM walk by {reference}",
                    figures["vs_orm"],
                    WALK_VS_ORM,
                    True,
                    "" if complete else f"cut short at {share}: projected, at least",
                )
            )
            found.append(
                Target(
                    f"walk by {how}: last / first page",
                    figures["last_vs_first"],
                    LAST_VS_FIRST_PAGE,
                    True,
                    "" if complete else f"cut short at {share}: raise --walk-seconds",
                    known=complete,
                )
            )
        found.append(
            Target(
                "server RSS after the walk (MB per worker)",
                walk["server"]["worker_rss_mb"],
                WALK_RSS_MB,
                True,
            )
        )
    found.extend(_scale(report.get("scale")))
    imported = report.get("okta_import")
    if imported:
        found.append(
            Target(
                f"okta import: last / first {imported['slice']} users",
                imported["last_vs_first"],
                IMPORT_LAST_VS_FIRST,
                True,
                f"{imported['created']} users in {imported['seconds']:.1f} s",
            )
        )
    found.extend(group_targets(report.get("groups")))
    return found


def _scale(scale: dict[str, Any] | None) -> list[Target]:
    """Each scale scenario's throughput at the largest size against the smallest."""
    if not scale or len(scale["sizes"]) < 2:
        return []
    small, large = (scale["by_size"][str(size)] for size in (scale["sizes"][0], scale["sizes"][-1]))
    sizes = f"{scale['sizes'][-1]} / {scale['sizes'][0]} users"
    return [
        Target(
            f"scale {name}: {sizes}",
            ratio(large[name]["requests_per_second"], small[name]["requests_per_second"]),
            SCALE_VS_SMALLEST,
            note=f"{small[name]['requests_per_second']:.0f} -> "
            f"{large[name]['requests_per_second']:.0f} req/s",
        )
        for name in scale["scenarios"]
    ]


def group_targets(groups: dict[str, Any] | None) -> list[Target]:
    """Each read of the big group (excludedAttributes=members) against the empty group's."""
    if not groups:
        return []
    reads = groups["reads"]
    return [
        Target(
            f"groups {read}: {groups['members']} members / empty",
            value,
            GROUP_BIG_VS_EMPTY,
            note=f"{reads[f'{read}_empty']['requests_per_second']:.0f} -> "
            f"{reads[f'{read}_big']['requests_per_second']:.0f} req/s, excludedAttributes=members",
        )
        for read, value in groups["big_vs_empty"].items()
    ]


def reported(report: dict[str, Any]) -> list[str]:
    """The figures printed beside the targets with no bound of their own."""
    groups = report.get("groups")
    if not groups:
        return []
    fill = groups["fill"]
    name = f"groups: PATCH adding {groups['patch_size']} members, median ms"
    return [f"{name:<44} {fill['median_ms']:8.1f}  (reported, no target; max {fill['max_ms']:.1f})"]
