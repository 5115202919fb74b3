"""Bulk scan jobs: a ScanJob row split into ScanChunk rows, each scanned and stored as a unit.

The flow:

* ``scan_job_start`` normalizes and de-duplicates the domains, writes the job and its chunks
  in one transaction and, once that commits, sends the parent task (``scan_job_send``). A
  broker that is down leaves the job pending, unsent; the recovery task sends it later.
* ``scan_job_dispatch`` (the parent task) marks the job running and sends one task per
  unfinished chunk; running it twice only sends duplicates the chunks ignore.
* ``scan_chunk_run`` holds the chunk (a session lock that dies with its worker, see
  scanning.holds), scans its domains with the engine, then stores them in ONE transaction:
  the chunk row is locked first, the lead service locks companies in domain order and keeps a
  savepoint per domain, and the job counters move with F(). A duplicate message for a held
  chunk is dropped. Transient database errors are retried with back-off; a chunk is set aside
  (its domains failed, the job goes on) after HUNTER_SCAN_CHUNK_MAX_ATTEMPTS errors, or after
  HUNTER_SCAN_CHUNK_MAX_LOST_WORKERS runs whose worker died under it.
* ``scan_job_finish_if_done`` completes the job with one conditional UPDATE, so of two
  workers finishing the last chunks at once exactly one marks it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import sentry_sdk
import structlog
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Case, Exists, F, OuterRef, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from leads.models import Company
from leads.services.scans import StoreReport, lead_scan_results_store
from leads.tasks import process_pending_alerts
from scanning.broker import BrokerUnavailable, publish
from scanning.caching import cached_scan, domain_invalidate
from scanning.config import engine_config
from scanning.db import (
    backoff_seconds,
    is_transient_db_error,
    reset_connection_after,
    set_local_timeouts,
)
from scanning.engine.normalize import normalize_free_text
from scanning.engine.scan import ScanResult
from scanning.holds import chunk_hold, chunk_release
from scanning.models import (
    ChunkStatus,
    JobKind,
    JobStatus,
    OutcomeStatus,
    ScanChunk,
    ScanJob,
    ScanOutcome,
)
from scanning.ratelimit import get_limiter, lookups_waiter

logger = structlog.get_logger("hunter.scanning.jobs")

FINISHED_CHUNK_STATUSES = (ChunkStatus.COMMITTED, ChunkStatus.SET_ASIDE)
HELD = "held"  # a run's report when another live run holds the chunk
NOT_SENT_MESSAGE = (
    "the task broker is unavailable: the job is queued and will be sent automatically "
    "once the broker is back"
)
REJECTED_INPUTS_KEPT = 100  # enough to show the user what was wrong, bounded for huge uploads
RESULT_SUMMARY_KEYS = ("status", "provider", "score", "segment", "priority_category", "message")


class NoValidDomains(ValueError):
    """None of the inputs of a job request is a domain (the API answers 422)."""


@dataclass(frozen=True)
class ChunkReport:
    """What one run of a chunk task did (its status afterwards and this run's counts)."""

    chunk_id: int
    status: str
    committed: int = 0
    failed: int = 0
    attempts: int = 0
    job_finished: bool = False  # this run completed the job


# --- starting a job ------------------------------------------------------------------------


def scan_job_start(
    *,
    domains: Sequence[str],
    kind: str = JobKind.SCAN,
    created_by: Any = None,
    options: dict[str, Any] | None = None,
    enqueue: bool = True,
) -> ScanJob:
    """Create a job with its chunks and (after commit) send it to the workers.

    Invalid inputs are dropped; raises NoValidDomains when nothing is left. When the broker
    cannot take the job it stays pending with ``dispatched_at`` empty (``job_send_failure``
    says why) and the recovery task sends it once the broker is back. ``enqueue=False`` leaves
    running it to the caller, in its own process (``scan_job_run_inline``).
    """
    accepted, rejected = domains_normalize(domains)
    if not accepted:
        raise NoValidDomains(_("No valid domains in the request."))
    chunk_size = settings.HUNTER_SCAN_CHUNK_SIZE
    job_options = {**(options or {}), "rejected": rejected[:REJECTED_INPUTS_KEPT]}
    with transaction.atomic():
        job = ScanJob.objects.create(
            kind=kind,
            total=len(accepted),
            chunk_size=chunk_size,
            created_by=created_by,
            options=job_options,
            runs_in_process=not enqueue,
        )
        ScanChunk.objects.bulk_create(
            ScanChunk(job=job, number=number, domains=part)
            for number, part in enumerate(_split(accepted, chunk_size), start=1)
        )
        if enqueue:
            transaction.on_commit(partial(scan_job_send, job_id=job.id))
    return job


def scan_job_send(*, job_id: int) -> bool:
    """Send the job's dispatch task; False when the broker is down (the job stays pending).

    The refusal is kept on the job (``dispatch_error``, shown in admin) rather than logged:
    the caller tells its user (a command prints one line, the recovery task logs its run).
    Sending twice is harmless: dispatching only sends the chunks that are not finished, and a
    chunk run ignores a chunk that is finished or held by another run.
    """
    from scanning.tasks import dispatch_scan_job  # the tasks module imports this one

    try:
        publish(dispatch_scan_job, job_id)
    except BrokerUnavailable as error:
        ScanJob.objects.filter(id=job_id).update(dispatch_error=str(error)[:500])
        return False
    ScanJob.objects.filter(id=job_id).update(dispatched_at=timezone.now(), dispatch_error="")
    return True


def job_send_failure(job: ScanJob) -> str:
    """Why the job's task could not be sent yet, or "" (sent, or not tried yet)."""
    job.refresh_from_db(fields=["dispatched_at", "dispatch_error"])
    return "" if job.dispatched_at else job.dispatch_error


def domains_normalize(inputs: Iterable[object]) -> tuple[list[str], list[str]]:
    """The distinct normalized domains in input order, and the inputs that are not domains."""
    accepted: dict[str, None] = {}
    rejected = []
    for value in inputs:
        domain = normalize_free_text(value).domain
        if domain:
            accepted.setdefault(domain)
        else:
            rejected.append(str(value)[:255])
    return list(accepted), rejected


def _split(items: Sequence[str], size: int) -> list[list[str]]:
    """``items`` in consecutive slices of at most ``size``."""
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def signalled_domains() -> list[str]:
    """Every company that has been scanned (has a signal row), in domain order."""
    return list(
        Company.objects.filter(signals__isnull=False)
        .order_by("domain")
        .values_list("domain", flat=True)
    )


def rescan_job_start_for_signalled(*, created_by: Any = None) -> ScanJob | None:
    """One rescan job over every company that has been scanned, or None when there is none."""
    domains = signalled_domains()
    if not domains:
        return None
    return scan_job_start(domains=domains, kind=JobKind.RESCAN, created_by=created_by)


# --- running a job -------------------------------------------------------------------------


def scan_job_dispatch(*, job_id: int) -> int:
    """Mark the job running and send a task per unfinished chunk; return how many went.

    A broker failure half-way raises BrokerUnavailable after stamping the chunks that were
    sent; the recovery task sends the rest.
    """
    ScanJob.objects.filter(id=job_id, status=JobStatus.PENDING).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    chunk_ids = list(
        ScanChunk.objects.filter(job_id=job_id)
        .exclude(status__in=FINISHED_CHUNK_STATUSES)
        .order_by("number")
        .values_list("id", flat=True)
    )
    sent = scan_chunks_send(chunk_ids=chunk_ids)
    scan_job_finish_if_done(job_id=job_id)  # a redelivered dispatch of a job already done
    return sent


def scan_chunks_send(*, chunk_ids: Sequence[int]) -> int:
    """Send one task per chunk and stamp those that went; BrokerUnavailable stops the loop."""
    from scanning.tasks import run_scan_chunk

    sent: list[int] = []
    try:
        for chunk_id in chunk_ids:
            publish(run_scan_chunk, chunk_id)
            sent.append(chunk_id)
    finally:
        ScanChunk.objects.filter(id__in=sent).update(dispatched_at=timezone.now())
    return len(sent)


def scan_job_run_inline(*, job_id: int) -> ScanJob:
    """Run every chunk of a job in this process, one after another (no worker needed)."""
    now = timezone.now()
    ScanJob.objects.filter(id=job_id, status=JobStatus.PENDING).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    chunk_ids = ScanChunk.objects.filter(job_id=job_id).order_by("number")
    for chunk_id in list(chunk_ids.values_list("id", flat=True)):
        scan_chunk_run(chunk_id=chunk_id)
    scan_job_finish_if_done(job_id=job_id)
    return ScanJob.objects.get(id=job_id)


def scan_job_finish_if_done(*, job_id: int) -> bool:
    """Complete a running job whose chunks are all committed or set aside; True if this did.

    One conditional UPDATE: when two workers finish the last two chunks at the same time, the
    later statement sees both commits, and the row lock lets only one flip the status.
    """
    unfinished = ScanChunk.objects.filter(job_id=OuterRef("pk")).exclude(
        status__in=FINISHED_CHUNK_STATUSES
    )
    updated = (
        ScanJob.objects.filter(id=job_id, status=JobStatus.RUNNING)
        .filter(~Exists(unfinished))
        .update(status=JobStatus.COMPLETED, finished_at=timezone.now())
    )
    if updated:
        # A (re)scan raises its alerts while it runs: deliver them now, not at the next tick.
        # robust: nothing after the job's completion may fail it.
        transaction.on_commit(_enqueue_alert_processing, robust=True)
    return updated == 1


def _enqueue_alert_processing() -> None:
    try:
        publish(process_pending_alerts)
    except BrokerUnavailable as error:  # beat's 5-minute run delivers them instead
        logger.warning("alert_processing_not_sent", error=str(error))


# --- one chunk -----------------------------------------------------------------------------


def scan_chunk_run(*, chunk_id: int) -> ChunkReport:
    """Scan and store one chunk, retrying transient database errors; safe to run twice.

    The run holds the chunk (scanning.holds) for its whole length: a second message for a
    chunk that a live worker holds is dropped, and one that finds the chunk left running by a
    dead worker counts a lost worker before it starts over.
    """
    chunk = ScanChunk.objects.select_related("job").filter(id=chunk_id).first()
    if chunk is None or chunk.status in FINISHED_CHUNK_STATUSES:
        return ChunkReport(chunk_id, chunk.status if chunk else "missing")
    if not chunk_hold(chunk_id):
        return ChunkReport(chunk_id, HELD)
    try:
        report = _run_held(chunk)
    finally:
        chunk_release(chunk_id)
    return replace(report, job_finished=scan_job_finish_if_done(job_id=chunk.job_id))


def _run_held(chunk: ScanChunk) -> ChunkReport:
    """Attempt after attempt until the chunk is committed or set aside, or another run has it."""
    claim = _claim(chunk, first=True)
    results: list[ScanResult] | None = None
    while claim is not None:
        if claim.lost_workers > settings.HUNTER_SCAN_CHUNK_MAX_LOST_WORKERS:
            reason = f"the worker was lost {claim.lost_workers} times while running this chunk"
            return _set_aside(chunk, claim.attempt, reason)
        try:
            if results is None:  # scan once; only the storing is retried
                results = _scan(_domains_to_scan(chunk), rescan=chunk.job.kind == JobKind.RESCAN)
            return _store_chunk(chunk, results, claim.attempt)
        except Exception as error:  # every failure is logged, then retried or set aside
            report = _after_failed_attempt(chunk, claim, error)
        if report is not None:
            return report
        if not chunk_hold(chunk.id):  # our session was reset and another run took the chunk
            return ChunkReport(chunk.id, HELD, attempts=claim.attempt)
        claim = _claim(chunk, first=False)
    return ChunkReport(chunk.id, _chunk_status(chunk.id))  # another run finished it meanwhile


@dataclass(frozen=True)
class _Claim:
    """The numbers of the attempt a run has just claimed."""

    attempt: int
    errors: int
    lost_workers: int


def _claim(chunk: ScanChunk, *, first: bool) -> _Claim | None:
    """Number the next attempt before it starts; None when the chunk is already finished.

    On a run's first claim, a chunk still marked running (or failed, between two attempts)
    was left by a run whose worker died: that counts as a lost worker, not as an error.
    """
    unfinished = ScanChunk.objects.filter(id=chunk.id).exclude(status__in=FINISHED_CHUNK_STATUSES)
    left_by_dead_run = When(status__in=(ChunkStatus.RUNNING, ChunkStatus.FAILED), then=1)
    lost = Case(left_by_dead_run, default=0) if first else Value(0)
    now = timezone.now()
    claimed = unfinished.update(
        status=ChunkStatus.RUNNING,
        attempts=F("attempts") + 1,
        lost_workers=F("lost_workers") + lost,
        claimed_at=now,
    )
    if not claimed:
        return None
    ScanJob.objects.filter(id=chunk.job_id).update(heartbeat_at=now)
    attempt, errors, lost_workers = ScanChunk.objects.values_list(
        "attempts", "errors", "lost_workers"
    ).get(id=chunk.id)
    return _Claim(attempt, errors, lost_workers)


def _chunk_status(chunk_id: int) -> str:
    return ScanChunk.objects.values_list("status", flat=True).get(id=chunk_id)


def _domains_to_scan(chunk: ScanChunk) -> list[str]:
    """The chunk's domains this job has not committed yet (a redelivered chunk skips them)."""
    done = set(
        ScanOutcome.objects.filter(
            job_id=chunk.job_id, domain__in=chunk.domains, status=OutcomeStatus.COMMITTED
        ).values_list("domain", flat=True)
    )
    return [domain for domain in chunk.domains if domain not in done]


def _scan(domains: list[str], *, rescan: bool = False) -> list[ScanResult]:
    """The engine's results for these domains, read through the caches; the rate limiter
    allows the lookups that are really made. A rescan forgets the cached entries first."""
    if rescan:
        domain_invalidate(domains)
    config = engine_config()
    return cached_scan(domains, config, before_lookups=lookups_waiter(get_limiter(), config))


def _after_failed_attempt(chunk: ScanChunk, claim: _Claim, error: Exception) -> ChunkReport | None:
    """Log the failed attempt; back off and return None to retry, or set the chunk aside."""
    reset_connection_after(error)
    message = f"{type(error).__name__}: {error}".strip()[:2000]
    errors = claim.errors + 1
    logger.warning(
        "scan_chunk_attempt_failed",
        job_id=chunk.job_id,
        chunk=chunk.number,
        attempt=claim.attempt,
        errors=errors,
        error=type(error).__name__,
    )
    retry = is_transient_db_error(error) and errors < settings.HUNTER_SCAN_CHUNK_MAX_ATTEMPTS
    if not retry:
        return _set_aside(chunk, claim.attempt, message, error=error)
    _log_failed_attempt(chunk, claim.attempt, message)
    time.sleep(backoff_seconds(errors))
    return None


def _log_failed_attempt(chunk: ScanChunk, attempt: int, message: str) -> None:
    """Outcome rows for an attempt that rolled back, so the log shows every try."""
    try:
        ScanChunk.objects.filter(id=chunk.id, status=ChunkStatus.RUNNING).update(
            status=ChunkStatus.FAILED, last_error=message, errors=F("errors") + 1
        )
        failures = dict.fromkeys(chunk.domains, message)
        _write_outcomes(chunk, attempt, failures, OutcomeStatus.FAILED)
    except DatabaseError as error:  # the database is still away; the next attempt will tell
        reset_connection_after(error)


def _store_chunk(chunk: ScanChunk, results: list[ScanResult], attempt: int) -> ChunkReport:
    """Everything the chunk writes, in one transaction with bounded lock waits."""
    with transaction.atomic():
        set_local_timeouts()
        locked = ScanChunk.objects.select_for_update().get(id=chunk.id)
        if locked.status in FINISHED_CHUNK_STATUSES:
            return ChunkReport(chunk.id, locked.status, attempts=attempt)
        stored = lead_scan_results_store(results=results, scan_token=chunk.job.public_id)
        committed, failed = _split_report(results, stored)
        _write_outcomes(chunk, attempt, committed, OutcomeStatus.COMMITTED)
        _write_outcomes(chunk, attempt, failed, OutcomeStatus.FAILED)
        ScanChunk.objects.filter(id=chunk.id).update(status=ChunkStatus.COMMITTED, last_error="")
        _count(chunk.job_id, succeeded=len(committed), failed=len(failed))
    return ChunkReport(chunk.id, ChunkStatus.COMMITTED, len(committed), len(failed), attempt)


def _split_report(
    results: list[ScanResult], stored: StoreReport
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Committed domains with their result summaries, and failed domains with their errors."""
    stored_domains = set(stored.stored)
    committed: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    for result in results:
        domain = result.domain or result.input
        if domain in stored.failed:
            failed[domain] = stored.failed[domain]
        elif domain in stored_domains:
            committed[domain] = _result_summary(result)
        else:  # the store said nothing about it: count it, never lose it silently
            failed[domain] = "not stored"
    return committed, failed


def _result_summary(result: ScanResult) -> dict[str, Any]:
    """The few fields a job's result list shows for one domain."""
    record = result.to_record()
    return {key: record.get(key) for key in RESULT_SUMMARY_KEYS}


def _write_outcomes(chunk: ScanChunk, attempt: int, by_domain: dict[str, Any], status: str) -> None:
    """Append one outcome row per domain; a row this attempt already wrote is left alone."""
    rows = [
        ScanOutcome(
            job_id=chunk.job_id,
            chunk_number=chunk.number,
            domain=domain,
            attempt=attempt,
            status=status,
            result=value if isinstance(value, dict) else {},
            error=value if isinstance(value, str) else "",
        )
        for domain, value in by_domain.items()
    ]
    ScanOutcome.objects.bulk_create(rows, ignore_conflicts=True)


def _set_aside(
    chunk: ScanChunk, attempt: int, message: str, *, error: Exception | None = None
) -> ChunkReport:
    """Give up on the chunk: its domains count as failed, with the error, and the job goes on.

    The last error is logged with its traceback and sent to Sentry: the message stored on the
    chunk tells an operator what happened, the traceback tells a developer where.
    """
    pending = _domains_to_scan(chunk)
    with transaction.atomic():
        moved = (
            ScanChunk.objects.filter(id=chunk.id)
            .exclude(status__in=FINISHED_CHUNK_STATUSES)
            .update(
                status=ChunkStatus.SET_ASIDE,
                last_error=message,
                errors=F("errors") + (1 if error is not None else 0),
            )
        )
        if moved:
            failures = dict.fromkeys(pending, message)
            _write_outcomes(chunk, attempt, failures, OutcomeStatus.SET_ASIDE)
            _count(chunk.job_id, succeeded=0, failed=len(pending))
    logger.error(
        "scan_chunk_set_aside",
        job_id=chunk.job_id,
        chunk=chunk.number,
        attempt=attempt,
        reason=message if error is None else type(error).__name__,
        exc_info=error,
    )
    if error is not None:  # the log line renders the traceback; Sentry needs the exception
        sentry_sdk.capture_exception(error)
    return ChunkReport(chunk.id, ChunkStatus.SET_ASIDE, 0, len(pending), attempt)


def _count(job_id: int, *, succeeded: int, failed: int) -> None:
    """Move the job's counters in the database (F()), so concurrent chunks never lose one."""
    ScanJob.objects.filter(id=job_id).update(
        processed=F("processed") + succeeded + failed,
        succeeded=F("succeeded") + succeeded,
        failed=F("failed") + failed,
        heartbeat_at=timezone.now(),
    )
