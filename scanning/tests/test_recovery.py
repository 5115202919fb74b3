"""The recovery task finishes, fails or re-sends stalled work (scanning.services.recovery).

These run the service in this process against the real test database and, where something
is sent, the real test broker; "later" is given as ``now=``, never waited for. The round
trips through real workers (dropped messages, killed workers and imports, a broker that was
down) are in test_reliability.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from hunter.celery import app
from hunter.testing.celery_worker import purge_queue
from scanning import tasks
from scanning.models import ChunkStatus, JobKind, JobStatus, ScanChunk, ScanJob
from scanning.services import jobs, recovery

STALL = 300


@pytest.fixture
def stall(settings) -> int:
    settings.HUNTER_JOB_STALL_SECONDS = STALL
    return STALL


@pytest.fixture
def empty_queue() -> Iterator[str]:
    """The test broker's task queue, emptied before and after (this test sends into it)."""
    queue = str(app.conf.task_default_queue)
    purge_queue(queue)
    yield queue
    purge_queue(queue)


def later(seconds: float) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)


def import_job(**fields: object) -> ScanJob:
    now = timezone.now()
    values = {"started_at": now, "heartbeat_at": now, **fields}
    return ScanJob.objects.create(kind=JobKind.IMPORT, status=JobStatus.RUNNING, **values)


@pytest.mark.django_db
def test_an_import_whose_process_stopped_is_failed_with_a_reason_once_it_has_stalled(
    stall: int,
) -> None:
    job = import_job()

    assert recovery.scan_jobs_recover(now=later(stall - 5)).jobs_failed == 0
    assert ScanJob.objects.get(id=job.id).status == JobStatus.RUNNING

    report = recovery.scan_jobs_recover(now=later(stall + 5))

    job.refresh_from_db()
    assert report.jobs_failed == 1
    assert job.status == JobStatus.FAILED
    assert job.finished_at is not None
    assert "made no progress for 300 seconds" in job.error


@pytest.mark.django_db
def test_an_import_that_keeps_storing_batches_is_left_running(stall: int) -> None:
    job = import_job(heartbeat_at=later(stall))  # its last batch landed "just now"

    assert recovery.scan_jobs_recover(now=later(stall + 5)).jobs_failed == 0
    assert ScanJob.objects.get(id=job.id).status == JobStatus.RUNNING


@pytest.mark.django_db
def test_a_scan_run_in_a_process_that_stopped_is_failed_not_sent_to_workers(
    stall: int, empty_queue: str
) -> None:
    job = jobs.scan_job_start(domains=["contoso.com"], enqueue=False)  # e.g. rescan --sync

    report = recovery.scan_jobs_recover(now=later(stall + 5))

    assert (report.jobs_failed, report.jobs_sent, report.chunks_sent) == (1, 0, 0)
    assert ScanJob.objects.get(id=job.id).status == JobStatus.FAILED


@pytest.mark.django_db
def test_a_running_job_whose_chunks_all_finished_is_completed_even_though_no_worker_said_so(
    stall: int, empty_queue: str
) -> None:
    job = jobs.scan_job_start(domains=["contoso.com", "fabrikam.com"])  # never sent: in a test
    ScanJob.objects.filter(id=job.id).update(status=JobStatus.RUNNING, dispatched_at=later(0))
    job.chunks.update(status=ChunkStatus.COMMITTED)

    report = recovery.scan_jobs_recover()

    assert report.jobs_completed == 1
    assert ScanJob.objects.get(id=job.id).status == JobStatus.COMPLETED


@pytest.mark.django_db
def test_a_job_that_never_reached_the_broker_is_sent_on_the_next_run(
    stall: int, empty_queue: str, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):  # as if the process died here
        job = jobs.scan_job_start(domains=["contoso.com"])
    assert job.dispatched_at is None

    report = recovery.scan_jobs_recover()

    assert (report.jobs_sent, report.broker_unavailable) == (1, False)
    job.refresh_from_db()
    assert job.dispatched_at is not None
    assert ScanJob.objects.get(id=job.id).status == JobStatus.PENDING  # until a worker runs it
    assert recovery.scan_jobs_recover().jobs_sent == 0  # sent once, not on every run


