"""Prometheus metrics: requests by route and status, and their latency.

With several workers, set PROMETHEUS_MULTIPROC_DIR (``matcher serve`` does) so that /metrics
adds up every worker's counts instead of showing the one that answered.
"""

from __future__ import annotations

import os
import time

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.routing import Match

from api.deps import allow
from api.errors import problem_responses
from api.routing import ReleasingRoute

REQUESTS = Counter("matcher_http_requests_total", "HTTP requests",
                   ["method", "route", "status"])
LATENCY = Histogram("matcher_http_request_seconds", "HTTP request latency", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10))
SUGGESTIONS = Counter("matcher_suggestions_total", "Suggestion lists made", ["kind"])
SEATS = Counter("matcher_seat_reservations_total", "Seat reservations", ["outcome"])
REBUILDS = Counter("matcher_matcher_rebuilds_total", "In-memory matcher builds of a worker: "
                   "first (the request waits), background (served the previous one "
                   "meanwhile), inline (MATCHER_REBUILD_MIN_INTERVAL_S=0)", ["how"])

router = APIRouter(route_class=ReleasingRoute, tags=["health"])


@router.get("/metrics", response_class=Response, dependencies=[allow("admin", "programme_staff")],
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}},
                             "description": "Prometheus text format"},
                       **problem_responses(401, 403)})
def metrics() -> Response:
    """Prometheus metrics of every worker (admin and programme staff)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        data = generate_latest(registry)
    else:
        data = generate_latest()
    return Response(data, media_type=CONTENT_TYPE_LATEST)


class Timing:
    """Counts and times every request under its route template (never the raw path: ids)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = {"code": 500}

        async def remember(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember)
        finally:
            # The router leaves the matched route in the scope; match again only if not.
            matched = scope.get("route")
            route = getattr(matched, "path", None) or _template(scope)
            REQUESTS.labels(scope["method"], route, str(status["code"])).inc()
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - start)


def _template(scope) -> str:
    app = scope.get("app")
    router_ = getattr(app, "router", None)
    for route in getattr(router_, "routes", []):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return getattr(route, "path", "other")
    return "unmatched"
