"""Reads of scan jobs for the pages, named ``<entity>_<action>`` with keyword-only arguments."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from scanning.models import ScanJob, ScanOutcome


def job_list() -> QuerySet[ScanJob]:
    """Every job, newest first, with the user who started it."""
    return ScanJob.objects.select_related("created_by").order_by("-created_at", "-id")


def job_get(*, public_id: uuid.UUID) -> ScanJob | None:
    """One job by its public id, or None."""
    return ScanJob.objects.filter(public_id=public_id).first()


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
