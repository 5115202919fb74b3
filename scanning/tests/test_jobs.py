"""Scan jobs as rows: starting, chunking, running a chunk, finishing (scanning.services.jobs).

Chunks run in this process against the loopback DNS server and the real test database; the
worker round trips are in test_tasks.py and test_reliability.py.
"""

from __future__ import annotations

from typing import Any

import pytest
import sentry_sdk
from django.core.cache import cache
from django.db import connection
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from hunter.testing.dns_server import DnsServer
from hunter.testing.sessions import held_elsewhere
from leads.caching import dashboard_cache_key
from leads.models import Company, DomainSignals
from leads.selectors import lead_data_version
from scanning.holds import chunk_hold, chunk_release, held_chunk_ids
from scanning.models import (
    ChunkStatus,
    JobKind,
    JobStatus,
    OutcomeStatus,
    ScanChunk,
    ScanJob,
    ScanOutcome,
)
from scanning.services import jobs
from scanning.tasks import run_scan_chunk

ZONE_DOMAINS = ["contoso.com", "fabrikam.com", "adatum.com", "northwind.com", "nomail.com"]


@pytest.fixture
def scanning_setup(app_dns_server: DnsServer, settings) -> DnsServer:
    """Scans read the loopback DNS server; no registration lookups (they would leave 127/8)."""
    settings.HUNTER_REGISTRATION_ENABLED = False
    settings.HUNTER_SCAN_CHUNK_SIZE = 2
    settings.HUNTER_SCAN_RETRY_BACKOFF = 0.01
    return app_dns_server


@pytest.mark.django_db
def test_starting_a_job_normalizes_deduplicates_and_splits_into_chunks(settings) -> None:
    settings.HUNTER_SCAN_CHUNK_SIZE = 2
    inputs = ["Contoso.com", "https://contoso.com/about", "b@fabrikam.com", "adatum.com", "?!"]

    job = jobs.scan_job_start(domains=inputs, enqueue=False)

    assert job.total == 3
    assert job.status == JobStatus.PENDING
    assert job.options["rejected"] == ["?!"]
    chunks = list(job.chunks.order_by("number").values_list("number", "domains"))
    assert chunks == [(1, ["contoso.com", "fabrikam.com"]), (2, ["adatum.com"])]


@pytest.mark.django_db
def test_a_request_without_any_domain_is_refused_and_creates_no_job() -> None:
    with pytest.raises(jobs.NoValidDomains):
        jobs.scan_job_start(domains=["", "not a domain", "@"], enqueue=False)
    assert not ScanChunk.objects.exists()


