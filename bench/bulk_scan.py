"""Bulk scan jobs end to end: synthetic domains -> job -> real Celery workers -> PostgreSQL.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/bulk_scan.py [--domains N]
    python bench/bulk_scan.py --large          # 100,000 domains

Serves N synthetic domains (bench/synthetic_dns.py) from a loopback DNS server in its own
process, then measures in one run:

1. the engine alone (``scan_many`` over every domain, no database) in domains per second;
2. a scan job through ONE real worker (solo pool) into PostgreSQL, from ``scan_job_start``
   to the job row saying completed, and that worker's peak memory (VmHWM);
3. the same job through TWO workers.

The benchmark uses its own database (DATABASE_URL's name + "_bench"), created and migrated
when missing and emptied before each run. Prints a summary, then one JSON line with
end_to_end_domains_per_s, engine_domains_per_s, ratio, two_worker_speedup and
peak_worker_rss_mb. Figures, never assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.engine_throughput import engine_config as bench_engine_config  # noqa: E402
from bench.synthetic_dns import served_zones, write_zones  # noqa: E402

WARM_UP_DOMAINS = 100
JOB_DEADLINE_SECONDS = 3600.0


def bench_database_url(url: str) -> str:
    """The benchmark's own database beside the given one, so it never empties real data."""
    base, _, name = url.rpartition("/")
    name, _, query = name.partition("?")
    return f"{base}/{name}_bench" + (f"?{query}" if query else "")


def setup_django(database_url: str) -> None:
    """Point Django at the benchmark database, create and migrate it."""
    from hunter.ensure_database import ensure_database

    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hunter.settings")
    ensure_database(database_url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def empty_tables() -> None:
    """Forget earlier runs: lead data, jobs and task results (this is the bench database)."""
    from django.db import connection
    from django_celery_results.models import TaskResult

    from leads.models import Company
    from scanning.models import ScanJob

    tables = [model._meta.db_table for model in (Company, ScanJob, TaskResult)]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


def settle_tables() -> None:
    """VACUUM ANALYZE after a bulk load, as autovacuum would have before anyone reads it.

    ANALYZE gives the planner its statistics; VACUUM sets the visibility map, without which
    an index-only scan still visits every table row it passes (a deep page would read them).
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def engine_rate(domains: list[str], address: str) -> float:
    """Domains per second of the engine alone over every domain at once."""
    from scanning.engine.scan import scan_many

    config = bench_engine_config(address, concurrency=200, timeout=5.0)
    asyncio.run(scan_many(domains[:WARM_UP_DOMAINS], config))
    started = time.perf_counter()
    asyncio.run(scan_many(domains, config))
    return len(domains) / (time.perf_counter() - started)


@contextmanager
def workers(count: int, address: str, log_dir: Path, chunk_size: int) -> Iterator[list[Any]]:
    """``count`` real worker processes (solo pool) on the bench database and DNS server."""
    from django.db import connection

    from hunter.celery import app
    from hunter.testing.celery_worker import CeleryWorkerProcess, database_url_for, purge_queue

    queue = str(app.conf.task_default_queue)
    purge_queue(queue)
    started = []
    try:
        for index in range(count):
            worker = CeleryWorkerProcess(
                database_url=database_url_for(connection.settings_dict),
                log_path=log_dir / f"worker-{count}-{index}.log",
                queue=queue,
                extra_env={
                    "HUNTER_DNS_NAMESERVERS": address,
                    "HUNTER_REGISTRATION_ENABLED": "false",
                    "HUNTER_SCAN_CHUNK_SIZE": str(chunk_size),
                    "HUNTER_WORKER_MAX_TASKS_PER_CHILD": "100000",
                },
            )
            worker.start()
            started.append(worker)
        yield started
    finally:
        for worker in started:
            worker.stop()


def run_job(domains: list[str]) -> float:
    """Start a scan job and wait for its row to say finished; domains per second."""
    from scanning.models import ScanJob
    from scanning.services.jobs import scan_job_start

    started = time.perf_counter()
    job = scan_job_start(domains=domains)
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    while not ScanJob.objects.get(id=job.id).is_finished:
        if time.monotonic() > deadline:
            raise RuntimeError("the job did not finish; see the worker logs")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    if job.succeeded != len(domains):
        raise RuntimeError(f"only {job.succeeded} of {len(domains)} domains were stored")
    return len(domains) / elapsed


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM) in MB, read from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure_workers(
    count: int, domains: list[str], address: str, log_dir: Path, chunk_size: int
) -> tuple[float, float]:
    """End-to-end rate through ``count`` workers, and their highest peak memory."""
    with workers(count, address, log_dir, chunk_size) as running:
        run_job(domains[:WARM_UP_DOMAINS])  # imports, connections, rule tables
        empty_tables()
        rate = run_job(domains)
        memory = max(peak_rss_mb(worker.pid) for worker in running)
    empty_tables()
    return rate, memory


def run(count: int, chunk_size: int, log_dir: Path) -> dict[str, Any]:
    from django.conf import settings

    settings.HUNTER_SCAN_CHUNK_SIZE = chunk_size
    empty_tables()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        domains = write_zones(tmp, count)
        address = stack.enter_context(served_zones(tmp))
        engine = engine_rate(domains, address)
        one, memory = measure_workers(1, domains, address, log_dir, chunk_size)
        two, memory_two = measure_workers(2, domains, address, log_dir, chunk_size)
    return {
        "domains": count,
        "chunk_size": chunk_size,
        "engine_domains_per_s": round(engine, 1),
        "end_to_end_domains_per_s": round(one, 1),
        "two_worker_domains_per_s": round(two, 1),
        "ratio": round(one / engine, 3),
        "two_worker_speedup": round(two / one, 3),
        "peak_worker_rss_mb": round(max(memory, memory_two), 1),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=10_000, help="synthetic domains")
    parser.add_argument("--large", action="store_true", help="100,000 domains")
    parser.add_argument("--chunk-size", type=int, default=50, help="domains per chunk task")
    parser.add_argument("--log-dir", type=Path, default=None, help="keep worker logs here")
    args = parser.parse_args()
    count = 100_000 if args.large else args.domains
    if count < 1 or args.chunk_size < 1:
        parser.error("--domains and --chunk-size must be at least 1")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        parser.error("needs DATABASE_URL (PostgreSQL) and REDIS_URL: workers share them")
    setup_django(bench_database_url(os.environ["DATABASE_URL"]))
    with tempfile.TemporaryDirectory() as logs:
        figures = run(count, args.chunk_size, args.log_dir or Path(logs))
    print(
        f"{figures['domains']} domains in chunks of {figures['chunk_size']}: engine alone "
        f"{figures['engine_domains_per_s']}/s; job through one worker "
        f"{figures['end_to_end_domains_per_s']}/s (ratio {figures['ratio']}), two workers "
        f"{figures['two_worker_domains_per_s']}/s (x{figures['two_worker_speedup']}); "
        f"peak worker RSS {figures['peak_worker_rss_mb']} MB; load {figures['load_average']}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
