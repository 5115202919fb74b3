"""What the sales pages ask for: import a file and scan it, scan one domain, rescan a lead.

Each is an import (through ``scanning.services.ingest``) followed by a scan job (through
``scanning.services.jobs``); the scan job's ``options`` name the import job, so the job page
can show the rows of the file that were not imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scanning.models import JobKind, ScanJob
from scanning.services.ingest import UploadReport, UploadSource, domain_ingest, upload_ingest
from scanning.services.jobs import scan_job_start


@dataclass(frozen=True)
class UploadScan:
    """An imported file: its import report and the scan job (None when no row had a domain)."""

    report: UploadReport
    import_job: ScanJob
    scan_job: ScanJob | None

    @property
    def job(self) -> ScanJob:
        """The job to follow: the scan when there is one, else the import (to see its errors)."""
        return self.scan_job or self.import_job


def upload_scan_start(
    *, file: UploadSource, filename: str, auto_detect_columns: bool, created_by: Any
) -> UploadScan:
    """Import a CSV/Excel file, then start one scan job over the domains it brought in.

    Raises UploadError when the file as a whole cannot be imported (nothing is written then).
    """
    report = upload_ingest(
        file=file,
        filename=filename,
        auto_detect_columns=auto_detect_columns,
        created_by=created_by,
    )
    import_job = ScanJob.objects.get(pk=report.job_id)
    options = {"import_job": str(import_job.public_id), "filename": filename}
    scan_job = None
    if report.domains:
        scan_job = scan_job_start(
            domains=list(report.domains), created_by=created_by, options=options
        )
    return UploadScan(report, import_job, scan_job)


def domain_scan_start(*, domain: str, company_name: str = "", created_by: Any) -> ScanJob:
    """Store one typed domain, website or e-mail address and start a scan job for its domain.

    Raises ``ingest.InvalidInput`` when the text yields no domain.
    """
    # People paste a contact's address as often as a domain; ingest reads it as an e-mail.
    email = domain if "@" in domain else ""
    stored = domain_ingest(
        domain="" if email else domain,
        email=email,
        company_name=company_name,
        created_by=created_by,
    )
    return scan_job_start(domains=[stored.domain], created_by=created_by)


def lead_rescan_start(*, domain: str, created_by: Any) -> ScanJob:
    """Start a rescan job for one domain; raises ``jobs.NoValidDomains`` for a malformed one."""
    return scan_job_start(domains=[domain], kind=JobKind.RESCAN, created_by=created_by)
