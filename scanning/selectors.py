"""Reads of scan jobs and their outcomes, named ``<entity>_<action>``."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef

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