@pytest.mark.django_db
def test_chunks_left_by_a_dead_worker_or_never_sent_are_sent_again_once_stalled(
    stall: int, empty_queue: str
) -> None:
    job = jobs.scan_job_start(domains=["a.test", "b.test", "c.test"], enqueue=False)
    ScanJob.objects.filter(id=job.id).update(status=JobStatus.RUNNING, runs_in_process=False)
    first, second, third = _three_chunks(job)
    now = timezone.now()
    ScanChunk.objects.filter(id=first.id).update(status=ChunkStatus.RUNNING, claimed_at=now)
    ScanChunk.objects.filter(id=second.id).update(status=ChunkStatus.COMMITTED)
    # The third was never sent: the dispatch died before reaching it.

    assert recovery.scan_jobs_recover(now=later(stall - 5)).chunks_sent == 0
    report = recovery.scan_jobs_recover(now=later(stall + 5))

    assert report.chunks_sent == 2
    sent = ScanChunk.objects.filter(job=job, dispatched_at__isnull=False)
    assert set(sent.values_list("id", flat=True)) == {first.id, third.id}


def _three_chunks(job: ScanJob) -> list[ScanChunk]:
    ScanChunk.objects.filter(job=job).delete()
    return [
        ScanChunk.objects.create(job=job, number=number, domains=[f"{name}.test"])
        for number, name in enumerate("abc", start=1)
    ]


@pytest.mark.django_db
def test_a_sent_pending_chunk_is_not_sent_again_while_messages_wait_in_the_queue(
    stall: int, empty_queue: str
) -> None:
    job = jobs.scan_job_start(domains=["a.test"], enqueue=False)
    ScanJob.objects.filter(id=job.id).update(status=JobStatus.RUNNING, runs_in_process=False)
    jobs.scan_chunks_send(chunk_ids=list(job.chunks.values_list("id", flat=True)))

    # Its message may still be behind other work: only an empty queue proves it was lost.
    assert recovery.scan_jobs_recover(now=later(stall + 5)).chunks_sent == 0
    purge_queue(empty_queue)
    assert recovery.scan_jobs_recover(now=later(stall + 5)).chunks_sent == 1


def test_the_recovery_task_is_registered_under_a_stable_name() -> None:
    assert tasks.recover_stalled_jobs.name == "scanning.recover_stalled_jobs"


# transaction=True: the scheduler closes the database connection, as beat does between ticks.
@pytest.mark.django_db(transaction=True)
def test_the_recovery_schedule_is_synced_into_admin_rows_by_the_beat_scheduler(settings) -> None:
    DatabaseScheduler(app=app)

    entry = PeriodicTask.objects.get(name="recover-stalled-jobs")
    assert entry.task == "scanning.recover_stalled_jobs"
    assert entry.interval is not None
    assert entry.interval.every == settings.HUNTER_JOB_RECOVERY_INTERVAL
    assert entry.enabled


@pytest.mark.django_db
def test_a_sent_job_still_pending_is_sent_again_once_stalled_and_nothing_is_queued(
    stall: int, empty_queue: str
) -> None:
    job = jobs.scan_job_start(domains=["contoso.com"])  # committed by the test: not yet sent
    assert jobs.scan_job_send(job_id=job.id)  # its dispatch message now waits in the queue

    assert recovery.scan_jobs_recover(now=later(stall - 5)).jobs_sent == 0
    assert recovery.scan_jobs_recover(now=later(stall + 5)).jobs_sent == 0  # still queued
    purge_queue(empty_queue)  # the message is lost
    assert recovery.scan_jobs_recover(now=later(stall + 5)).jobs_sent == 1
