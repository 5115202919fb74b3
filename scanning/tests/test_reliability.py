"""Bulk scans survive crashes: killed workers, dropped connections, locked rows, rival jobs.

Everything here is real: PostgreSQL, the Redis broker, ``celery worker`` subprocesses and
loopback DNS servers. Waits have generous deadlines (they bound a hang, they time nothing).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.db.models import Count

from hunter.celery import app
from hunter.env import env_nameservers
from hunter.testing.celery_worker import CeleryWorkerProcess, database_url_for, purge_queue
from hunter.testing.dns_server import DnsServer
from leads.models import (
    Alert,
    Company,
    DomainSignals,
    LeadScore,
    ProviderChangeHistory,
    ScoreChangeHistory,
    SignalChangeHistory,
)
from scanning import caching
from scanning.models import ChunkStatus, JobStatus, OutcomeStatus, ScanChunk, ScanJob, ScanOutcome
from scanning.services import jobs

pytestmark = pytest.mark.slow

ZONE = "rel.test"
JOB_DEADLINE_SECONDS = 120.0
StartWorker = Callable[[DnsServer], CeleryWorkerProcess]


def synthetic_domains(count: int) -> list[str]:
    return [f"d{index:03d}.{ZONE}" for index in range(count)]


def mail_server(domains: list[str], *, provider: str, latency_ms: float = 0) -> DnsServer:
    """A loopback DNS server where every domain's MX points at Google or at Microsoft 365."""
    server = DnsServer(latency_ms=latency_ms)
    for zone in (ZONE, "google.com", "outlook.com"):
        server.add_zone(zone)
    for domain in domains:
        label = domain.replace(".", "-")
        mx = (
            "1 aspmx.l.google.com."
            if provider == "google"
            else f"0 {label}.mail.protection.outlook.com."
        )
        server.add(domain, "MX", mx)
        server.add(domain, "TXT", '"v=spf1 ip4:192.0.2.1 -all"')
        server.add(f"_dmarc.{domain}", "TXT", '"v=DMARC1; p=none"')
    return server  # started by the caller's with-block


@pytest.fixture
def scan_settings(settings) -> None:
    settings.HUNTER_REGISTRATION_ENABLED = False
    settings.HUNTER_SCAN_RETRY_BACKOFF = 0.05
    settings.HUNTER_SCAN_RETRY_BACKOFF_MAX = 0.2


@pytest.fixture
def start_worker(django_db_setup: None, tmp_path: Path) -> Iterator[StartWorker]:
    """Start workers on the test database whose scans ask a given loopback DNS server."""
    if not os.environ.get("REDIS_URL") or connection.vendor != "postgresql":
        pytest.skip("worker tests need REDIS_URL and DATABASE_URL (PostgreSQL)")
    queue = str(app.conf.task_default_queue)
    purge_queue(queue)
    workers: list[CeleryWorkerProcess] = []

    def start(server: DnsServer) -> CeleryWorkerProcess:
        worker = CeleryWorkerProcess(
            database_url=database_url_for(connection.settings_dict),
            log_path=tmp_path / f"worker-{len(workers)}.log",
            queue=queue,
            extra_env={
                "HUNTER_DNS_NAMESERVERS": server.nameserver,
                "HUNTER_REGISTRATION_ENABLED": "false",
                # Redeliver a dead worker's task after 10 s instead of the 120 s default.
                "HUNTER_BROKER_VISIBILITY_TIMEOUT": "10",
                "HUNTER_SCAN_RETRY_BACKOFF": "0.2",
                "HUNTER_SCAN_RETRY_BACKOFF_MAX": "1",
            },
        )
        worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def seed_first_scan(domains: list[str], settings) -> None:
    """Scan every domain once with Google MX, so the next scan has changes to record."""
    with mail_server(domains, provider="google") as before:
        settings.HUNTER_DNS_NAMESERVERS = env_nameservers("X", environ={"X": before.nameserver})
        jobs.scan_job_run_inline(job_id=jobs.scan_job_start(domains=domains, enqueue=False).id)
    assert set(Company.objects.values_list("provider", flat=True)) == {"Google"}
    # The mail moves before the next scan, which must ask DNS, not read this scan's cache.
    caching.domain_invalidate(domains)


