"""`make bench`: the load generator's own ceiling against a trivial server first; then Roster on
a fresh database against the ceiling (bare Starlette + Tortoise doing the same database work)
and the peers (scim2-server in memory; on PostgreSQL, django-scim2 from its own venv), at
concurrency 32, each scenario on each side in turn; GraphQL, /healthz and the Okta-like mix;
then Okta's import walk on a database of its own; the scale bench (the same requests at 1,000,
10,000 and 100,000 users, on databases never analyzed); Okta's initial import of 10,000 users
into a new organization; the provisioning request log's cost (the SCIM scenarios with it off
and on); and the group bench (a group of 50,000 members filled by PATCHes of
1,000, read beside an empty group). Prints one line per scenario and every performance target
with pass/FAIL, and writes the figures to a JSON file. Exits 1 when requests failed (a missed
target is a finding, not a failure of the run), and when django-scim2 answered an error (its
ratios would mean nothing).

    python -m bench.run --database sqlite|postgres [--seconds 5] [--mix-seconds 60]
                        [--walk-users 100000] [--scale-sizes 1000,10000,100000]
                        [--import-users 10000] [--group-members 50000] [--group-patch 1000]
                        [--group-read-seconds 15] [--request-log-seconds 12]
                        [--smoke] [--[no-]django-peer] [--json FILE]

Everything listens on 127.0.0.1; every load is bounded in time and in requests."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import groups, loadgen, scale, seeding, targets
from bench.baseline import comparison
from bench.django_peer import LABEL, DjangoPeer, django_scim2
from bench.graphql import GraphQLRequests
from bench.measure import Load, generator_ceiling, measure, record, run_scenarios
from bench.mix import WEIGHTS, mix_with_memory
from bench.okta_import import okta_import
from bench.request_log import REQUEST_LOG_SECONDS, request_log_cost
from bench.scim import CeilingRequests, ScimRequests, seed_peer
from bench.seeding import Credentials
from bench.servers import (
    HOST,
    database_url,
    drop_database,
    roster_env,
    roster_serve,
    serving,
    uvicorn,
)
from bench.tokencheck import token_check
from bench.walk import import_walk

SIDES = ("roster", "graphql", "ceiling", "peer", "django", "workers")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=5.0, help="per scenario")
    parser.add_argument("--warmup", type=float, default=1.0, help="before each scenario")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-requests", type=int, default=200_000, help="per scenario")
    parser.add_argument("--users", type=int, default=1000, help="seeded for the scenarios")
    parser.add_argument("--mix-seconds", type=float, default=60.0, help="the mix, memory sampled")
    parser.add_argument("--token-pairs", type=int, default=16, help="rounds of the token check")
    parser.add_argument("--walk-users", type=int, default=100_000, help="0: no import walk")
    parser.add_argument("--walk-batch", type=int, default=2000, help="users per seed insert")
    parser.add_argument("--walk-seconds", type=float, default=90.0, help="bound of each walk")
    parser.add_argument(
        "--scale-sizes",
        type=_sizes,
        default=scale.SIZES,
        help="users of each organization of the scale bench, comma-separated; empty: none",
    )
    parser.add_argument("--import-users", type=int, default=10_000, help="0: no Okta import")
    parser.add_argument("--import-slice", type=int, default=1000, help="users per timed slice")
    parser.add_argument(
        "--group-members", type=int, default=groups.MEMBERS, help="0: no group bench"
    )
    parser.add_argument(
        "--group-patch", type=int, default=groups.PATCH, help="members added by one PATCH"
    )
    parser.add_argument(
        "--group-read-seconds",
        type=float,
        default=groups.READ_SECONDS,
        help="each group read on each group, over all its rounds",
    )
    parser.add_argument(
        "--request-log-seconds",
        type=float,
        default=REQUEST_LOG_SECONDS,
        help="each SCIM scenario with the request log off and on, over all their rounds",
    )
    parser.add_argument("--smoke", action="store_true", help="a few seconds: check the suite works")
    parser.add_argument(
        "--django-peer",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="django-scim2 on PostgreSQL (default: on, but not with --smoke)",
    )
    parser.add_argument("--json", default=None, help="where to write the figures")
    parser.add_argument(
        "--baseline", default=None, help="an earlier run's --json file: print before and after"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.seconds, args.warmup, args.users, args.concurrency = 0.3, 0.1, 150, 4
        args.mix_seconds, args.walk_users, args.token_pairs = 0.5, 200, 2
        args.scale_sizes, args.import_users, args.import_slice = scale.SMOKE_SIZES, 200, 50
        args.group_members, args.group_patch = groups.SMOKE_MEMBERS, groups.SMOKE_PATCH
        args.group_read_seconds = 0.5
        args.request_log_seconds = 0.5
    if args.group_patch < 1:
        parser.error("--group-patch must be at least 1")
    return args


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(size) for size in text.split(",") if size.strip())


def run_load(args: argparse.Namespace) -> Load:
    return Load(args.concurrency, args.seconds, args.warmup, args.max_requests)


@dataclass
class Run:
    """One benchmark run on one database: the environment `roster serve` runs in, the seeded
    users and their credentials, the load, and the report being filled."""

    args: argparse.Namespace
    env: dict[str, str]
    credentials: Credentials
    ids: list[str]
    report: dict[str, Any]

    @property
    def load(self) -> Load:
        return run_load(self.args)

    def scim(self) -> None:
        """The SCIM scenarios on Roster, the ceiling and the peers, all serving at once and
        measured one scenario at a time on each in turn: this shared machine's speed drifts
        over minutes, and each ratio's two sides are then measured moments apart."""
        load, report = self.load, self.report
        with contextlib.ExitStack() as stack:
            roster = stack.enter_context(serving(roster_serve(), self.env, "/readyz"))
            scim = ScimRequests(roster.port, self.credentials.scim_token, self.ids)
            sides = [("scim", roster, scim.scenarios(), report["roster"])]
            env = {**self.env, "BENCH_ORG": seeding.ORG}
            ceiling = stack.enter_context(serving(uvicorn("bench.ceiling:app"), env, "/ok"))
            bare = CeilingRequests(ceiling.port, self.ids, self.credentials.scim_token)
            sides.append(("ceiling", ceiling, bare.scenarios(), report["ceiling"]))
            peer = stack.enter_context(
                serving(uvicorn("bench.peer:app"), self.env, "/v2/ServiceProviderConfig")
            )
            ids = seed_peer(peer.port, len(self.ids))
            reference = ScimRequests(peer.port, None, ids, prefix="/v2", role=False)
            sides.append(("peer", peer, reference.scenarios(), report["peer"]))
            django = self.django_peer(stack)
            if django is not None:
                django_scenarios = django.requests().scenarios()
                sides.append((LABEL, django.server, django_scenarios, report["django"]))
            for name in scim.scenarios():
                for label, server, scenarios, into in sides:
                    result = measure(server.port, scenarios[name], load)
                    record(f"{label} {name}", result, server, into, name)
            assert self.credentials.api_token is not None
            graphql = GraphQLRequests(roster.port, self.credentials.api_token, self.ids)
            asyncio.run(graphql.check())  # next to SCIM's list100, which it is compared with
            run_scenarios("graphql", roster, graphql.scenarios(), report["graphql"], load)
            check = token_check(ceiling, bare, load, self.args.token_pairs)
            report["token_check"] = check.report(ceiling)

    def roster(self) -> None:
        """/healthz against `roster serve`, then the Okta-like mix with memory samples."""
        load, report = self.load, self.report
        with serving(roster_serve(), self.env, "/readyz") as server:
            host = f"{HOST}:{server.port}"
            healthz = measure(
                server.port, lambda n: loadgen.request("GET", "/healthz", host=host), load
            )
            record("roster /healthz", healthz, server, report["roster"], "healthz")
            mix_load = load.lasting(self.args.mix_seconds)
            mix = ScimRequests(server.port, self.credentials.scim_token, self.ids)
            growth = mix_with_memory(server, mix, mix_load)  # its own new userNames
            record("scim okta mix", growth.result, server, report["roster"], "okta_mix")
            report["mix_memory"] = {"weights_percent": WEIGHTS, **growth.figures(mix_load.seconds)}
            print(
                f"{'memory under the mix':<28} RSS {growth.start_mb:.0f} MB after warm-up -> "
                f"{growth.end_mb:.0f} MB after {mix_load.seconds:g} s ({growth.growth:+.1%})",
                flush=True,
            )

    def django_peer(self, stack: contextlib.ExitStack) -> DjangoPeer | None:
        """django-scim2 serving as many users, analyzed as Roster's database is
        (bench/django_peer.py says what differs in the requests); None when not run."""
        args = self.args
        wanted = not args.smoke if args.django_peer is None else args.django_peer
        if args.database != "postgres" or not wanted:
            why = "it runs on PostgreSQL only" if wanted else "not asked for (--smoke)"
            print(f"{LABEL} peer skipped: {why}", flush=True)
            return None
        return stack.enter_context(django_scim2(len(self.ids), analyze=True))

    def workers(self) -> None:
        """GET and filter on `roster serve --workers 2` (PostgreSQL)."""
        with serving(roster_serve(), self.env, "/readyz", workers=2) as server:
            scim = ScimRequests(server.port, self.credentials.scim_token, self.ids)
            scenarios: dict[str, loadgen.RequestFactory] = {"get": scim.get, "filter": scim.filter}
            run_scenarios("scim --workers 2", server, scenarios, self.report["workers"], self.load)
        for name in scenarios:  # the load generator shares the 2 cores: a figure, not a target
            speedup = targets.ratio(
                targets.rate(self.report, "workers", name),
                targets.rate(self.report, "roster", name),
            )
            self.report["workers"][name]["vs_one_worker"] = round(speedup, 3)
            print(f"{name} with --workers 2 / one worker: {speedup:.2f} (reported, no target)")


