"""Lead exports (CSV, XLSX) of a lead queryset, as chunks of bytes to stream to the client.

The rows come from ``leads.tables.export_rows``, so an export has the columns the page shows,
in the queryset's order. Rows are read with ``iterator()``: a 100,000-lead export never sits in
memory as model instances.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from openpyxl import Workbook

from leads.models import Company
from leads.tables import export_rows

ROWS_PER_FETCH = 2000
XLSX_READ_CHUNK = 64 * 1024
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Cells starting with these are formulas to a spreadsheet; a company name must never run.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like target for csv.writer that hands back what it was given."""

    def write(self, value: str) -> str:
        return value


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _rows(queryset: QuerySet[Company]) -> Iterator[list[Any]]:
    for row in export_rows(queryset.iterator(chunk_size=ROWS_PER_FETCH)):
        yield [_safe(value) for value in row]


def leads_export_csv(queryset: QuerySet[Company]) -> Iterator[bytes]:
    """The leads as UTF-8 CSV (with a BOM, so Excel reads Turkish letters), line by line."""
    writer = csv.writer(_Line())
    yield "\ufeff".encode()
    for row in _rows(queryset):
        yield writer.writerow(row).encode("utf-8")


def leads_export_xlsx(queryset: QuerySet[Company]) -> Iterator[bytes]:
    """The leads as an Excel workbook, written row by row to a temporary file, then streamed."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Leads")
    for row in _rows(queryset):
        sheet.append(row)
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(XLSX_READ_CHUNK):
            yield chunk
