"""Job, upload and rescan responses in the field names old clients read."""

from __future__ import annotations

from typing import Any

from leads import selectors as lead_selectors
from leads.api.fields import scan_result_record
from scanning import selectors
from scanning.models import JobStatus, ScanJob
from scanning.services.ingest import UploadReport

ERRORS_SHOWN = 100


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _failures(job: ScanJob) -> list[dict[str, Any]]:
    return [
        {
            "domain": outcome.domain,
            "error": outcome.error,
            "timestamp": outcome.created_at.isoformat(),
        }
        for outcome in selectors.scan_job_failures(job=job, limit=ERRORS_SHOWN)
    ]


def bulk_status_record(job: ScanJob) -> dict[str, Any]:
    """``GET /scan/bulk/{job_id}``: status, counters and the failed domains."""
    return {
        "job_id": str(job.public_id),
        "status": job.status,
        "progress": job.progress_percent,
        "total": job.total,
        "processed": job.processed,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "errors": _failures(job),
    }


def _results(job: ScanJob) -> list[dict[str, Any]]:
    domains = selectors.scan_job_committed_domains(job=job)
    leads = lead_selectors.leads_by_domain(domains=domains)
    return [scan_result_record(leads[domain]) for domain in domains if domain in leads]


def bulk_results_record(job: ScanJob) -> dict[str, Any]:
    """``GET /scan/bulk/{job_id}/results``: the stored result of every committed domain."""
    return {
        "job_id": str(job.public_id),
        "total": job.total,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "results": _results(job),
    }


def _message(job: ScanJob) -> str:
    if job.status == JobStatus.COMPLETED:
        return f"Completed: {job.succeeded} succeeded, {job.failed} failed"
    if job.status == JobStatus.FAILED:
        return f"Failed: {job.error}" if job.error else "Failed"
    return f"{job.processed} of {job.total} processed"


def job_record(job: ScanJob) -> dict[str, Any]:
    """``GET /jobs/{job_id}``: any job (scan, rescan, import) with its progress."""
    percent = (
        100.0
        if job.is_finished and not job.total
        else (round(job.processed * 100 / job.total, 2) if job.total else 0.0)
    )
    return {
        "job_id": str(job.public_id),
        "status": job.status,
        "total": job.total,
        "processed": job.processed,
        "successful": job.succeeded,
        "failed": job.failed,
        "progress_percent": min(percent, 100.0),
        "remaining": max(job.total - job.processed, 0),
        "errors": [f"{e['domain']}: {e['error']}" for e in _failures(job)],
        "message": _message(job),
        "started_at": _iso(job.started_at),
        "completed_at": _iso(job.finished_at),
    }


def upload_record(report: UploadReport, scan_job: ScanJob | None) -> dict[str, Any]:
    """``POST /ingest/csv``: what the file brought in and the scan job it started, if any."""
    job = ScanJob.objects.only("public_id").get(id=report.job_id)
    return {
        "job_id": str(job.public_id),
        "scan_job_id": str(scan_job.public_id) if scan_job else None,
        "message": f"Imported {report.ingested_domains} domains from {report.total_rows} rows",
        "ingested": report.ingested_domains,
        "scanned": scan_job.total if scan_job else 0,
        "total_rows": report.total_rows,
        "errors": [error.message for error in report.errors[:ERRORS_SHOWN]],
    }


def _change(row: Any) -> dict[str, Any]:
    if hasattr(row, "signal_type"):
        return {
            "type": f"{row.signal_type}_changed",
            "old_value": row.old_value,
            "new_value": row.new_value,
        }
    return {
        "type": "score_changed",
        "old_score": row.old_score,
        "new_score": row.new_score,
        "old_segment": row.old_segment or None,
        "new_segment": row.new_segment or None,
    }


def rescan_record(domain: str, job: ScanJob) -> dict[str, Any]:
    """``POST /scan/{domain}/rescan``: the new result and what changed since the last scan."""
    changes = lead_selectors.scan_changes(domain=domain, scan_token=job.public_id)
    history = [*changes["signal_changes"], *changes["score_changes"]]
    failures = _failures(job)
    leads = lead_selectors.leads_by_domain(domains=[domain])
    return {
        "domain": domain,
        "success": not failures,
        "changes_detected": bool(history),
        "signal_changes": len(changes["signal_changes"]),
        "score_changes": len(changes["score_changes"]),
        "alerts_created": len(changes["alerts"]),
        "changes": [_change(row) for row in history],
        "result": scan_result_record(leads[domain]) if not failures and domain in leads else None,
        "error": failures[0]["error"] if failures else None,
    }
