"""The scanning pages: upload a file, follow jobs, scan one domain now, rescan a lead.

Views glue forms to ``scanning.services.requests`` and render job rows; progress is read from
the ScanJob row, polled by htmx every second until the job is finished.
"""

from __future__ import annotations

import uuid

import structlog
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hunter.pagination import ClampingPaginator
from hunter.ratelimit import limit_form_posts
from scanning.forms import ScanForm, UploadForm
from scanning.ingest.readers import UploadError
from scanning.models import ScanJob
from scanning.selectors import (
    job_import,
    job_import_errors,
    job_list,
    job_outcomes,
    scan_job_get,
)
from scanning.services.ingest import ERROR_EMPTY, InvalidInput
from scanning.services.jobs import NoValidDomains
from scanning.services.requests import domain_scan_start, lead_rescan_start, upload_scan_start

logger = structlog.get_logger("hunter.pages")

JOBS_PER_PAGE = 50
OUTCOMES_PER_PAGE = 100

UPLOAD_ERRORS = {
    "empty": gettext_lazy("The file is empty."),
    "xls_unsupported": gettext_lazy(
        "Old Excel files (.xls) cannot be read. Save the file as .xlsx or .csv and upload that."
    ),
    "unsupported_type": gettext_lazy("Upload a .csv or .xlsx file."),
    "not_xlsx": gettext_lazy("This is not a valid Excel (.xlsx) file."),
    "unreadable": gettext_lazy("The file cannot be read. Save it again as .csv or .xlsx."),
    "binary": gettext_lazy("This file is neither a CSV nor an Excel file."),
    "no_domain_column": gettext_lazy(
        "No column of the file holds domains, websites or e-mail addresses. Name a column "
        '"domain", or turn on column auto-detection.'
    ),
}


def upload_error_message(error: UploadError) -> str:
    """The reason a whole file was refused, in the reader's language."""
    if error.code == "too_large":
        limit_mb = settings.HUNTER_UPLOAD_MAX_BYTES // (1024 * 1024)
        return _("The file is too large; the limit is %(mb)s MB.") % {"mb": limit_mb}
    return str(UPLOAD_ERRORS.get(error.code, _("The file cannot be imported.")))


def row_error_message(error: dict[str, object]) -> str:
    """One not-imported row of an upload, in the reader's language."""
    if error.get("reason") == ERROR_EMPTY:
        return _("Row %(row)s: no domain") % {"row": error.get("row_number")}
    return _("Row %(row)s: “%(value)s” is not a valid domain") % {
        "row": error.get("row_number"),
        "value": error.get("value"),
    }


# --- upload -----------------------------------------------------------------------------


@login_required
@limit_form_posts("upload")
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            started = upload_scan_start(
                file=file,
                filename=file.name,
                auto_detect_columns=form.cleaned_data["auto_detect"],
                created_by=request.user,
            )
        except UploadError as error:
            form.add_error("file", upload_error_message(error))
        else:
            logger.info("upload_page_started", job_id=started.job.pk)
            return redirect("scanning:job", public_id=started.job.public_id)
    return render(request, "scanning/upload.html", {"form": form})


# --- jobs -------------------------------------------------------------------------------


def _job_or_404(public_id: uuid.UUID) -> ScanJob:
    job = scan_job_get(public_id=public_id)
    if job is None:
        raise Http404(_("There is no such job."))
    return job


@login_required
@require_GET
def jobs(request: HttpRequest) -> HttpResponse:
    page = ClampingPaginator(job_list(), JOBS_PER_PAGE).page(request.GET.get("page", 1))
    return render(request, "scanning/jobs.html", {"page": page})


@login_required
@require_GET
def job_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    job = _job_or_404(public_id)
    import_job = job_import(job=job)
    outcomes = ClampingPaginator(job_outcomes(job=job), OUTCOMES_PER_PAGE)
    context = {
        **_progress_context(job),
        "import_job": import_job,
        "row_errors": [row_error_message(e) for e in job_import_errors(job=import_job)],
        "outcomes": outcomes.page(request.GET.get("page", 1)),
    }
    return render(request, "scanning/job_detail.html", context)


@login_required
@require_GET
def job_progress(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The progress partial htmx polls; it stops polling itself once the job is finished."""
    job = _job_or_404(public_id)
    return render(request, "scanning/inc/job_progress.html", _progress_context(job))


def _progress_context(job: ScanJob) -> dict[str, object]:
    return {"job": job, "remaining": max(0, job.total - job.processed)}


# --- scan now and rescan ----------------------------------------------------------------


@login_required
@limit_form_posts("scan")
@require_http_methods(["GET", "POST"])
def scan(request: HttpRequest) -> HttpResponse:
    form = ScanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            started = domain_scan_start(
                domain=form.cleaned_data["domain"],
                company_name=form.cleaned_data["company_name"],
                created_by=request.user,
            )
        except (InvalidInput, NoValidDomains):
            form.add_error("domain", _("This is not a domain Hunter can scan."))
        else:
            return redirect(f"{reverse('scanning:scan')}?job={started.public_id}")
    context = {"form": form, "job": _job_from_query(request.GET.get("job"))}
    return render(request, "scanning/scan.html", context)


def _job_from_query(value: str | None) -> ScanJob | None:
    try:
        return scan_job_get(public_id=uuid.UUID(value)) if value else None
    except ValueError:
        return None


@login_required
@require_GET
def scan_result(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The single-scan result partial: "scanning…" until the job is finished, then the result."""
    job = _job_or_404(public_id)
    outcome = job_outcomes(job=job).last() if job.is_finished else None
    return render(request, "scanning/inc/scan_result.html", {"job": job, "outcome": outcome})


@login_required
@limit_form_posts("rescan")
@require_POST
def rescan(request: HttpRequest, domain: str) -> HttpResponse:
    try:
        job = lead_rescan_start(domain=domain, created_by=request.user)
    except NoValidDomains as error:
        raise Http404(_("There is no such lead.")) from error
    return redirect(f"{reverse('scanning:scan')}?job={job.public_id}")
