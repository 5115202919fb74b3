"""Stream the rows of an uploaded CSV or XLSX file, one at a time.

Pure Python: a binary file object in, a header and an iterator of rows out. Nothing here
reads the whole file into memory, so a 100,000-row upload costs one row at a time. The file
type is decided by content (magic bytes) as well as by extension, because people rename
files; old binary Excel (.xls) is refused with advice, since openpyxl cannot read it.
"""

from __future__ import annotations

import csv
import math
import os
import zipfile
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

KIND_CSV = "csv"
KIND_XLSX = "xlsx"
ACCEPTED_EXTENSIONS = (".csv", ".xlsx", ".xls")
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary Office files (.xls, .doc)
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
SNIFF_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
# Cell texts that spreadsheet tools write for "no value"; never a company name or a domain.
MISSING_TEXTS = frozenset({"nan", "null", "none", "#n/a", "n/a"})
# Control characters other than tab/CR/LF do not occur in text exports.
_TEXT_CONTROLS = {9, 10, 13}

Cell = str | None
Row = tuple[Cell, ...]


class UploadError(ValueError):
    """The file as a whole cannot be imported; ``code`` is machine-readable, str() is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Table:
    """An opened upload: its kind, header cells, and the data rows still to be read.

    ``rows`` yields ``(row_number, cells)``; row_number is the row number a spreadsheet
    program shows for that row: the first row of the file is 1, so the first data row under
    a header on row 1 is row 2. Blank rows are skipped but still counted. Call ``close()``
    when stopping early: an Excel workbook holds its zip open until then.
    """

    kind: str
    header: tuple[str, ...]
    rows: Iterator[tuple[int, Row]]
    source: Generator[Row, None, None]

    def close(self) -> None:
        """Release the underlying reader (idempotent)."""
        self.source.close()


def clean_cell(value: object) -> Cell:
    """A cell as trimmed text, or None when it holds nothing (blank, NaN, None, "nan"...)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = _cell_text(value).strip()
    if not text or text.lower() in MISSING_TEXTS:
        return None
    return text


