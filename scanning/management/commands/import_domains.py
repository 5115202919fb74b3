"""`manage.py import_domains FILE`: import a CSV or Excel file of domains from the shell.

Prints a summary (rows, unique domains, new companies) and the per-row errors. Exit status
0 when at least one domain was imported, 1 when none was; an unreadable or unsupported file
is a CommandError. With --scan, a scan job is started for the imported domains; 3 when the
broker could not take it (it stays queued and is sent once the broker is back). Jobs are named
by their public id, the one the pages and the API show.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scanning.ingest.readers import UploadError
from scanning.models import ScanJob
from scanning.services.ingest import UploadReport, upload_ingest

MAX_PRINTED_ERRORS = 50


class Command(BaseCommand):
    help = "Import domains from a .csv or .xlsx file (optionally start a scan of them)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE", help=".csv or .xlsx file")
        parser.add_argument(
            "--auto-detect",
            action="store_true",
            help="find the domain/company/e-mail/website columns from their names and content",
        )
        parser.add_argument(
            "--scan", action="store_true", help="start a scan job for the imported domains"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        try:
            report = upload_ingest(file=path, auto_detect_columns=options["auto_detect"])
        except UploadError as error:
            raise CommandError(f"{path}: {error.message}", returncode=2) from None
        self._write_summary(report)
        if options["scan"] and report.domains:
            self._start_scan(list(report.domains))
        if not report.domains:
            raise CommandError(f"{path}: no domain was imported", returncode=1)

    def _write_summary(self, report: UploadReport) -> None:
        write = self.stdout.write
        write(f"rows: {report.total_rows}")
        write(f"unique domains imported: {report.ingested_domains}")
        write(f"new companies: {report.companies_created}")
        write(f"errors: {len(report.errors)}")
        for error in report.errors[:MAX_PRINTED_ERRORS]:
            write(f"row {error.row_number}: {error.value}: {error.detail or error.reason}")
        if len(report.errors) > MAX_PRINTED_ERRORS:
            write(f"... and {len(report.errors) - MAX_PRINTED_ERRORS} more")
        if report.row_limit is not None:
            write(f"stopped after {report.row_limit} rows (HUNTER_UPLOAD_MAX_ROWS)")
        public_id = ScanJob.objects.values_list("public_id", flat=True).get(pk=report.job_id)
        write(f"import job: {public_id}")

    def _start_scan(self, domains: list[str]) -> None:
        # Imported lazily: scan jobs are their own module, and a plain import needs none of it.
        from scanning.services.jobs import NOT_SENT_MESSAGE, job_send_failure, scan_job_start

        job = scan_job_start(domains=domains, kind="scan", created_by=None)
        self.stdout.write(f"scan job: {job.public_id} ({len(domains)} domains)")
        if job_send_failure(job):
            raise CommandError(NOT_SENT_MESSAGE, returncode=3)
