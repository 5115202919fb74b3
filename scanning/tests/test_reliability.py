"""Bulk scans survive crashes: killed workers, dropped connections, locked rows, rival jobs.

Everything here is real: PostgreSQL, the Redis broker, ``celery worker`` subprocesses and
loopback DNS servers. Waits have generous deadlines (they bound a hang, they time nothing).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from hunter.celery import app
from hunter.env import env_nameservers
from hunter.testing.celery_worker import CeleryWorkerProcess, database_url_for, purge_queue
from hunter.testing.dns_server import DnsServer
from hunter.testing.redis_server import RedisServerProcess, celery_broker_at
from hunter.testing.sessions import held_elsewhere
from leads.models import (
    Alert,
    Company,
    DomainSignals,
    LeadScore,
    ProviderChangeHistory,
    ScoreChangeHistory,
    SignalChangeHistory,
)
from scanning.broker import queued_messages
from scanning.caching import domain_invalidate
from scanning.holds import held_chunk_ids
from scanning.models import (
    ChunkStatus,
    JobKind,
    JobStatus,
    OutcomeStatus,
    ScanChunk,
    ScanJob,
    ScanOutcome,
)
from scanning.services import jobs, recovery

pytestmark = pytest.mark.slow

ZONE = "rel.test"
JOB_DEADLINE_SECONDS = 120.0
StartWorker = Callable[..., CeleryWorkerProcess]


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

    def start(server: DnsServer, **env: str) -> CeleryWorkerProcess:
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
                **env,
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
    # The next scan asks another DNS server about the same names: forget what this one said,
    # or the scan caches would serve its answers again.
    domain_invalidate(domains)


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
    fields = ("job_id", "number", "status", "attempts", "errors", "lost_workers")
    states = list(ScanChunk.objects.values_list(*fields))
    tail = worker.log_tail() if worker is not None else "(no worker)"
    return f"chunks {fields}: {states}\nworker log:\n{tail}"


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
    held_row = held_elsewhere(lambda: Company.objects.select_for_update().get(domain=domains[0]))
    with held_row, mail_server(domains, provider="m365") as server:
        settings.HUNTER_DNS_NAMESERVERS = env_nameservers("X", environ={"X": server.nameserver})
        started = jobs.scan_job_start(domains=domains, enqueue=False)
        job = jobs.scan_job_run_inline(job_id=started.id)

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


# --- nothing waits forever: lost messages, killed processes, a broker that was down ---------


def stalled_later() -> datetime:
    """A moment at which everything not touched since now counts as stalled."""
    return timezone.now() + timedelta(seconds=settings.HUNTER_JOB_STALL_SECONDS + 1)


def queue_is_empty() -> bool:
    return queued_messages(str(app.conf.task_default_queue)) == 0


def drop_next_message() -> None:
    """Remove the message a worker would take next, as a broker that lost it would."""
    with app.connection_for_write() as broker:
        client: Any = broker.default_channel.client  # type: ignore[attr-defined]
        assert client.rpop(str(app.conf.task_default_queue)) is not None


@pytest.mark.django_db(transaction=True)
def test_a_chunk_whose_message_was_lost_is_sent_again_by_recovery_and_the_job_completes(
    start_worker: StartWorker, scan_settings: None, settings
) -> None:
    settings.HUNTER_SCAN_CHUNK_SIZE = 4
    domains = synthetic_domains(12)
    job = jobs.scan_job_start(domains=domains)
    purge_queue(str(app.conf.task_default_queue))  # no worker yet: drop its dispatch message
    jobs.scan_job_dispatch(job_id=job.id)  # the three chunk messages...
    drop_next_message()  # ...of which the first is lost
    chunks = ScanChunk.objects.filter(job=job)
    with mail_server(domains, provider="m365") as server:
        worker = start_worker(server)
        wait_for(
            lambda: chunks.filter(status=ChunkStatus.COMMITTED).count() == 2 and queue_is_empty(),
            seconds=60,
            what="the two chunks whose messages arrived",
            worker=worker,
        )
        assert chunks.get(number=1).status == ChunkStatus.PENDING  # it would wait forever

        report = recovery.scan_jobs_recover(now=stalled_later())

        assert report.chunks_sent == 1
        wait_for(job_finished(job), seconds=JOB_DEADLINE_SECONDS, what="the job", worker=worker)
    job.refresh_from_db()
    assert (job.status, job.succeeded, job.failed) == (JobStatus.COMPLETED, 12, 0)
    assert_each_domain_committed_once(job, domains)


@pytest.mark.django_db(transaction=True)
def test_a_job_started_with_the_broker_stopped_stays_queued_and_is_sent_once_it_is_back(
    start_worker: StartWorker, scan_settings: None, tmp_path: Path
) -> None:
    domains = synthetic_domains(6)
    broker = RedisServerProcess(tmp_path)
    broker.start()
    with celery_broker_at(broker.url()):
        broker.stop()
        job = jobs.scan_job_start(domains=domains)  # answers: the publish has a timeout

        assert "broker is unavailable" in jobs.job_send_failure(job)
        assert ScanJob.objects.get(id=job.id).status == JobStatus.PENDING
        assert recovery.scan_jobs_recover().broker_unavailable  # still down: tried, kept

        broker.start()
        with mail_server(domains, provider="m365") as server:
            worker = start_worker(server, CELERY_BROKER_URL=broker.url())
            assert recovery.scan_jobs_recover().jobs_sent == 1
            wait_for(job_finished(job), seconds=JOB_DEADLINE_SECONDS, what="job", worker=worker)
            worker.stop()
    broker.stop()
    job.refresh_from_db()
    assert (job.status, job.succeeded, job.dispatch_error) == (JobStatus.COMPLETED, 6, "")
    assert_each_domain_committed_once(job, domains)


def run_command(*args: str, broker_url: str) -> subprocess.CompletedProcess[str]:
    """``manage.py`` in a child process on the test database and the given broker."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for(connection.settings_dict),
        "CELERY_BROKER_URL": broker_url,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # bounds a hang; the command answers in a few seconds
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str]) -> None:
    """Exit status 3 and one line about the broker (an import also logs its summary)."""
    assert result.returncode == 3, result.stderr
    about_broker = [line for line in result.stderr.splitlines() if "broker" in line]
    assert about_broker == [f"CommandError: {jobs.NOT_SENT_MESSAGE}"]
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.django_db(transaction=True)
def test_rescan_and_import_with_scan_answer_in_one_line_with_the_broker_frozen_or_stopped(
    tmp_path: Path,
) -> None:
    broker = RedisServerProcess(tmp_path)
    broker.start()
    broker.freeze()  # SIGSTOP: connections are accepted, nothing ever answers
    try:
        rescan = run_command("rescan", "--no-wait", "contoso.com", broker_url=broker.url())
    finally:
        broker.stop()
    sheet = tmp_path / "leads.csv"
    sheet.write_text("domain\nfabrikam.com\nadatum.com\n")
    imported = run_command("import_domains", str(sheet), "--scan", broker_url=broker.url())

    assert_one_clear_line(rescan)
    assert_one_clear_line(imported)
    assert "unique domains imported: 2" in imported.stdout
    queued = ScanJob.objects.exclude(kind=JobKind.IMPORT)
    assert sorted(queued.values_list("kind", "status", "total")) == [
        (JobKind.RESCAN, JobStatus.PENDING, 1),
        (JobKind.SCAN, JobStatus.PENDING, 2),
    ]
    assert all(job.dispatch_error and not job.dispatched_at for job in queued)


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_process_is_killed_midway_is_failed_by_recovery_with_its_rows_once(
    tmp_path: Path,
) -> None:
    sheet = tmp_path / "big.csv"
    sheet.write_text("domain\n" + "".join(f"c{n:05d}.{ZONE}\n" for n in range(20_000)))
    env = {**os.environ, "DATABASE_URL": database_url_for(connection.settings_dict)}
    child = subprocess.Popen(
        [sys.executable, "manage.py", "import_domains", str(sheet)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    imports = ScanJob.objects.filter(kind=JobKind.IMPORT)
    try:
        wait_for(imports.exists, seconds=60, what="the import to start")
        job_id = imports.get().id
        # Its next batch (or its finish) waits on the job row.
        with held_elsewhere(lambda: ScanJob.objects.select_for_update().get(id=job_id)):
            wait_for(import_waits_on_a_lock, seconds=60, what="the import to block")
            child.kill()
            child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    job = imports.get()
    assert job.status == JobStatus.RUNNING  # nobody will ever finish it

    report = recovery.scan_jobs_recover(now=stalled_later())

    job.refresh_from_db()
    assert (report.jobs_failed, job.status) == (1, JobStatus.FAILED)
    assert "made no progress" in job.error
    # The batches that committed before the kill are there, each domain once.
    stored = Company.objects.filter(domain__endswith=f".{ZONE}")
    assert stored.count() == job.succeeded < 20_000
    assert not stored.values("domain").annotate(n=Count("id")).filter(n__gt=1).exists()


def import_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_workers_killed_again_and_again_under_the_same_chunk_lose_nothing_and_set_none_aside(
    start_worker: StartWorker, scan_settings: None, settings
) -> None:
    settings.HUNTER_SCAN_CHUNK_SIZE = 20
    domains = synthetic_domains(200)
    rounds = 3  # a chunk's holder is killed three times: the old error bound (3 attempts)
    chunks = ScanChunk.objects.filter(status=ChunkStatus.RUNNING)
    kills = 0
    # Slow answers keep a chunk running for seconds, long enough to be caught and killed.
    with mail_server(domains, provider="m365", latency_ms=2000) as server:
        # A killed chunk comes back 30 s after it was first delivered: by then both workers
        # have restarted, so its next run can be caught too. (At 20 s a worker that took
        # over 30 s to start on a loaded machine let the chunk's next run finish unseen.)
        workers = [
            # Without the scan caches: a run killed while storing has cached every answer,
            # and its redelivered run would finish before it could be caught again.
            start_worker(
                server,
                HUNTER_SCAN_CHUNK_MAX_ATTEMPTS="3",
                HUNTER_BROKER_VISIBILITY_TIMEOUT="30",
                HUNTER_CACHE_ENABLED="false",
            )
            for _ in range(2)
        ]
        job = jobs.scan_job_start(domains=domains)
        for done in range(rounds):
            # The chunk killed last time is running again (redelivered), in a live worker.
            wait_for(
                partial(running_in_a_live_worker, chunks.filter(lost_workers__gte=done)),
                seconds=120,
                what=f"a chunk that lost {done} workers to run again",
                worker=workers[0],
            )
            for worker in workers:
                worker.kill()
                kills += 1
            start_together(workers)
        wait_for_with_recovery(job, workers[0])

    job.refresh_from_db()
    assert kills == 2 * rounds
    assert (job.status, job.succeeded, job.failed) == (JobStatus.COMPLETED, 200, 0)
    assert_each_domain_committed_once(job, domains)
    assert DomainSignals.objects.filter(company__domain__in=domains).count() == 200
    chunk_rows = ScanChunk.objects.filter(job=job)
    assert set(chunk_rows.values_list("status", flat=True)) == {ChunkStatus.COMMITTED}
    assert max(chunk_rows.values_list("lost_workers", flat=True)) >= rounds
    assert set(chunk_rows.values_list("errors", flat=True)) == {0}


def start_together(workers: list[CeleryWorkerProcess]) -> None:
    """Start the workers at once (each start waits for its worker to answer a ping)."""
    threads = [threading.Thread(target=worker.start) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)


def running_in_a_live_worker(chunks: Any) -> bool:
    return bool(held_chunk_ids(chunks.values_list("id", flat=True)))


def wait_for_with_recovery(job: ScanJob, worker: CeleryWorkerProcess) -> None:
    """Wait for the job while running the recovery task now and then, as beat would.

    A worker killed after popping a message but before the broker recorded it as unacknowledged
    loses that message for good; the recovery task is what brings such a chunk back.
    """
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    while not ScanJob.objects.get(id=job.id).is_finished:
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for the job\n{diagnostics(worker)}")
        recovery.scan_jobs_recover(now=stalled_later())
        time.sleep(2)