def _cell_text(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 42 as 42.0
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _clean_row(values: Iterable[object]) -> Row:
    return tuple(clean_cell(value) for value in values)


def _header_names(cells: Row) -> tuple[str, ...]:
    # An unnamed column still needs a name people can recognise in an error message.
    return tuple(cell or f"column {index}" for index, cell in enumerate(cells, start=1))


def _split_header(rows: Iterator[Row]) -> tuple[tuple[str, ...], Iterator[tuple[int, Row]]]:
    """First non-blank row is the header; later rows keep their row number in the file."""
    for position, header in enumerate(rows, start=1):
        if any(header):
            data = enumerate(rows, start=position + 1)
            return _header_names(header), ((number, row) for number, row in data if any(row))
    raise UploadError("empty", "The file is empty: no header row and no data.")


def _guarded(rows: Iterator[Row], kind: str) -> Generator[Row, None, None]:
    # Parsers of untrusted files raise many exception types; the caller gets one.
    try:
        yield from rows
    except UploadError:
        raise
    except (csv.Error, zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError) as error:
        raise UploadError("unreadable", f"The {kind} file cannot be read: {error}") from None


def open_table(stream: IO[bytes], *, filename: str, max_bytes: int | None = None) -> Table:
    """Open an upload for streaming; raises UploadError for anything that cannot be imported.

    ``stream`` must be a seekable binary file object; it is read lazily, so the caller keeps
    it open until ``rows`` is exhausted.
    """
    _check_size(stream, max_bytes)
    kind = detect_kind(stream.read(len(OLE2_MAGIC)), filename)
    stream.seek(0)
    source = _guarded(_xlsx_rows(stream) if kind == KIND_XLSX else _csv_rows(stream), kind)
    try:
        header, numbered = _split_header(source)
    except UploadError:
        source.close()
        raise
    return Table(kind=kind, header=header, rows=numbered, source=source)


def _check_size(stream: IO[bytes], max_bytes: int | None) -> None:
    size = stream.seek(0, os.SEEK_END)
    stream.seek(0)
    if size == 0:
        raise UploadError("empty", "The file is empty.")
    if max_bytes is not None and size > max_bytes:
        raise UploadError(
            "too_large",
            f"The file is {size:,} bytes; the limit is {max_bytes:,} (HUNTER_UPLOAD_MAX_BYTES).",
        )


def detect_kind(head: bytes, filename: str) -> str:
    """KIND_CSV or KIND_XLSX from the first bytes and the file name, else UploadError."""
    extension = os.path.splitext(filename)[1].lower()
    if head.startswith(OLE2_MAGIC) or (extension == ".xls" and not head.startswith(ZIP_MAGIC)):
        raise UploadError(
            "xls_unsupported",
            "Old Excel files (.xls) cannot be read. Open the file in Excel and save it as "
            ".xlsx (Excel Workbook) or .csv, then upload that.",
        )
    if extension not in ACCEPTED_EXTENSIONS:
        raise UploadError("unsupported_type", "Upload a .csv or .xlsx file.")
    if head.startswith(ZIP_MAGIC):
        return KIND_XLSX
    if extension == ".xlsx":
        raise UploadError("not_xlsx", "This is not a valid .xlsx file (it is not an Excel zip).")
    return KIND_CSV


# -- XLSX ---------------------------------------------------------------------------------


def _xlsx_rows(stream: IO[bytes]) -> Iterator[Row]:
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        raise UploadError("not_xlsx", f"This Excel file cannot be read ({error}).") from None
    return _iterate_first_sheet(workbook)


def _iterate_first_sheet(workbook: openpyxl.Workbook) -> Iterator[Row]:
    # read_only workbooks keep the zip open until closed, hence the try/finally.
    try:
        if workbook.worksheets:
            for values in workbook.worksheets[0].iter_rows(values_only=True):
                yield _clean_row(values)
    finally:
        workbook.close()


# -- CSV ----------------------------------------------------------------------------------


def _csv_rows(stream: IO[bytes]) -> Iterator[Row]:
    sample = stream.read(SNIFF_BYTES)
    stream.seek(0)
    if sample.startswith(UTF16_BOMS):
        lines: Iterator[str] = iter(_utf16_lines(stream))
    else:
        _reject_binary(sample)
        lines = decode_lines(stream)
    delimiter = sniff_delimiter(_sample_lines(sample))
    return (_clean_row(values) for values in csv.reader(lines, delimiter=delimiter))


def _utf16_lines(stream: IO[bytes]) -> Iterator[str]:
    # Excel's "Unicode text" export: UTF-16 with a BOM, tab separated.
    data = stream.read()
    yield from data.decode("utf-16", errors="replace").splitlines(keepends=True)


def _reject_binary(sample: bytes) -> None:
    controls = sum(1 for byte in sample if byte < 32 and byte not in _TEXT_CONTROLS)
    if b"\x00" in sample or controls > len(sample) // 100:
        raise UploadError(
            "binary", "This file is not text (CSV) or Excel (.xlsx); it looks like binary data."
        )


def decode_line(raw: bytes) -> str:
    """One line of a CSV in UTF-8 when it is valid UTF-8, else Turkish Windows-1254.

    Decided per line, because exports mix them: a UTF-8 file edited in an old tool gains
    cp1254 lines. latin-1 is the last resort since it accepts every byte.
    """
    for encoding in ("utf-8", "cp1254"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def decode_lines(stream: IO[bytes]) -> Iterator[str]:
    """Decoded text lines of a byte stream, without a UTF-8 BOM on the first one."""
    first = True
    for raw in stream:
        if first:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
            first = False
        yield decode_line(raw)


def _sample_lines(sample: bytes) -> list[str]:
    # The last line of the sample may be cut off mid-way; it would skew the counts.
    lines = sample.removeprefix(b"\xef\xbb\xbf").splitlines()
    if len(sample) == SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]
    return [decode_line(line) for line in lines if line.strip()][:50]


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter among , ; tab | that splits the sample most consistently.

    Each candidate scores the number of rows with as many fields as the header (more than
    one); ties go to the wider header, then to the order in DELIMITERS. One-column files
    fall back to a comma.
    """
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        rows = list(csv.reader(lines, delimiter=delimiter))
        width = len(rows[0]) if rows else 0
        if width < 2:
            continue
        score = (sum(1 for row in rows if len(row) == width), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best
