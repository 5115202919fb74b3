"""Bring domains in: one typed domain, a CSV/Excel upload, or a webhook call.

Input is normalized with the engine, lead data is written only through ``leads.services``,
and an upload is read as a stream and written in batches of rows, one transaction each: a
100,000-row file never sits in memory, and a bad row is reported, never fatal. An upload
is recorded as an ``import`` ScanJob row with its counters and a summary of the outcome.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

import structlog
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from leads.choices import RawLeadSource
from leads.enrichment import ContactEnrichment
from leads.models import Company
from leads.services.companies import (
    CompanyInput,
    RawLeadInput,
    companies_upsert,
    company_contacts_update,
    raw_leads_record,
)
from scanning.engine.normalize import (
    REASON_EMPTY,
    normalize_domain_checked,
    resolve_input_domain,
)
from scanning.ingest.columns import ColumnMap, choose_columns
from scanning.ingest.readers import KIND_XLSX, Row, clean_cell, open_table
from scanning.models import JobKind, JobStatus, ScanJob

logger = structlog.get_logger("hunter.ingest")

DEFAULT_BATCH_ROWS = 500
SAMPLE_ROWS = 200  # rows read ahead for column auto-detection
MAX_VALUE_CHARS = 100  # an error quotes at most this much of the offending cell
MAX_JOB_ERRORS = 100  # errors kept on the job row for pages; the report has them all

ERROR_EMPTY = "empty_domain"
ERROR_INVALID = "invalid_domain"
ERROR_UNSTORABLE = "unstorable_row"

UploadSource = IO[bytes] | File | str | os.PathLike[str]
Creator = User | None


class InvalidInput(ValueError):
    """The input names no usable domain; ``reason`` says why, ``value`` is what was given."""

    def __init__(self, reason: str, value: str) -> None:
        super().__init__(_("Invalid domain format: %(reason)s") % {"reason": reason})
        self.reason = reason
        self.value = value


@dataclass(frozen=True)
class IngestResult:
    """A domain brought in: the company it is stored as and whether that row is new."""

    company_id: int
    domain: str
    created: bool


@dataclass(frozen=True)
class RowError:
    """Why one upload row was not imported; ``reason`` is a code, ``detail`` the engine's words."""

    row_number: int
    value: str
    reason: str
    detail: str = ""

    @property
    def message(self) -> str:
        """The message people see in the import report, in the active language (rows
        numbered as in the file)."""
        if self.reason == ERROR_EMPTY:
            return _("Row %(row)s: empty domain") % {"row": self.row_number}
        if self.reason == ERROR_UNSTORABLE:
            return _("Row %(row)s: contains a value that cannot be stored (%(value)s)") % {
                "row": self.row_number,
                "value": self.value,
            }
        return _("Row %(row)s: invalid domain format '%(value)s'") % {
            "row": self.row_number,
            "value": self.value,
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, for the job row and the API."""
        return {**vars(self), "message": self.message}


@dataclass
class UploadReport:
    """What an upload import did; ``job_id`` is the import ScanJob recording the same."""

    job_id: int
    total_rows: int = 0
    companies_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    domains: dict[str, None] = field(default_factory=dict)  # unique, in first-seen order
    row_limit: int | None = None  # set when the file had more rows than allowed

    @property
    def ingested_domains(self) -> int:
        """Unique domains stored from this file (a domain counts once per file)."""
        return len(self.domains)

    @property
    def stopped_at_row_limit(self) -> bool:
        """True when rows past HUNTER_UPLOAD_MAX_ROWS were left unread."""
        return self.row_limit is not None

    def summary(self) -> dict[str, Any]:
        """Counts and the first errors, as stored on the job row."""
        return {
            "total_rows": self.total_rows,
            "ingested_domains": self.ingested_domains,
            "companies_created": self.companies_created,
            "error_count": len(self.errors),
            "errors": [error.as_dict() for error in self.errors[:MAX_JOB_ERRORS]],
            "row_limit": self.row_limit,
        }


@dataclass(frozen=True)
class WebhookResult:
    """A webhook record stored: the company, whether it is new, and whether it was enriched."""

    company_id: int
    domain: str
    created: bool
    enriched: bool
    enrichment: ContactEnrichment | None = None


@dataclass(frozen=True)
class _Candidate:
    row_number: int
    domain: str
    original_domain: str
    company_name: str
    email: str
    website: str


# -- one domain ---------------------------------------------------------------------------


def domain_ingest(
    *,
    domain: str = "",
    company_name: str = "",
    email: str = "",
    website: str = "",
    source: str = RawLeadSource.DOMAIN,
    created_by: Creator = None,
) -> IngestResult:
    """Store one domain (website beats e-mail beats domain) and log the raw record.

    Raises InvalidInput when none of the three fields yields a valid domain.
    """
    outcome = resolve_input_domain(domain=domain, email=email, website=website)
    if not outcome.ok:
        given = {"domain": domain, "email": email, "website": website}
        raise InvalidInput(outcome.reason or REASON_EMPTY, given.get(outcome.source or "", ""))
    payload: dict[str, Any] = {"original_domain": domain, "email": email, "website": website}
    if created_by is not None:
        payload["created_by_id"] = created_by.pk
    name = clean_cell(company_name) or ""
    with transaction.atomic():
        upserted = companies_upsert(rows=[CompanyInput(outcome.domain, name)])
        raw_leads_record(
            entries=[RawLeadInput(source, outcome.domain, name, email, website, payload)]
        )
    created = outcome.domain in upserted.created
    logger.info("domain_ingested", domain=outcome.domain, source=source, created=created)
    return IngestResult(upserted[outcome.domain].pk, outcome.domain, created)


# -- webhook (authentication and rate limits belong to the API layer) --------------------


def webhook_ingest(
    *,
    domain: str,
    company_name: str = "",
    contact_emails: Sequence[str] = (),
    api_key_id: str | None = None,
    api_key_name: str = "",
) -> WebhookResult:
    """Store a pushed lead and enrich it from its contact e-mails; no scan is started.

    Raises InvalidInput for a domain that does not normalize. Enrichment trouble is logged
    and leaves ``enriched`` False; the company and raw record are stored regardless. A
    database failure is logged (``webhook_error``) and raised with nothing stored.
    """
    outcome = normalize_domain_checked(domain)
    if not outcome.ok:
        raise InvalidInput(outcome.reason or REASON_EMPTY, str(domain))
    emails = [e for e in contact_emails if isinstance(e, str) and e.strip()]
    payload = {
        "original_domain": domain,
        "contact_emails": emails,
        "api_key_id": api_key_id,
        "api_key_name": api_key_name,
    }
    try:
        with transaction.atomic():
            upserted = companies_upsert(rows=[CompanyInput(outcome.domain, company_name)])
            company = upserted[outcome.domain]
            enrichment = _enrich_quietly(company, emails, api_key_id) if emails else None
            lead = RawLeadInput(
                RawLeadSource.WEBHOOK, outcome.domain, company_name, payload=payload
            )
            raw_leads_record(entries=[lead])
    except DatabaseError as error:
        # Nothing was stored; the pushing system sends the lead again (the API answers 503).
        _log_webhook_failure("webhook_error", outcome.domain, api_key_id, error)
        raise
    created = outcome.domain in upserted.created
    logger.info(
        "webhook_ingested", domain=company.domain, api_key_id=api_key_id, enriched=bool(enrichment)
    )
    return WebhookResult(company.pk, company.domain, created, enrichment is not None, enrichment)


def _enrich_quietly(
    company: Company, emails: Sequence[str], api_key_id: str | None
) -> ContactEnrichment | None:
    # A savepoint, so a failed update cannot poison the webhook's own transaction.
    try:
        with transaction.atomic():
            return company_contacts_update(company=company, contact_emails=emails)
    except Exception as error:
        _log_webhook_failure("webhook_enrichment_error", company.domain, api_key_id, error)
        return None


def _log_webhook_failure(event: str, domain: str, api_key_id: str | None, error: Exception) -> None:
    # Only the type: database messages can quote the row, e-mails included, and logs carry
    # no personal data.
    logger.warning(event, domain=domain, api_key_id=api_key_id, error_type=type(error).__name__)


# -- uploads ------------------------------------------------------------------------------


def upload_ingest(
    *,
    file: UploadSource,
    filename: str = "",
    auto_detect_columns: bool = False,
    created_by: Creator = None,
    batch_size: int = DEFAULT_BATCH_ROWS,
) -> UploadReport:
    """Import every row of a CSV or XLSX upload; returns counts and per-row errors.

    ``file`` is a path, a Django File/UploadedFile or a seekable binary file object
    (``filename`` names it when the object has no name). Raises UploadError (or its
    ColumnError) before writing anything when the file cannot be imported as a whole: wrong
    type, binary junk, empty, larger than HUNTER_UPLOAD_MAX_BYTES, no domain column.
    """
    with _binary_stream(file, filename) as (stream, name):
        table = open_table(stream, filename=name, max_bytes=settings.HUNTER_UPLOAD_MAX_BYTES)
        try:
            sample = list(islice(table.rows, SAMPLE_ROWS))
            sample_rows = [row for _, row in sample]
            columns = choose_columns(table.header, sample_rows, auto_detect=auto_detect_columns)
            job = _import_job_start(name, table.kind, auto_detect_columns, created_by)
            rows = chain(sample, table.rows)
            return _import_rows(rows, job=job, columns=columns, kind=table.kind, size=batch_size)
        finally:
            table.close()


@contextmanager
def _binary_stream(file: UploadSource, filename: str) -> Iterator[tuple[IO[bytes], str]]:
    if isinstance(file, File):
        file.seek(0)  # a File may have been read already (e.g. by a form's validation)
        yield file, filename or file.name or ""
    elif isinstance(file, str | os.PathLike):
        path = Path(file)
        with path.open("rb") as stream:
            yield stream, filename or path.name
    else:
        yield file, filename or str(getattr(file, "name", ""))


def _import_job_start(name: str, kind: str, auto_detect: bool, user: Creator) -> ScanJob:
    return ScanJob.objects.create(
        kind=JobKind.IMPORT,
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        created_by=user,
        options={"filename": os.path.basename(name), "format": kind, "auto_detect": auto_detect},
    )


def _import_rows(
    rows: Iterable[tuple[int, Row]], *, job: ScanJob, columns: ColumnMap, kind: str, size: int
) -> UploadReport:
    report = UploadReport(job_id=job.pk)
    source = RawLeadSource.XLSX if kind == KIND_XLSX else RawLeadSource.CSV
    try:
        for batch in _batches(rows, size, settings.HUNTER_UPLOAD_MAX_ROWS, report):
            _import_batch(batch, job=job, columns=columns, source=source, report=report)
    except Exception as error:
        _import_job_finish(job, report, error=f"{type(error).__name__} after row batches")
        raise
    _import_job_finish(job, report)
    logger.info(
        "upload_ingested",
        job_id=job.pk,
        format=kind,
        total_rows=report.total_rows,
        ingested=report.ingested_domains,
        errors=len(report.errors),
    )
    return report


def _batches(
    rows: Iterable[tuple[int, Row]], size: int, max_rows: int, report: UploadReport
) -> Iterator[list[tuple[int, Row]]]:
    """Rows in lists of ``size``; stops (and notes the limit) after ``max_rows`` rows."""
    limited = islice(rows, max_rows + 1)
    while batch := list(islice(limited, size)):
        if report.total_rows + len(batch) > max_rows:
            batch = batch[: max_rows - report.total_rows]
            report.row_limit = max_rows
        report.total_rows += len(batch)
        if batch:
            yield batch


def _import_batch(
    batch: list[tuple[int, Row]],
    *,
    job: ScanJob,
    columns: ColumnMap,
    source: str,
    report: UploadReport,
) -> None:
    parsed = [parse_row(number, row, columns) for number, row in batch]
    candidates = [item for item in parsed if isinstance(item, _Candidate)]
    errors = [item for item in parsed if isinstance(item, RowError)]
    try:
        with transaction.atomic():
            created = _store(candidates, source)
            _count_batch(job, rows=len(batch), succeeded=len(candidates), failed=len(errors))
        stored = {candidate.row_number for candidate in candidates}
    except (DatabaseError, ValueError) as error:
        # A value the database cannot hold (a NUL byte deep in a CSV, say) must cost its
        # own row only, never the batch or the import: store this batch row by row.
        logger.warning("import_batch_stored_row_by_row", job_id=job.pk, error=type(error).__name__)
        with transaction.atomic():
            stored, created = _store_row_by_row(candidates, source)
            errors += [_unstorable(c) for c in candidates if c.row_number not in stored]
            _count_batch(job, rows=len(batch), succeeded=len(stored), failed=len(errors))
    # Counted after the commit, so the report never claims a batch that rolled back.
    report.companies_created += len(created)
    report.domains.update(dict.fromkeys(c.domain for c in candidates if c.row_number in stored))
    report.errors.extend(sorted(errors, key=lambda error: error.row_number))


def _count_batch(job: ScanJob, *, rows: int, succeeded: int, failed: int) -> None:
    ScanJob.objects.filter(pk=job.pk).update(
        total=F("total") + rows,
        processed=F("processed") + rows,
        succeeded=F("succeeded") + succeeded,
        failed=F("failed") + failed,
        heartbeat_at=timezone.now(),  # the recovery task fails an import that stops
    )


def _store_row_by_row(candidates: list[_Candidate], source: str) -> tuple[set[int], frozenset[str]]:
    """Each row in its own savepoint; returns the row numbers stored and the domains created."""
    stored: set[int] = set()
    created: set[str] = set()
    for candidate in candidates:
        try:
            with transaction.atomic():
                created |= _store([candidate], source)
        except (DatabaseError, ValueError):
            continue
        stored.add(candidate.row_number)
    return stored, frozenset(created)


def _store(candidates: list[_Candidate], source: str) -> frozenset[str]:
    companies = [CompanyInput(c.domain, c.company_name) for c in candidates]
    upserted = companies_upsert(rows=companies)
    raw_leads_record(entries=[_raw_lead(candidate, source) for candidate in candidates])
    return upserted.created


def _unstorable(candidate: _Candidate) -> RowError:
    # The normalised domain is quoted, not the raw cell: that cell is what could not be stored.
    return RowError(candidate.row_number, candidate.domain, ERROR_UNSTORABLE, "not storable")


def _raw_lead(candidate: _Candidate, source: str) -> RawLeadInput:
    payload = {
        "original_domain": candidate.original_domain,
        "row_index": candidate.row_number,
        "email": candidate.email,
        "website": candidate.website,
    }
    return RawLeadInput(
        source,
        candidate.domain,
        candidate.company_name,
        candidate.email,
        candidate.website,
        payload,
    )


def parse_row(number: int, row: Row, columns: ColumnMap) -> _Candidate | RowError:
    """One upload row as a domain to store (website > e-mail > domain), or why it cannot be."""
    given = {name: columns.cell(row, name) or "" for name in ("domain", "email", "website")}
    if not any(given.values()):
        return RowError(number, "", ERROR_EMPTY, REASON_EMPTY)
    outcome = resolve_input_domain(**given)
    if not outcome.ok:
        value = given.get(outcome.source or "domain", "")[:MAX_VALUE_CHARS]
        return RowError(number, value, ERROR_INVALID, outcome.reason or "")
    return _Candidate(
        row_number=number,
        domain=outcome.domain,
        original_domain=given["domain"],
        company_name=columns.cell(row, "company") or "",
        email=given["email"],
        website=given["website"],
    )


def _import_job_finish(job: ScanJob, report: UploadReport, *, error: str = "") -> None:
    job.refresh_from_db(fields=["total", "processed", "succeeded", "failed"])
    job.status = JobStatus.FAILED if error else JobStatus.COMPLETED
    job.error = error
    job.finished_at = timezone.now()
    job.options = {**job.options, "report": report.summary()}
    job.save(update_fields=["status", "error", "finished_at", "options"])