def wait_for(
    condition: Callable[[], bool],
    *,
    seconds: float,
    what: str,
    worker: CeleryWorkerProcess | None = None,
) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}\n{diagnostics(worker)}")
        time.sleep(0.1)


def diagnostics(worker: CeleryWorkerProcess | None) -> str:
    """Chunk states and the worker's last lines, so a failure here can be understood."""
    states = list(ScanChunk.objects.values_list("job_id", "number", "status", "attempts"))
    tail = worker.log_tail() if worker is not None else "(no worker)"
    return f"chunks (job, number, status, attempts): {states}\nworker log:\n{tail}"


def job_finished(job: ScanJob) -> Callable[[], bool]:
    return lambda: ScanJob.objects.get(id=job.id).is_finished


def assert_each_domain_committed_once(job: ScanJob, domains: list[str]) -> None:
    committed = (
        ScanOutcome.objects.filter(job=job, status=OutcomeStatus.COMMITTED)
        .values("domain")
        .annotate(times=Count("id"))
    )
    assert {row["domain"]: row["times"] for row in committed} == dict.fromkeys(domains, 1)


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_is_killed_completes_after_restart_with_every_change_once(
    start_worker: StartWorker, scan_settings: None, settings
) -> None:
    domains = synthetic_domains(24)
    seed_first_scan(domains, settings)
    settings.HUNTER_SCAN_CHUNK_SIZE = 3
    with mail_server(domains, provider="m365", latency_ms=300) as after:
        worker = start_worker(after)
        job = jobs.scan_job_start(domains=domains)
        chunks = ScanChunk.objects.filter(job=job)
        wait_for(
            lambda: (
                chunks.filter(status=ChunkStatus.COMMITTED).exists()
                and chunks.filter(status=ChunkStatus.RUNNING).exists()
            ),
            seconds=60,
            what="a committed chunk and one in flight",
            worker=worker,
        )
        worker.kill()
        killed = list(chunks.filter(status=ChunkStatus.RUNNING).values_list("id", flat=True))
        worker.start()
        wait_for(
            job_finished(job),
            seconds=JOB_DEADLINE_SECONDS,
            what="the job after restart",
            worker=worker,
        )

    job.refresh_from_db()
    assert (job.status, job.succeeded, job.failed, job.processed) == ("completed", 24, 0, 24)
    assert_each_domain_committed_once(job, domains)
    # The chunk that was in flight ran again under a new attempt number.
    assert all(chunk.attempts >= 2 for chunk in ScanChunk.objects.filter(id__in=killed))
    assert set(Company.objects.values_list("provider", flat=True)) == {"M365"}
    assert DomainSignals.objects.count() == 24
    # Exactly one history row and one alert per company for this job's change.
    assert ProviderChangeHistory.objects.filter(scan_token=job.public_id).count() == 24
    mx_changes = SignalChangeHistory.objects.filter(scan_token=job.public_id, signal_type="mx")
    assert mx_changes.count() == 24
    assert Alert.objects.filter(scan_token=job.public_id, alert_type="mx_changed").count() == 24
    for model, kind in ((Alert, "alert_type"), (SignalChangeHistory, "signal_type")):
        repeated = model.objects.values("company", kind).annotate(n=Count("id")).filter(n__gt=1)
        assert list(repeated) == [], model.__name__
    assert not ScoreChangeHistory.objects.values("company").annotate(n=Count("id")).filter(n__gt=1)


