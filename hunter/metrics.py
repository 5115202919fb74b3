"""Prometheus metrics: the counters processes keep, and ``/healthz/metrics`` that serves them.

Counters and gauges live in prometheus-client's multiprocess mode (HUNTER_METRICS_DIR, set
before prometheus-client is imported, in settings), so every gunicorn and Celery process
writes its own file and a scrape adds them up. Figures that the database already knows (jobs
and chunks by state, domains by scan status, alerts by delivery state) are counted from it at
scrape time instead, so they are right whatever process did the work.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CACHE_REQUESTS = Counter(
    "hunter_cache_requests",
    "Cache lookups by cache and result (hit, miss, error).",
    ["cache", "result"],
)
LIMITER_ACQUIRES = Counter(
    "hunter_rate_limiter_acquires",
    "Rate-limiter acquires by limiter group, backend (redis, fallback) and outcome.",
    ["limiter", "backend", "outcome"],
)
LIMITER_WAITS = Counter(
    "hunter_rate_limiter_waits",
    "Times a caller had to wait for a rate-limiter token, by limiter group.",
    ["limiter"],
)
LIMITER_WAIT_SECONDS = Counter(
    "hunter_rate_limiter_wait_seconds",
    "Seconds spent waiting for rate-limiter tokens, by limiter group.",
    ["limiter"],
)
LIMITER_FALLBACK_SWITCHES = Counter(
    "hunter_rate_limiter_fallback_switches",
    "Switches of the rate limiter to (enter) and from (leave) its in-process fallback.",
    ["direction"],
)
# Per endpoint label only: a label per domain would grow without bound. Per-day and per-week
# figures come from Prometheus itself (increase over 1d / 1w).
DEPRECATED_CALLS = Counter(
    "hunter_deprecated_endpoint_calls",
    "Calls to switched-off write endpoints (answered 410), by endpoint label.",
    ["endpoint"],
)
BREAKER_STATE = Gauge(
    "hunter_redis_breaker_state",
    "Circuit breaker per Redis client: 0 closed, 1 half-open, 2 open (worst live process).",
    ["client"],
    multiprocess_mode="livemax",
)


def limiter_group(key: str) -> str:
    """The metric label of a limiter key: its first part, so per-key buckets share one label."""
    return key.split(":", 1)[0]


class DatabaseCollector(Collector):
    """Counts read from the database at scrape time: jobs, chunks, domains, alert deliveries."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from leads.models import Alert, DomainSignals
        from scanning.models import ScanChunk, ScanJob

        tables = (
            ("hunter_scan_jobs", "Scan jobs by state.", ScanJob.objects, "status"),
            ("hunter_scan_chunks", "Scan chunks by state.", ScanChunk.objects, "status"),
            (
                "hunter_domains_scanned",
                "Domains by DNS scan status.",
                DomainSignals.objects,
                "status",
            ),
            ("hunter_alerts", "Alerts by delivery state.", Alert.objects, "status"),
        )
        for name, documentation, manager, field in tables:
            family = GaugeMetricFamily(name, documentation, labels=["state"])
            try:
                rows = manager.values(field).annotate(n=Count("pk")).order_by()
                for row in rows:
                    family.add_metric([str(row[field])], row["n"])
            except DatabaseError:
                continue  # the database is away: the rest of the scrape still answers
            yield family


def client_allowed(request: HttpRequest) -> bool:
    """Is the connecting address (not a forwarded header, which anyone can write) allowed?"""
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.HUNTER_METRICS_ALLOWED_NETWORKS)


def render_metrics() -> bytes:
    """Every process's counters plus the database counts, in the Prometheus text format."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=os.environ["PROMETHEUS_MULTIPROC_DIR"])
    registry.register(DatabaseCollector())
    return generate_latest(registry)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """``/healthz/metrics``: no sign-in, but only for addresses in HUNTER_METRICS_ALLOWED_IPS."""
    if not client_allowed(request):
        return HttpResponseForbidden("metrics are not served to this address\n")
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)
