"""Server time of each sales page at 100,000 leads (seeded with bulk_create, no scanning).

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/pages.py [--leads N]

Renders every page in-process through Django's test client as a signed-in sales user, so the
time is the server's alone (routing, queries, templates), without a network or a browser.
Each page is requested once to warm up, then ``--repeat`` times; the median and the slowest
are reported with the number of queries. The dashboard is measured with its cache cold
(aggregates computed in the request: once per ten seconds of a bulk scan, or after a lost
cache), right after a scan stored a chunk (the held figures serve) and warm.
Uses the benchmark database (DATABASE_URL's name + "_bench"), emptied first. Prints a
table, then one JSON line: {"leads": N, "pages": {name: {...}}}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bulk_scan import (  # noqa: E402
    bench_database_url,
    empty_tables,
    settle_tables,
    setup_django,
)

BATCH = 5_000
# (segment, provider, P-category, score range): the mix of a real lead base.
PROFILES = [
    ("Migration", "Google", "P2", (60, 100)),
    ("Migration", "Hosting", "P1", (60, 90)),
    ("Migration", "Yandex", "P2", (60, 85)),
    ("Existing", "M365", "P4", (70, 100)),
    ("Existing", "M365", "P3", (20, 69)),
    ("Cold", "Local", "P1", (5, 59)),
    ("Cold", "Unknown", "P5", (40, 59)),
    ("Skip", "Unknown", "P6", (0, 39)),
]


def seed(count: int) -> str:
    """``count`` scanned leads with signals and score, a few alerts; returns one domain."""

    from leads.models import Alert, Company, DomainSignals, LeadScore

    rng = random.Random(7)
    for start in range(0, count, BATCH):
        profiles = [rng.choice(PROFILES) for _ in range(min(BATCH, count - start))]
        companies = Company.objects.bulk_create(
            Company(
                domain=f"lead{start + n:06}.com.tr", canonical_name=f"Lead {start + n}", provider=p
            )
            for n, (_segment, p, _category, _band) in enumerate(profiles)
        )
        DomainSignals.objects.bulk_create(_signals(company) for company in companies)
        LeadScore.objects.bulk_create(
            _score(company, profile, rng)
            for company, profile in zip(companies, profiles, strict=True)
        )
        Alert.objects.bulk_create(
            Alert(company=company, alert_type="mx_changed", alert_message="MX changed")
            for company in companies[:20]
        )
    settle_tables()
    return "lead000000.com.tr"


def _score(company: Any, profile: tuple[str, str, str, tuple[int, int]], rng: random.Random) -> Any:
    from leads.models import LeadScore
    from leads.priority import priority_score

    segment, _provider, category, band = profile
    score = rng.randint(*band)
    return LeadScore(
        company=company,
        score=score,
        segment=segment,
        priority_score=priority_score(segment, score),
        priority_category=category,
        reasons=[{"rule": "base_score", "points": 10}],
    )


def _signals(company: Any) -> Any:
    from leads.models import DomainSignals

    return DomainSignals(
        company=company,
        status="ok",
        provider=company.provider,
        mx_records=[{"preference": 10, "host": f"mx.{company.domain}"}],
        spf=True,
        spf_record="v=spf1 include:_spf.example.net ~all",
        dkim=False,
        dmarc_policy="none",
    )


def measure(get: Callable[[], Any], repeat: int) -> dict[str, Any]:
    """Median and slowest server time (ms) of a request, and its query count."""
    from django.db import connection

    queries: list[str] = []

    def count(execute: Any, sql: str, *args: Any) -> Any:
        queries.append(sql)
        return execute(sql, *args)

    # A wrapper, not CaptureQueriesContext: each request resets the connection's query log.
    with connection.execute_wrapper(count):
        response = get()
    if response.status_code != 200:
        raise RuntimeError(f"status {response.status_code}")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        get()
        times.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "queries": len(queries),
    }


def pages(domain: str, leads: int) -> dict[str, str]:
    last_page = max(1, -(-leads // 50))
    return {
        "dashboard (warm cache)": "/app/",
        "lead list, all": "/app/leads/",
        "lead list, migration": "/app/leads/migration/",
        "lead list, provider filter": "/app/leads/?provider=Hosting",
        "lead list, sorted by score": "/app/leads/?sort_by=readiness_score&sort_order=desc",
        "lead list, search": "/app/leads/?search=lead0999",
        "lead list, last page": f"/app/leads/?page={last_page}",
        "lead detail": f"/app/leads/{domain}/",
        "alerts": "/app/alerts/",
        "jobs": "/app/jobs/",
    }


def run(count: int, repeat: int) -> dict[str, Any]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client
    from django.utils import timezone

    from leads.models import DomainSignals

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    empty_tables()
    get_user_model().objects.filter(username="bench-sales").delete()
    user = get_user_model().objects.create_user(username="bench-sales")
    started = time.perf_counter()
    domain = seed(count)
    seeded_s = time.perf_counter() - started
    client = Client()
    client.force_login(user)

    def cold_dashboard() -> Any:
        cache.clear()  # the benchmark's own cache database
        return client.get("/app/")

    def dashboard_during_a_scan() -> Any:
        # A chunk of a bulk scan stored just before this view (its UPDATE is timed too).
        DomainSignals.objects.filter(company__domain=domain).update(scanned_at=timezone.now())
        return client.get("/app/")

    results = {
        "dashboard (cold cache)": measure(cold_dashboard, repeat),
        "dashboard (a scan just stored)": measure(dashboard_during_a_scan, repeat),
    }
    for name, path in pages(domain, count).items():
        results[name] = measure(partial(client.get, path), repeat)
    return {"leads": count, "seed_s": round(seeded_s, 1), "repeat": repeat, "pages": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=100_000, help="scanned leads to seed")
    parser.add_argument("--repeat", type=int, default=10, help="timed requests per page")
    args = parser.parse_args()
    if args.leads < 1 or args.repeat < 1:
        parser.error("--leads and --repeat must be at least 1")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("needs DATABASE_URL (PostgreSQL): the figures are PostgreSQL's")
    setup_django(bench_database_url(os.environ["DATABASE_URL"]))
    figures = run(args.leads, args.repeat)
    print(f"{figures['leads']} leads (seeded in {figures['seed_s']} s), {args.repeat} requests:")
    for name, page in figures["pages"].items():
        print(
            f"  {name:<28} median {page['median_ms']:>7} ms  slowest {page['max_ms']:>7} ms"
            f"  {page['queries']} queries"
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
