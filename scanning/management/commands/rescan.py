"""`manage.py rescan`: rescan some domains, or every company, as a rescan job.

By default the job goes to the Celery workers and the command prints its progress until it
finishes (``--no-wait`` returns at once after printing the job id). ``--sync`` runs the job
in this process instead, for an installation without a worker. Exit status 0 when the job
completed, 1 when some domains failed, 2 for a usage error, 3 when the broker was unavailable
(the job stays queued and the recovery task sends it once the broker is back).
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from leads.models import Company
from scanning.models import JobKind, ScanJob
from scanning.services.jobs import (
    NOT_SENT_MESSAGE,
    NoValidDomains,
    job_send_failure,
    scan_job_run_inline,
    scan_job_start,
)

POLL_SECONDS = 2.0


def every_company_domain() -> list[str]:
    """Every stored company's domain, in domain order: an import that was never scanned
    leaves companies without a scan, and "all" has to reach those first of all."""
    return list(Company.objects.order_by("domain").values_list("domain", flat=True))


class Command(BaseCommand):
    help = "Rescan domains (or --all companies) as a job, and follow its progress."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("domains", nargs="*", metavar="DOMAIN")
        parser.add_argument(
            "--all", action="store_true", help="every company, imported but never scanned too"
        )
        parser.add_argument("--sync", action="store_true", help="run here, without a worker")
        parser.add_argument("--no-wait", action="store_true", help="print the job id and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        domains = self._domains(options)
        try:
            job = scan_job_start(domains=domains, kind=JobKind.RESCAN, enqueue=not options["sync"])
        except NoValidDomains as error:
            raise CommandError(str(error), returncode=2) from error
        self.stdout.write(f"rescan job {job.public_id}: {job.total} domains")
        if job_send_failure(job):
            raise CommandError(NOT_SENT_MESSAGE, returncode=3)
        if options["sync"]:
            job = scan_job_run_inline(job_id=job.id)
        elif options["no_wait"]:
            return
        else:
            job = self._follow(job)
        self.stdout.write(self._progress_line(job))
        if job.failed:
            raise CommandError(f"{job.failed} domains failed", returncode=1)

    def _domains(self, options: dict[str, Any]) -> list[str]:
        if options["all"] == bool(options["domains"]):
            raise CommandError("give DOMAIN arguments or --all (not both)", returncode=2)
        if options["domains"]:
            return list(options["domains"])
        domains = every_company_domain()
        if not domains:
            raise CommandError("there is no company yet: import or scan some first", returncode=2)
        return domains

    def _follow(self, job: ScanJob) -> ScanJob:
        """Print a progress line whenever it changes, until the job is finished."""
        last = ""
        while not job.is_finished:
            line = self._progress_line(job)
            if line != last:
                self.stdout.write(line)
                last = line
            time.sleep(POLL_SECONDS)
            job.refresh_from_db()
        return job

    @staticmethod
    def _progress_line(job: ScanJob) -> str:
        return (
            f"{job.status}: {job.processed}/{job.total} ({job.progress_percent}%), "
            f"{job.succeeded} succeeded, {job.failed} failed"
        )
