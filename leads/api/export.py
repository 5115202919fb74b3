"""Lead export as CSV (UTF-8 with BOM, for Excel) or XLSX, in constant memory.

CSV rows are streamed to the client as the database cursor yields them; XLSX rows go to a
temporary file through openpyxl's write-only mode and the file is streamed from disk. Both
always start with the header row, also when no lead matches.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from rest_framework import serializers

from leads.api.fields import LIST_COLUMNS, lead_list_record
from leads.models import Company

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTER_KEYS = frozenset({"segment", "min_score", "provider", "search", "priority_category"})
COLUMNS = (
    "domain",
    "company_name",
    "provider",
    "country",
    "segment",
    "readiness_score",
    "priority_score",
    "spf",
    "dkim",
    "dmarc_policy",
    "mx_root",
    "registrar",
    "expires_at",
    "nameservers",
    "scan_status",
    "scanned_at",
    "reason",
)
CURSOR_CHUNK = 2000


class ExportQuery(serializers.Serializer[Any]):
    """``format`` is csv (default) or xlsx; ``excel`` is accepted as xlsx for the old UI."""

    format = serializers.ChoiceField(["csv", "xlsx", "excel"], default="csv")
    segment = serializers.CharField(required=False)
    provider = serializers.CharField(required=False)
    min_score = serializers.IntegerField(required=False, min_value=0, max_value=100)
    search = serializers.CharField(required=False)

    def validate_format(self, value: str) -> str:
        return "xlsx" if value == "excel" else value


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


def export_row(values: Mapping[str, Any]) -> list[Any]:
    """One lead (its ``values(*LIST_COLUMNS)`` row) as export cells, in COLUMNS order."""
    lead = lead_list_record(values)
    cells = {
        **lead,
        "company_name": lead["canonical_name"],
        "spf": _yes_no(lead["spf"]),
        "dkim": _yes_no(lead["dkim"]),
        "dmarc_policy": lead["dmarc_policy"] or "None",
        "nameservers": ", ".join(lead["nameservers"] or []),
    }
    return [cells[name] if cells[name] is not None else "" for name in COLUMNS]


def _rows(leads: QuerySet[Company]) -> Iterator[list[Any]]:
    yield list(COLUMNS)
    for values in leads.values(*LIST_COLUMNS).iterator(chunk_size=CURSOR_CHUNK):
        yield export_row(values)


class _Line:
    """A file-like sink that hands back what csv.writer writes, one line at a time."""

    def write(self, text: str) -> str:
        return text


def _csv_lines(rows: Iterable[list[Any]]) -> Iterator[bytes]:
    writer = csv.writer(_Line())
    yield "\ufeff".encode()
    for row in rows:
        yield writer.writerow(row).encode()


def _filename(extension: str) -> str:
    return f"leads_{timezone.localtime():%Y-%m-%d_%H-%M-%S}.{extension}"


def export_response(
    leads: QuerySet[Company], file_format: str
) -> StreamingHttpResponse | FileResponse:
    """The download of ``leads`` as ``csv`` or ``xlsx``."""
    if file_format == "xlsx":
        return _xlsx_response(leads)
    response = StreamingHttpResponse(
        _csv_lines(_rows(leads)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f"attachment; filename={_filename('csv')}"
    return response


def _xlsx_response(leads: QuerySet[Company]) -> FileResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Leads")
    for row in _rows(leads):
        sheet.append(row)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=_filename("xlsx"), content_type=XLSX)
