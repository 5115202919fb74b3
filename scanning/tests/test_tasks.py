"""The scan job tasks through a real worker, and the beat schedule as admin shows it."""

from __future__ import annotations

import time

import pytest
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from hunter.celery import app
from hunter.testing.celery_worker import CeleryWorkerProcess
from hunter.testing.dns_server import DnsServer
from leads.models import DomainSignals
from scanning import tasks
from scanning.models import ChunkStatus, JobKind, JobStatus, ScanJob
from scanning.services import jobs

DOMAINS = ["contoso.com", "fabrikam.com", "adatum.com", "northwind.com", "nomail.com"]


@pytest.fixture
def scanning_worker(
    app_dns_server: DnsServer, monkeypatch: pytest.MonkeyPatch, settings, request
) -> CeleryWorkerProcess:
    """A worker started after the environment points it at the loopback DNS server."""
    monkeypatch.setenv("HUNTER_REGISTRATION_ENABLED", "false")
    settings.HUNTER_SCAN_CHUNK_SIZE = 2
    return request.getfixturevalue("celery_worker_process")


def wait_until_finished(job_id: int, seconds: float = 120) -> ScanJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = ScanJob.objects.get(id=job_id)
        if job.is_finished:
            return job
        time.sleep(0.2)
    pytest.fail(f"job {job_id} did not finish")


def test_tasks_take_ids_and_are_registered_under_stable_names() -> None:
    assert tasks.dispatch_scan_job.name == "scanning.dispatch_scan_job"
    assert tasks.run_scan_chunk.name == "scanning.run_scan_chunk"
    assert tasks.daily_rescan.name == "scanning.daily_rescan"
    assert app.conf.task_serializer == "json"
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_job_started_here_is_fanned_out_scanned_and_stored_by_the_worker(
    scanning_worker: CeleryWorkerProcess,
) -> None:
    job = jobs.scan_job_start(domains=DOMAINS)  # enqueued when the transaction commits

    finished = wait_until_finished(job.id)

    assert (finished.status, finished.succeeded, finished.failed) == (JobStatus.COMPLETED, 5, 0)
    assert finished.started_at is not None
    assert set(finished.chunks.values_list("status", flat=True)) == {ChunkStatus.COMMITTED}
    assert finished.chunks.count() == 3
    assert DomainSignals.objects.filter(company__domain__in=DOMAINS).count() == 5


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_daily_rescan_task_queues_a_rescan_job_that_the_worker_completes(
    scanning_worker: CeleryWorkerProcess,
) -> None:
    jobs.scan_job_run_inline(job_id=jobs.scan_job_start(domains=DOMAINS, enqueue=False).id)

    answer = tasks.daily_rescan.delay().get(timeout=60)

    rescan = wait_until_finished(answer["job_id"])
    assert answer["total"] == 5
    assert (rescan.kind, rescan.status, rescan.succeeded) == (JobKind.RESCAN, "completed", 5)


# transaction=True: the scheduler closes the database connection, as beat does between ticks.
@pytest.mark.django_db(transaction=True)
def test_the_daily_rescan_schedule_is_synced_into_admin_rows_by_the_beat_scheduler() -> None:
    DatabaseScheduler(app=app)

    entry = PeriodicTask.objects.get(name="daily-rescan")
    assert entry.task == "scanning.daily_rescan"
    assert entry.interval is not None
    assert (entry.interval.every, entry.interval.period) == (86_400, "seconds")
    assert entry.expire_seconds == 3_600
