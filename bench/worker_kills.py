"""A scan job under repeated worker crashes: SIGKILLs every few seconds on two real workers.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/worker_kills.py
    python bench/worker_kills.py --domains 2000 --kills 10 --every 8 --visibility 30

Serves N synthetic domains (bench/synthetic_dns.py, with DNS latency so a chunk takes
seconds) and runs one scan job through two solo-pool workers. Every ``--every`` seconds, while
chunks are running, one worker is killed with SIGKILL and started again, ``--kills`` times; the
recovery task runs every few seconds, as beat would. Measures:

* whether the job completes, with every domain committed exactly once and no chunk set aside;
* how long the broker took to hand a killed worker's chunk to a worker again (from the kill
  to the chunk's next claim), against HUNTER_BROKER_VISIBILITY_TIMEOUT;
* lost workers counted on chunks, errors, and chunks the recovery task sent again.

Uses its own database (DATABASE_URL's name + "_bench"), emptied first. Prints a summary, then
one JSON line. Figures, never assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bulk_scan import bench_database_url, empty_tables, setup_django  # noqa: E402
from bench.synthetic_dns import served_zones, write_zones  # noqa: E402

JOB_DEADLINE_SECONDS = 1800.0
RECOVERY_EVERY_SECONDS = 5.0


def start_workers(address: str, log_dir: Path, visibility: int, chunk_size: int) -> list[Any]:
    from django.db import connection

    from hunter.celery import app
    from hunter.testing.celery_worker import CeleryWorkerProcess, database_url_for, purge_queue

    queue = str(app.conf.task_default_queue)
    purge_queue(queue)
    workers = [
        CeleryWorkerProcess(
            database_url=database_url_for(connection.settings_dict),
            log_path=log_dir / f"worker-{index}.log",
            queue=queue,
            extra_env={
                "HUNTER_DNS_NAMESERVERS": address,
                "HUNTER_REGISTRATION_ENABLED": "false",
                "HUNTER_SCAN_CHUNK_SIZE": str(chunk_size),
                "HUNTER_BROKER_VISIBILITY_TIMEOUT": str(visibility),
            },
        )
        for index in range(2)
    ]
    for worker in workers:
        worker.start()
    return workers


def held_now(job_id: int) -> set[int]:
    from scanning.holds import held_chunk_ids
    from scanning.models import ScanChunk

    return held_chunk_ids(ScanChunk.objects.filter(job_id=job_id).values_list("id", flat=True))


def kill_one(
    workers: list[Any], job_id: int, restarts: list[threading.Thread]
) -> tuple[float, set[int]] | None:
    """SIGKILL a running worker while chunks are held; the kill time and the chunks it held.

    The worker is started again in the background: on a busy machine a solo worker that
    picks up a chunk at once can take long to answer the start-up ping, and the kills go on.
    """
    before = held_now(job_id)
    running = [worker for worker in workers if worker.is_running()]
    if not before or not running:
        return None
    worker = running[int(time.monotonic()) % len(running)]
    worker.kill()
    killed_at = time.time()
    time.sleep(0.5)  # its database session ends: its chunk lock goes with it
    lost = before - held_now(job_id)
    restarts.append(threading.Thread(target=restart, args=(worker,)))
    restarts[-1].start()
    return killed_at, lost


def join_all(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join()


def restart(worker: Any) -> None:
    from django.db import connection

    from hunter.testing.celery_worker import WorkerStartError

    try:
        for _ in range(3):
            try:
                worker.start()
                return
            except WorkerStartError:
                continue
    finally:
        connection.close()


def redelivery_seconds(kills: list[tuple[float, set[int]]]) -> list[float]:
    """From each kill to the next claim of each chunk the killed worker held."""
    from scanning.models import ScanChunk

    delays = []
    for killed_at, chunk_ids in kills:
        for chunk in ScanChunk.objects.filter(id__in=chunk_ids):
            if chunk.claimed_at is not None and chunk.claimed_at.timestamp() > killed_at:
                delays.append(chunk.claimed_at.timestamp() - killed_at)
    return delays


def recover_periodically(stop: threading.Event, sent: list[int]) -> None:
    from django.db import connection

    from scanning.services.recovery import scan_jobs_recover

    try:
        while not stop.wait(RECOVERY_EVERY_SECONDS):
            sent.append(scan_jobs_recover().chunks_sent)
    finally:
        connection.close()


def run(args: argparse.Namespace, log_dir: Path) -> dict[str, Any]:
    from django.conf import settings
    from django.db.models import Count, Max, Sum

    from scanning.models import ChunkStatus, OutcomeStatus, ScanChunk, ScanJob, ScanOutcome
    from scanning.services.jobs import scan_job_start

    settings.HUNTER_SCAN_CHUNK_SIZE = args.chunk_size
    settings.HUNTER_JOB_STALL_SECONDS = 2 * args.visibility
    empty_tables()
    kills: list[tuple[float, set[int]]] = []
    recovered: list[int] = []
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        domains = write_zones(tmp, args.domains)
        address = stack.enter_context(served_zones(tmp, latency_ms=args.latency_ms))
        workers = start_workers(address, log_dir, args.visibility, args.chunk_size)
        stack.callback(lambda: [worker.stop() for worker in workers])
        restarts: list[threading.Thread] = []
        # Callbacks run last-in first-out: a worker still starting is stopped only once it runs.
        stack.callback(join_all, restarts)
        stop = threading.Event()
        recovery = threading.Thread(target=recover_periodically, args=(stop, recovered))
        recovery.start()
        stack.callback(recovery.join)
        stack.callback(stop.set)
        started = time.monotonic()
        job = scan_job_start(domains=domains)
        next_kill = started + args.every
        while not ScanJob.objects.get(id=job.id).is_finished:
            if time.monotonic() > started + JOB_DEADLINE_SECONDS:
                raise RuntimeError("the job did not finish; see the worker logs")
            if len(kills) < args.kills and time.monotonic() >= next_kill:
                kill = kill_one(workers, job.id, restarts)
                if kill is not None:
                    kills.append(kill)
                    next_kill = time.monotonic() + args.every
            time.sleep(0.2)
        elapsed = time.monotonic() - started
    job.refresh_from_db()
    committed = ScanOutcome.objects.filter(job=job, status=OutcomeStatus.COMMITTED)
    repeated = committed.values("domain").annotate(n=Count("id")).filter(n__gt=1).count()
    chunks = ScanChunk.objects.filter(job=job)
    totals = chunks.aggregate(
        lost=Sum("lost_workers"), most_lost=Max("lost_workers"), errors=Sum("errors")
    )
    delays = redelivery_seconds(kills)
    return {
        "domains": args.domains,
        "kills": len(kills),
        "job_status": job.status,
        "seconds": round(elapsed, 1),
        "succeeded": job.succeeded,
        "failed": job.failed,
        "domains_committed_twice": repeated,
        "chunks_set_aside": chunks.filter(status=ChunkStatus.SET_ASIDE).count(),
        "lost_workers_counted": totals["lost"] or 0,
        "most_lost_workers_on_one_chunk": totals["most_lost"] or 0,
        "chunk_errors": totals["errors"] or 0,
        "chunks_sent_by_recovery": sum(recovered),
        "visibility_timeout_s": args.visibility,
        "redelivery_median_s": round(statistics.median(delays), 1) if delays else None,
        "redelivery_max_s": round(max(delays), 1) if delays else None,
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=2000)
    parser.add_argument("--chunk-size", type=int, default=50)
    parser.add_argument("--kills", type=int, default=10, help="SIGKILLs in all")
    parser.add_argument("--every", type=float, default=8.0, help="seconds between kills")
    parser.add_argument("--visibility", type=int, default=30, help="broker visibility timeout")
    parser.add_argument("--latency-ms", type=float, default=1000.0, help="DNS answer delay")
    parser.add_argument("--log-dir", type=Path, default=None, help="keep worker logs here")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        parser.error("needs DATABASE_URL (PostgreSQL) and REDIS_URL: workers share them")
    setup_django(bench_database_url(os.environ["DATABASE_URL"]))
    with tempfile.TemporaryDirectory() as logs:
        figures = run(args, args.log_dir or Path(logs))
    print(
        f"{figures['domains']} domains, {figures['kills']} SIGKILLs: job {figures['job_status']} "
        f"in {figures['seconds']} s, {figures['succeeded']} stored, {figures['failed']} failed, "
        f"{figures['domains_committed_twice']} stored twice, {figures['chunks_set_aside']} "
        f"chunks set aside; {figures['lost_workers_counted']} lost workers counted (at most "
        f"{figures['most_lost_workers_on_one_chunk']} on one chunk), {figures['chunk_errors']} "
        f"errors; {figures['chunks_sent_by_recovery']} chunks re-sent by recovery; a killed "
        f"worker's chunk ran again after {figures['redelivery_median_s']} s (median), "
        f"{figures['redelivery_max_s']} s (max) with a {figures['visibility_timeout_s']} s "
        f"visibility timeout; load {figures['load_average']}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
