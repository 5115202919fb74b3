"""Celery tasks for scan jobs: each takes ids (JSON), loads nothing itself, calls one service.

Delivery settings live in hunter/settings.py (acks_late, reject_on_worker_lost, prefetch 1,
time limits), so a task whose worker dies is delivered again; the services make a second
run harmless.
"""

from __future__ import annotations

from typing import Any

import structlog
from celery import shared_task

from leads.selectors import dashboard_figures
from scanning.services import jobs, recovery

logger = structlog.get_logger("hunter.scanning.tasks")


@shared_task(name="scanning.dispatch_scan_job")
def dispatch_scan_job(job_id: int) -> dict[str, int]:
    """Fan a job out into one task per unfinished chunk."""
    return {"job_id": job_id, "chunks": jobs.scan_job_dispatch(job_id=job_id)}


@shared_task(name="scanning.run_scan_chunk")
def run_scan_chunk(chunk_id: int) -> dict[str, Any]:
    """Scan and store one chunk of a job."""
    report = jobs.scan_chunk_run(chunk_id=chunk_id)
    if report.job_finished:
        _warm_dashboard()
    return {
        "chunk_id": report.chunk_id,
        "status": report.status,
        "committed": report.committed,
        "failed": report.failed,
        "attempts": report.attempts,
    }


def _warm_dashboard() -> None:
    """Compute the dashboard over a finished job's data, so no salesperson waits for it.

    Once per job, not per chunk: at 100,000 leads it costs a quarter of a second, as much
    as scanning a chunk. Best effort: whatever goes wrong here must not fail (and so
    redeliver) a chunk whose results are already stored; the next view computes them.
    """
    try:
        dashboard_figures(fresh=True)
    except Exception as error:
        logger.warning("dashboard_warm_failed", error=str(error))


@shared_task(name="scanning.daily_rescan")
def daily_rescan() -> dict[str, Any]:
    """Beat's daily rescan: every company with a signal row, as one chunked rescan job."""
    job = jobs.rescan_job_start_for_signalled()
    if job is None:
        return {"status": "nothing to rescan", "total": 0}
    return {"status": "queued", "job_id": job.id, "total": job.total}


@shared_task(name="scanning.recover_stalled_jobs")
def recover_stalled_jobs() -> dict[str, int | bool]:
    """Beat's recovery run: finish, fail or re-send jobs and chunks that stalled."""
    return recovery.scan_jobs_recover().as_dict()
