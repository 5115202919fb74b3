"""Reads of scan jobs and their outcomes, named ``<entity>_<action>`` with keyword-only
arguments."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from scanning.models import OutcomeStatus, ScanJob, ScanOutcome


def scan_job_get(*, public_id: uuid.UUID) -> ScanJob | None:
    """The job with this public id, or None."""
    return ScanJob.objects.filter(public_id=public_id).first()


def scan_job_failures(*, job: ScanJob, limit: int = 100) -> list[ScanOutcome]:
    """Domains of the job that ended failed or set aside (the last attempt's outcome of each).

    A domain whose chunk failed once and committed on a retry is not a failure.
    """
    committed = ScanOutcome.objects.filter(
        job=job,
        chunk_number=OuterRef("chunk_number"),
        domain=OuterRef("domain"),
        status=OutcomeStatus.COMMITTED,
    )
    outcomes = (
        ScanOutcome.objects.filter(job=job)
        .exclude(status=OutcomeStatus.COMMITTED)
        .exclude(Exists(committed))
        .order_by("chunk_number", "domain", "-attempt")
    )
    latest: dict[tuple[int, str], ScanOutcome] = {}
    for outcome in outcomes[: limit * settings.HUNTER_SCAN_CHUNK_MAX_ATTEMPTS]:
        latest.setdefault((outcome.chunk_number, outcome.domain), outcome)
    return list(latest.values())[:limit]


def scan_job_committed_domains(*, job: ScanJob) -> list[str]:
    """Domains the job stored, in chunk order."""
    rows = ScanOutcome.objects.filter(job=job, status=OutcomeStatus.COMMITTED)
    return list(
        dict.fromkeys(rows.order_by("chunk_number", "domain").values_list("domain", flat=True))
    )


def scan_job_options(job: ScanJob) -> dict[str, Any]:
    """The job's stored options (a dict even when the column holds something else)."""
    return job.options if isinstance(job.options, dict) else {}


def job_list() -> QuerySet[ScanJob]:
    """Every job, newest first, with the user who started it."""
    return ScanJob.objects.select_related("created_by").order_by("-created_at", "-id")


def job_outcomes(*, job: ScanJob) -> QuerySet[ScanOutcome]:
    """What happened to each domain of a job, in domain order (a retried chunk adds rows)."""
    return job.outcomes.order_by("domain", "attempt", "chunk_number")


def job_import(*, job: ScanJob) -> ScanJob | None:
    """The import job whose file this scan job scans (None for other jobs)."""
    if job.kind == "import":
        return job
    public_id = job.options.get("import_job")
    if not public_id:
        return None
    return ScanJob.objects.filter(public_id=public_id).first()


def job_import_errors(*, job: ScanJob | None) -> list[dict[str, Any]]:
    """The rows of an upload that were not imported (as stored on the import job)."""
    if job is None:
        return []
    report = job.options.get("report") or {}
    return list(report.get("errors") or [])