def _errors(report: dict[str, Any]) -> dict[str, Any]:
    """Every failed request or broken walk of the run (scim2-server's are its own business;
    django-scim2's count, since its ratios rest on them)."""
    errors: dict[str, Any] = {}
    if report["load_generator"]["errors"]:
        errors["load generator ceiling"] = report["load_generator"]["errors"]
    for side in SIDES:
        if side == "peer":
            continue
        for name, found in report[side].items():
            if found["errors"]:
                errors[f"{side} {name}"] = found["errors"]
    for side in ("plain", "authed"):
        if report["token_check"][side]["errors"]:
            errors[f"token check {side}"] = report["token_check"][side]["errors"]
    for how in ("orm_by_id", "orm_by_created_at", "startIndex", "cursor"):
        if report.get("walk", {}).get(how, {}).get("errors"):
            errors[f"walk {how}"] = report["walk"][how]["errors"]
    for size, found in report.get("scale", {}).get("by_size", {}).items():
        for name, figures in found.items():
            if figures["errors"]:
                errors[f"scale {size} {name}"] = figures["errors"]
    if report.get("okta_import", {}).get("errors"):
        errors["okta import"] = report["okta_import"]["errors"]
    for name, figures in report.get("groups", {}).get("reads", {}).items():
        if figures["errors"]:
            errors[f"groups {name}"] = figures["errors"]
    if report.get("groups", {}).get("errors"):
        errors["groups"] = report["groups"]["errors"]
    return errors


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    folder = Path(tempfile.mkdtemp(prefix="roster-bench-"))
    url = database_url(args.database, folder, "bench")
    print(
        f"# Roster benchmark on {args.database}: {args.users} users, concurrency "
        f"{args.concurrency}, {args.seconds} s per scenario after {args.warmup} s warm-up; "
        f"mix {args.mix_seconds:g} s; walk of {args.walk_users} users; a group of "
        f"{args.group_members} members, {args.group_patch} a PATCH",
        flush=True,
    )
    report: dict[str, Any] = {
        "database": args.database,
        "users": args.users,
        "load": {"concurrency": args.concurrency, "seconds": args.seconds, "warmup": args.warmup},
        **{side: {} for side in SIDES},
    }
    report["load_generator"] = generator_ceiling(run_load(args), dict(os.environ))
    try:
        try:
            credentials = asyncio.run(seeding.prepare(url, admin=True))
            ids = asyncio.run(seeding.seed(url, credentials, args.users))
            run = Run(args, roster_env(url, folder / "data"), credentials, ids, report)
            run.scim()
            token = credentials.scim_token
            log_load = run.load.lasting(args.request_log_seconds)
            report["request_log"] = request_log_cost(run.env, token, ids, log_load)
            run.roster()
            if args.database == "postgres":
                run.workers()
        finally:
            asyncio.run(drop_database(url))
        if args.walk_users:
            walk_url = database_url(args.database, folder, "walk")
            bounds = (args.walk_users, args.walk_batch, args.walk_seconds)
            report["walk"] = import_walk(walk_url, folder / "walk-data", *bounds)
        if args.scale_sizes:
            report["scale"] = scale.scale(
                args.database, folder, args.scale_sizes, args.walk_batch, run_load(args)
            )
        if args.import_users:
            report["okta_import"] = okta_import(
                args.database, folder, args.import_users, args.import_slice
            )
        if args.group_members:
            report["groups"] = groups.group_membership(
                args.database,
                folder,
                args.group_members,
                args.group_patch,
                args.walk_batch,
                run_load(args).lasting(args.group_read_seconds),
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("\n# Targets: ratios of one run; GraphQL's query count is fixed by tests/api")
    found = targets.targets(report)
    for target in found:
        print(target.line())
    for line in targets.reported(report):
        print(line)
    report["targets"] = {target.name: target.figures() for target in found}
    if args.baseline:
        print(f"\n# Before ({args.baseline}) and after (this run)")
        for line in comparison(report, Path(args.baseline)):
            print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")
    errors = _errors(report)
    if errors:
        print(f"errors: {errors}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