@pytest.mark.django_db
def test_the_parent_task_is_enqueued_only_when_the_job_commits(
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        jobs.scan_job_start(domains=["contoso.com"])
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        jobs.scan_job_start(domains=["contoso.com"], enqueue=False)
    assert callbacks == []


@pytest.mark.django_db(transaction=True)
def test_running_a_job_inline_stores_every_domain_and_counts_it_once(scanning_setup) -> None:
    job = jobs.scan_job_start(domains=ZONE_DOMAINS, enqueue=False)

    finished = jobs.scan_job_run_inline(job_id=job.id)

    assert finished.status == JobStatus.COMPLETED
    assert (finished.processed, finished.succeeded, finished.failed) == (5, 5, 0)
    assert finished.finished_at is not None
    assert set(job.chunks.values_list("status", flat=True)) == {ChunkStatus.COMMITTED}
    assert DomainSignals.objects.filter(company__domain__in=ZONE_DOMAINS).count() == 5
    committed = ScanOutcome.objects.filter(job=job, status=OutcomeStatus.COMMITTED)
    assert sorted(committed.values_list("domain", flat=True)) == sorted(ZONE_DOMAINS)
    contoso = committed.get(domain="contoso.com")
    assert contoso.result["provider"] == "M365"
    assert contoso.attempt == 1


@pytest.mark.django_db(transaction=True)
def test_running_a_committed_chunk_again_changes_nothing(scanning_setup: DnsServer) -> None:
    job = jobs.scan_job_start(domains=ZONE_DOMAINS[:2], enqueue=False)
    jobs.scan_job_run_inline(job_id=job.id)
    chunk = job.chunks.get()
    scanning_setup.reset_counts()

    report = jobs.scan_chunk_run(chunk_id=chunk.id)

    assert report.status == ChunkStatus.COMMITTED
    assert scanning_setup.total_queries() == 0  # a redelivered chunk does not scan again
    job.refresh_from_db()
    assert (job.processed, job.succeeded) == (2, 2)
    assert ScanOutcome.objects.filter(job=job).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_chunk_left_failed_by_an_earlier_attempt_is_retried_with_a_new_attempt_number(
    scanning_setup,
) -> None:
    job = jobs.scan_job_start(domains=["contoso.com"], enqueue=False)
    job.chunks.update(status=ChunkStatus.FAILED, attempts=1, last_error="deadlock detected")
    ScanJob.objects.filter(id=job.id).update(status=JobStatus.RUNNING)

    report = jobs.scan_chunk_run(chunk_id=job.chunks.get().id)

    assert (report.status, report.attempts, report.committed) == (ChunkStatus.COMMITTED, 2, 1)
    assert job.chunks.get().last_error == ""
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_a_chunk_left_running_by_dead_workers_runs_again_counting_lost_workers_not_errors(
    scanning_setup, settings
) -> None:
    settings.HUNTER_SCAN_CHUNK_MAX_ATTEMPTS = 3
    job = jobs.scan_job_start(domains=["contoso.com", "fabrikam.com"], enqueue=False)
    chunk = job.chunks.get()
    # Three runs claimed the chunk and their workers died (the lock died with them).
    ScanChunk.objects.filter(id=chunk.id).update(
        status=ChunkStatus.RUNNING, attempts=3, lost_workers=2
    )

    report = jobs.scan_chunk_run(chunk_id=chunk.id)

    assert (report.status, report.attempts, report.committed) == (ChunkStatus.COMMITTED, 4, 2)
    chunk.refresh_from_db()
    assert (chunk.lost_workers, chunk.errors) == (3, 0)


@pytest.mark.django_db(transaction=True)
def test_a_chunk_whose_worker_died_too_often_is_set_aside_and_the_job_finishes(
    scanning_setup, settings
) -> None:
    settings.HUNTER_SCAN_CHUNK_MAX_LOST_WORKERS = 4
    job = jobs.scan_job_start(domains=["contoso.com", "fabrikam.com", "adatum.com"], enqueue=False)
    first = job.chunks.get(number=1)
    # Four runs of the first chunk died under it; this one finds it left running again.
    ScanChunk.objects.filter(id=first.id).update(
        status=ChunkStatus.RUNNING, attempts=5, lost_workers=4
    )

    finished = jobs.scan_job_run_inline(job_id=job.id)

    assert finished.status == JobStatus.COMPLETED
    assert (finished.processed, finished.succeeded, finished.failed) == (3, 1, 2)
    first.refresh_from_db()
    assert (first.status, first.lost_workers, first.errors) == (ChunkStatus.SET_ASIDE, 5, 0)
    assert "worker was lost 5 times" in first.last_error
    set_aside = ScanOutcome.objects.filter(job=job, status=OutcomeStatus.SET_ASIDE)
    assert sorted(set_aside.values_list("domain", flat=True)) == ["contoso.com", "fabrikam.com"]
    assert not Company.objects.filter(domain="contoso.com").exists()


@pytest.mark.django_db(transaction=True)
def test_a_second_run_of_a_chunk_that_a_live_run_holds_is_dropped_without_scanning(
    scanning_setup: DnsServer,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("chunk holds are PostgreSQL session locks")
    job = jobs.scan_job_start(domains=["contoso.com"], enqueue=False)
    chunk = job.chunks.get()
    with held_elsewhere(lambda: chunk_hold(chunk.id), lambda: chunk_release(chunk.id)):
        report = jobs.scan_chunk_run(chunk_id=chunk.id)
        assert held_chunk_ids([chunk.id]) == {chunk.id}

    assert report.status == jobs.HELD
    assert scanning_setup.total_queries() == 0
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts) == (ChunkStatus.PENDING, 0)
    assert held_chunk_ids([chunk.id]) == set()


@pytest.mark.django_db
def test_a_job_finishes_only_once_every_chunk_is_committed_or_set_aside(settings) -> None:
    settings.HUNTER_SCAN_CHUNK_SIZE = 2
    job = jobs.scan_job_start(domains=["a.com", "b.com", "c.com"], enqueue=False)
    ScanJob.objects.filter(id=job.id).update(status=JobStatus.RUNNING)
    first, second = job.chunks.order_by("number")
    ScanChunk.objects.filter(id=first.id).update(status=ChunkStatus.COMMITTED)
    assert jobs.scan_job_finish_if_done(job_id=job.id) is False

    ScanChunk.objects.filter(id=second.id).update(status=ChunkStatus.SET_ASIDE)
    assert jobs.scan_job_finish_if_done(job_id=job.id) is True
    assert jobs.scan_job_finish_if_done(job_id=job.id) is False  # already completed
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_the_daily_rescan_covers_every_scanned_company_as_one_rescan_job(scanning_setup) -> None:
    jobs.scan_job_run_inline(job_id=jobs.scan_job_start(domains=ZONE_DOMAINS, enqueue=False).id)
    Company.objects.create(domain="never-scanned.com", canonical_name="Never scanned")

    rescan = jobs.rescan_job_start_for_signalled()

    assert rescan is not None
    assert rescan.kind == JobKind.RESCAN
    assert rescan.total == 5
    assert "never-scanned.com" not in {d for c in rescan.chunks.all() for d in c.domains}


@pytest.mark.django_db
def test_the_daily_rescan_with_nothing_scanned_creates_no_job() -> None:
    assert jobs.rescan_job_start_for_signalled() is None


class CollectingTransport(Transport):
    """Keeps Sentry's events in memory: nothing leaves the machine."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        event = envelope.get_event()
        if event is not None:
            self.events.append(dict(event))


@pytest.mark.django_db(transaction=True)
def test_a_chunk_set_aside_logs_its_error_with_the_traceback_and_sends_it_to_sentry(
    scanning_setup, settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.HUNTER_SCAN_CHUNK_MAX_ATTEMPTS = 1
    settings.HUNTER_DB_LOCK_TIMEOUT_MS = 100
    Company.objects.create(domain="contoso.com", canonical_name="Held")
    job = jobs.scan_job_start(domains=["contoso.com"], enqueue=False)
    sentry = CollectingTransport()
    sentry_sdk.init(dsn="https://key@127.0.0.1/1", transport=sentry)
    lock = held_elsewhere(lambda: Company.objects.select_for_update().get(domain="contoso.com"))
    try:
        with lock:  # the chunk's store meets a lock timeout on its only allowed attempt
            report = jobs.scan_chunk_run(chunk_id=job.chunks.get().id)
    finally:
        sentry_sdk.init()  # back to no client: nothing else reports

    assert report.status == ChunkStatus.SET_ASIDE
    logged = [record.msg for record in caplog.records if isinstance(record.msg, dict)]
    set_aside = next(line for line in logged if line["event"] == "scan_chunk_set_aside")
    assert set_aside["exc_info"].__traceback__ is not None  # rendered with the log line
    exceptions = [event for event in sentry.events if "exception" in event]
    assert exceptions, "the set-aside error never reached Sentry"
    frames = exceptions[0]["exception"]["values"][-1]["stacktrace"]["frames"]
    assert any(frame["module"] == "scanning.services.jobs" for frame in frames)


@pytest.mark.django_db(transaction=True)
def test_the_chunk_task_that_finishes_a_job_leaves_the_dashboard_computed(
    scanning_setup: DnsServer, settings
) -> None:
    settings.HUNTER_SCAN_CHUNK_SIZE = 1
    job = jobs.scan_job_start(domains=ZONE_DOMAINS[:2], enqueue=False)
    ScanJob.objects.filter(id=job.id).update(status=JobStatus.RUNNING)  # as dispatched
    first, last = job.chunks.order_by("number")

    run_scan_chunk(first.id)
    # Not after every chunk: at 100,000 leads that would cost as much as scanning one.
    assert cache.get(dashboard_cache_key()) is None
    run_scan_chunk(last.id)

    held = cache.get(dashboard_cache_key())
    assert held["version"] == lead_data_version()  # the next viewer computes nothing
    scored = Company.objects.filter(score__score__isnull=False).count()
    assert held["kpis"]["total_leads"] == scored