@pytest.mark.django_db(transaction=True)
def test_a_chunk_whose_database_connection_is_terminated_is_retried_and_loses_nothing(
    start_worker: StartWorker, scan_settings: None
) -> None:
    domains = synthetic_domains(4)
    with mail_server(domains, provider="m365", latency_ms=1500) as server:
        start_worker(server)
        job = jobs.scan_job_start(domains=domains)
        chunk = ScanChunk.objects.filter(job=job)
        wait_for(
            lambda: chunk.filter(status=ChunkStatus.RUNNING).exists(),
            seconds=60,
            what="the chunk to start scanning",
        )
        with connection.cursor() as cursor:  # every backend but ours: the worker's
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchall(), "the worker had no connection to terminate"
        wait_for(job_finished(job), seconds=JOB_DEADLINE_SECONDS, what="the job")

    job.refresh_from_db()
    assert (job.status, job.succeeded, job.failed) == ("completed", 4, 0)
    only_chunk = chunk.get()
    assert (only_chunk.status, only_chunk.attempts) == (ChunkStatus.COMMITTED, 2)
    first_try = ScanOutcome.objects.filter(job=job, attempt=1)
    assert set(first_try.values_list("status", flat=True)) == {OutcomeStatus.FAILED}
    assert_each_domain_committed_once(job, domains)
    assert DomainSignals.objects.filter(company__domain__in=domains).count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_chunk_that_keeps_failing_is_set_aside_after_three_attempts_and_the_job_finishes(
    scan_settings: None, settings
) -> None:
    settings.HUNTER_SCAN_CHUNK_SIZE = 2
    settings.HUNTER_SCAN_CHUNK_MAX_ATTEMPTS = 3
    settings.HUNTER_DB_LOCK_TIMEOUT_MS = 200
    domains = synthetic_domains(3)
    Company.objects.create(domain=domains[0], canonical_name="Held")
    locked, release = threading.Event(), threading.Event()

    def hold_the_row() -> None:
        try:
            with transaction.atomic():
                Company.objects.select_for_update().get(domain=domains[0])
                locked.set()
                release.wait(60)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(10)
        with mail_server(domains, provider="m365") as server:
            settings.HUNTER_DNS_NAMESERVERS = env_nameservers("X", environ={"X": server.nameserver})
            job = jobs.scan_job_run_inline(
                job_id=jobs.scan_job_start(domains=domains, enqueue=False).id
            )
    finally:
        release.set()
        holder.join()

    assert (job.status, job.succeeded, job.failed, job.processed) == ("completed", 1, 2, 3)
    blocked = job.chunks.get(number=1)
    assert (blocked.status, blocked.attempts) == (ChunkStatus.SET_ASIDE, 3)
    assert "lock timeout" in blocked.last_error
    log = ScanOutcome.objects.filter(job=job, domain=domains[1]).order_by("attempt")
    assert list(log.values_list("attempt", "status")) == [
        (1, OutcomeStatus.FAILED),
        (2, OutcomeStatus.FAILED),
        (3, OutcomeStatus.SET_ASIDE),
    ]
    assert not DomainSignals.objects.filter(company__domain__in=domains[:2]).exists()
    assert DomainSignals.objects.filter(company__domain=domains[2]).exists()


@pytest.mark.django_db(transaction=True)
def test_two_jobs_over_the_same_domains_at_once_both_complete_without_deadlocks(
    scan_settings: None, settings
) -> None:
    domains = synthetic_domains(30)
    finished: dict[str, ScanJob] = {}
    errors: list[BaseException] = []
    start_together = threading.Barrier(2)

    def run(name: str, job_id: int) -> None:
        try:
            start_together.wait(10)
            finished[name] = jobs.scan_job_run_inline(job_id=job_id)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    with mail_server(domains, provider="m365", latency_ms=20) as server:
        settings.HUNTER_DNS_NAMESERVERS = env_nameservers("X", environ={"X": server.nameserver})
        settings.HUNTER_SCAN_CHUNK_SIZE = 4
        forward = jobs.scan_job_start(domains=domains, enqueue=False)
        settings.HUNTER_SCAN_CHUNK_SIZE = 7
        backward = jobs.scan_job_start(domains=domains[::-1], enqueue=False)
        threads = [
            threading.Thread(target=run, args=("forward", forward.id)),
            threading.Thread(target=run, args=("backward", backward.id)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

    assert errors == []
    for job in finished.values():
        assert (job.status, job.succeeded, job.failed) == (JobStatus.COMPLETED, 30, 0)
        assert_each_domain_committed_once(job, domains)
    failures = ScanOutcome.objects.exclude(status=OutcomeStatus.COMMITTED)
    assert list(failures.values_list("error", flat=True)) == []
    assert Company.objects.filter(domain__in=domains).count() == 30
    assert DomainSignals.objects.filter(company__domain__in=domains).count() == 30
    assert LeadScore.objects.filter(company__domain__in=domains).count() == 30
