"""Nothing waits forever: the periodic task that finds lost work and moves it on.

Beat runs ``scan_jobs_recover`` every HUNTER_JOB_RECOVERY_INTERVAL seconds (admin lists it as
``recover-stalled-jobs``). Work is "stalled" when nothing has touched it for
HUNTER_JOB_STALL_SECONDS. Each run:

1. completes running jobs whose chunks are all finished (the worker that stored the last
   chunk died before it could say so);
2. fails, with a reason, the jobs run by a process of their own (an upload import, a scan run
   without workers) that stalled: that process was killed and nothing else can resume it;
3. sends again the worker jobs that never reached the broker (it was down when they were
   started) or whose dispatch message is gone (still pending, stalled, and nothing queued);
4. sends again the chunks that no live worker holds (scanning.holds) and that are stalled:
   left running or failed by a dead worker, never sent because the dispatch was interrupted,
   or sent but no longer in the queue (a worker popped the message and died before the broker
   recorded it). A pending chunk whose message may still be queued is left alone.

Sending twice is harmless (a chunk run drops a finished or held chunk), so every step can be
generous. With the broker still down, steps 3 and 4 stop at the first refusal and the next
run tries again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from scanning.broker import BrokerUnavailable, queued_messages
from scanning.holds import held_chunk_ids
from scanning.models import ChunkStatus, JobKind, JobStatus, ScanChunk, ScanJob
from scanning.services.jobs import (
    FINISHED_CHUNK_STATUSES,
    scan_chunks_send,
    scan_job_finish_if_done,
    scan_job_send,
)

logger = structlog.get_logger("hunter.scanning.recovery")

STOPPED_REASON = (
    "Stopped: the process running this job made no progress for {seconds} seconds "
    "(it was probably killed or restarted). Start it again."
)


@dataclass
class RecoveryReport:
    """What one recovery run did."""

    jobs_completed: int = 0
    jobs_failed: int = 0
    jobs_sent: int = 0
    chunks_sent: int = 0
    broker_unavailable: bool = False

    def as_dict(self) -> dict[str, int | bool]:
        return asdict(self)


def scan_jobs_recover(*, now: datetime | None = None) -> RecoveryReport:
    """Complete, fail or re-send the jobs and chunks that are stalled (see the module doc)."""
    now = now or timezone.now()
    stalled_before = now - timedelta(seconds=settings.HUNTER_JOB_STALL_SECONDS)
    report = RecoveryReport()
    report.jobs_completed = _complete_finished_jobs()
    report.jobs_failed = _fail_stopped_in_process_jobs(stalled_before, now)
    try:
        report.jobs_sent = _send_unsent_jobs(stalled_before)
        report.chunks_sent = _send_stalled_chunks(stalled_before)
    except BrokerUnavailable as error:
        report.broker_unavailable = True
        logger.warning("job_recovery_broker_unavailable", error=str(error))
    if any(report.as_dict().values()):
        logger.info("job_recovery", **report.as_dict())
    return report


def _worker_jobs() -> QuerySet[ScanJob]:
    return ScanJob.objects.exclude(kind=JobKind.IMPORT).filter(runs_in_process=False)


def _complete_finished_jobs() -> int:
    unfinished = ScanChunk.objects.filter(job_id=OuterRef("pk")).exclude(
        status__in=FINISHED_CHUNK_STATUSES
    )
    done = (
        ScanJob.objects.exclude(kind=JobKind.IMPORT)
        .filter(status=JobStatus.RUNNING)
        .filter(~Exists(unfinished))
        .values_list("id", flat=True)
    )
    return sum(scan_job_finish_if_done(job_id=job_id) for job_id in list(done))


def _fail_stopped_in_process_jobs(stalled_before: datetime, now: datetime) -> int:
    """Imports and inline scans whose process stopped: no one else can finish them."""
    in_process = Q(kind=JobKind.IMPORT) | Q(runs_in_process=True)
    last_sign = Coalesce("heartbeat_at", "started_at", "created_at")
    stopped = (
        ScanJob.objects.filter(in_process, status__in=(JobStatus.PENDING, JobStatus.RUNNING))
        .alias(last_sign=last_sign)
        .filter(last_sign__lte=stalled_before)
    )
    reason = STOPPED_REASON.format(seconds=settings.HUNTER_JOB_STALL_SECONDS)
    failed = stopped.update(status=JobStatus.FAILED, error=reason, finished_at=now)
    if failed:
        logger.warning("jobs_stopped_marked_failed", jobs=failed)
    return failed


def _send_unsent_jobs(stalled_before: datetime) -> int:
    """Jobs never sent, and jobs sent but still pending long after with nothing queued."""
    pending = _worker_jobs().filter(status=JobStatus.PENDING)
    job_ids = list(pending.filter(dispatched_at__isnull=True).values_list("id", flat=True))
    stale = pending.filter(dispatched_at__lte=stalled_before)
    if stale.exists() and _queue_is_empty():  # else their message may wait behind others
        job_ids += list(stale.values_list("id", flat=True))
    for count, job_id in enumerate(sorted(job_ids)):
        if not scan_job_send(job_id=job_id):
            raise BrokerUnavailable(f"{count} of {len(job_ids)} unsent jobs sent")
    return len(job_ids)


def _send_stalled_chunks(stalled_before: datetime) -> int:
    last_touch = Greatest(
        Coalesce("dispatched_at", "created_at"), Coalesce("claimed_at", "created_at")
    )
    stalled = (
        ScanChunk.objects.filter(
            job__in=_worker_jobs().filter(status=JobStatus.RUNNING),
            status__in=(ChunkStatus.PENDING, ChunkStatus.RUNNING, ChunkStatus.FAILED),
        )
        .alias(last_touch=last_touch)
        .filter(last_touch__lte=stalled_before)
    )
    candidates = list(stalled.order_by("job_id", "number").values("id", "status", "dispatched_at"))
    if not candidates:
        return 0
    held = held_chunk_ids(chunk["id"] for chunk in candidates)
    maybe_queued = [
        chunk
        for chunk in candidates
        if chunk["status"] == ChunkStatus.PENDING and chunk["dispatched_at"] is not None
    ]
    # A pending chunk that was sent may still wait in the queue behind other work; only an
    # empty queue proves its message is gone.
    queue_empty = not maybe_queued or _queue_is_empty()
    to_send = [
        chunk["id"]
        for chunk in candidates
        if chunk["id"] not in held and (queue_empty or chunk not in maybe_queued)
    ]
    return scan_chunks_send(chunk_ids=to_send)


def _queue_is_empty() -> bool:
    from celery import current_app

    return queued_messages(str(current_app.conf.task_default_queue)) == 0
