"""The write path alone: storing scan results as lead rows, chunk by chunk, in PostgreSQL.

    DATABASE_URL=postgres://... python bench/lead_store.py [--domains N] [--chunk-size 50]

No DNS and no workers: the results are built with the engine's pure ``decide`` from DNS facts
written out here, so the figure is the cost of ``lead_scan_results_store`` and the indexes it
maintains, without the network noise that dominates ``bulk_scan.py``. Two passes over the same
domains: the first inserts every company, signal and score row; the second changes the MX of
every other domain, so it also writes history, alerts and tags. Uses the same benchmark
database as ``bulk_scan.py`` (DATABASE_URL's name + "_bench"), emptied first. Prints a summary,
then one JSON line with first_pass_domains_per_s and second_pass_domains_per_s (from the
median chunk time) and lead_indexes (the number of indexes on the lead tables). Figures, never
assertions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bulk_scan import bench_database_url, empty_tables, setup_django  # noqa: E402

PROVIDER_MX = ("aspmx.l.google.com", "acme.mail.protection.outlook.com", "mx.yandex.net")


def results(count: int, *, moved: bool) -> list[Any]:
    """``count`` resolved scan results; with ``moved``, every other domain has a new MX."""
    from scanning.engine.dkim import DkimResult
    from scanning.engine.dmarc import dmarc_from_txt
    from scanning.engine.dns import DnsFacts
    from scanning.engine.registration import Registration
    from scanning.engine.rules import load_rules
    from scanning.engine.scan import decide
    from scanning.engine.spf import SpfAnalysis

    rules = load_rules()
    expires = dt.date.today() + dt.timedelta(days=400)
    out = []
    for n in range(count):
        domain = f"store-{n}.example.com"
        mx = PROVIDER_MX[(n + (n % 2 if moved else 0)) % len(PROVIDER_MX)]
        facts = DnsFacts(
            domain,
            "ok",
            mx=((10, mx),),
            spf=SpfAnalysis(status="present", record="v=spf1 ~all"),
            dmarc=dmarc_from_txt(["v=DMARC1; p=none" if n % 3 else "v=DMARC1; p=reject"]),
            dmarc_status="present",
            dkim=DkimResult("found", ("selector1",), ("selector1",)),
        )
        registration = Registration("ok", "Registrar", expires, ("ns1.example.net",), "rdap")
        out.append(decide(domain, facts, registration, rules))
    return out


def store_rate(scans: list[Any], chunk_size: int) -> float:
    """Domains per second through ``lead_scan_results_store``, one transaction per chunk.

    From the median chunk time: on a shared machine a few chunks wait for the CPU, and the
    median ignores them where a total would not.
    """
    from django.db import transaction

    from leads.services.scans import lead_scan_results_store

    token = uuid.uuid4()
    seconds = []
    for start in range(0, len(scans), chunk_size):
        chunk = scans[start : start + chunk_size]
        started = time.perf_counter()
        with transaction.atomic():
            lead_scan_results_store(results=chunk, scan_token=token)
        seconds.append((time.perf_counter() - started) / len(chunk))
    return 1 / statistics.median(seconds)


def lead_index_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'leads\\_%'")
        return int(cursor.fetchone()[0])


def run(count: int, chunk_size: int) -> dict[str, Any]:
    empty_tables()
    first = store_rate(results(count, moved=False), chunk_size)
    second = store_rate(results(count, moved=True), chunk_size)
    return {
        "domains": count,
        "chunk_size": chunk_size,
        "first_pass_domains_per_s": round(first, 1),
        "second_pass_domains_per_s": round(second, 1),
        "lead_indexes": lead_index_count(),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=5000, help="synthetic domains")
    parser.add_argument("--chunk-size", type=int, default=50, help="domains per transaction")
    args = parser.parse_args()
    if args.domains < 1 or args.chunk_size < 1:
        parser.error("--domains and --chunk-size must be at least 1")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("needs DATABASE_URL (PostgreSQL)")
    setup_django(bench_database_url(os.environ["DATABASE_URL"]))
    figures = run(args.domains, args.chunk_size)
    print(
        f"{figures['domains']} domains in chunks of {figures['chunk_size']}: first store "
        f"{figures['first_pass_domains_per_s']}/s, second store with changes "
        f"{figures['second_pass_domains_per_s']}/s; {figures['lead_indexes']} indexes on the "
        f"lead tables; load {figures['load_average']}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
