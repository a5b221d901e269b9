"""`/metrics` in Prometheus' text format (prometheus-client); the edge (`web.edge`) fills it.

    roster_http_requests_total{method, route, status}        every request (route: the template)
    roster_http_request_duration_seconds{method, route}      latency histogram
    roster_scim_operations_total{operation, outcome}         create/get/list/search/replace/patch/
                                                             delete by outcome (success, conflict,
                                                             rate_limited, unavailable, held:
                                                             the circuit breaker held it, paused:
                                                             provisioning is paused, ...)
    roster_database_errors_total{error}                      the database failing a request
    roster_active_tokens{kind}                               SCIM and API tokens not revoked
    roster_shared_state_errors_total{store}                  operations on Redis that fell back
                                                             to this process alone (rate_limits,
                                                             walks): Redis down, slow, failing

Off unless ROSTER_METRICS_TOKEN is set; then a scrape must send `Authorization: Bearer <it>`.
With `roster serve --workers N` the workers write their figures to files in a shared folder
(prometheus-client's multiprocess mode, `PROMETHEUS_MULTIPROC_DIR`, which `roster serve` sets
up), so whichever worker answers a scrape reports the sum over all of them."""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from domain import queries

_SCIM_USERS = "/scim/v2/Users"
SCIM_OPERATIONS = {
    ("POST", _SCIM_USERS): "create",
    ("GET", _SCIM_USERS): "list",
    ("POST", f"{_SCIM_USERS}/.search"): "search",
    ("GET", f"{_SCIM_USERS}/{{user_id}}"): "get",
    ("PUT", f"{_SCIM_USERS}/{{user_id}}"): "replace",
    ("PATCH", f"{_SCIM_USERS}/{{user_id}}"): "patch",
    ("DELETE", f"{_SCIM_USERS}/{{user_id}}"): "delete",
}
OUTCOMES = {
    304: "success",
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    429: "rate_limited",
    503: "unavailable",
}


# where a door names an outcome its status alone does not tell (a 503 that is the circuit
# breaker holding a deactivation, not the database away): the request's state
OUTCOME_KEY = "outcome"


def outcome_of(status: int) -> str:
    if 200 <= status < 300:
        return "success"
    return OUTCOMES.get(status, "server_error" if status >= 500 else "client_error")


def route_of(scope: Scope) -> str:
    """The template of the route that served the request (`/scim/v2/Users/{user_id}`), never
    the path itself (ids would make a series per user); `other` for static files and 404s."""
    route = scope.get("route")
    if isinstance(route, Route):
        return f"{scope.get('root_path', '')}{route.path}"
    return "other"


class Metrics:
    """The process's metrics, on a registry of their own (one per application)."""

    def __init__(self, token: str | None, shared_dir: str | None = None) -> None:
        """`shared_dir`: the multiprocess folder the workers share (None: one process)."""
        self.token = token
        self.shared_dir = shared_dir
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "roster_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "roster_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.scim_operations = Counter(
            "roster_scim_operations",
            "SCIM operations on /Users by operation and outcome.",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.database_errors = Counter(
            "roster_database_errors",
            "Requests the database failed, by error.",
            ["error"],
            registry=self.registry,
        )
        self.shared_state_errors = Counter(
            "roster_shared_state_errors",
            "Operations on the shared state (Redis) that fell back to this process alone, "
            "by store (rate_limits, walks): Redis down, slower than its timeout, or failing.",
            ["store"],
            registry=self.registry,
        )
        self.request_log_dropped = Counter(
            "roster_request_log_dropped",
            "SCIM requests served but left out of the provisioning log: its queue was full, or "
            "the database refused the write.",
            registry=self.registry,
        )
        self.active_tokens = Gauge(
            "roster_active_tokens",
            "SCIM and personal API tokens that are not revoked, over every organization.",
            ["kind"],
            registry=self.registry,
            multiprocess_mode="mostrecent",  # every worker reads the same database
        )

    def observe(
        self, scope: Scope, status: int, seconds: float, database_error: str | None = None
    ) -> None:
        """One answered request; `database_error`: the name of the error the database failed
        it with, if it did."""
        method, route = str(scope.get("method")), route_of(scope)
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        operation = SCIM_OPERATIONS.get((method, route))
        if operation is not None:
            named = scope.get("state", {}).get(OUTCOME_KEY)  # the door's name for it, if any
            self.scim_operations.labels(operation, named or outcome_of(status)).inc()
        if database_error is not None:
            self.database_errors.labels(database_error).inc()

    async def endpoint(self, request: Request) -> Response:
        if self.token is None:
            return JSONResponse({"detail": "metrics are off (set ROSTER_METRICS_TOKEN)"}, 404)
        sent = request.headers.get("authorization", "")
        expected = f"Bearer {self.token}"
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            return JSONResponse(
                {"detail": "send Authorization: Bearer <ROSTER_METRICS_TOKEN>"},
                401,
                headers={"WWW-Authenticate": 'Bearer realm="roster-metrics"'},
            )
        for kind, count in (await queries.active_token_counts()).items():
            self.active_tokens.labels(kind).set(count)
        return Response(generate_latest(self._exposed()), media_type=CONTENT_TYPE_LATEST)

    def _exposed(self) -> CollectorRegistry:
        if self.shared_dir is None:
            return self.registry
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.shared_dir)  # type: ignore[no-untyped-call]
        return registry
