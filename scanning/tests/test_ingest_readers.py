"""scanning.ingest.readers: streaming CSV/XLSX rows, file-type detection, blank cells."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest

from scanning.ingest.readers import (
    KIND_CSV,
    KIND_XLSX,
    Table,
    UploadError,
    clean_cell,
    decode_line,
    open_table,
    sniff_delimiter,
)


def table_of(data: bytes, filename: str = "leads.csv", **kwargs: int) -> Table:
    return open_table(io.BytesIO(data), filename=filename, **kwargs)


def rows_of(table: Table) -> list[tuple[int, tuple[str | None, ...]]]:
    return list(table.rows)


def upload_error(data: bytes, filename: str, **kwargs: int) -> UploadError:
    with pytest.raises(UploadError) as caught:
        table_of(data, filename, **kwargs)
    return caught.value


def xlsx_bytes(rows: Sequence[Sequence[object]], tmp_path: Path) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = tmp_path / "leads.xlsx"
    workbook.save(path)
    return path.read_bytes()


# -- CSV ----------------------------------------------------------------------------------


def test_utf8_bom_and_semicolons_give_clean_turkish_header_and_rows() -> None:
    data = "\ufeffŞirket Adı;Domain\nÖrnek A.Ş.;örnek.com.tr\nAcme;acme.com\n".encode()
    table = table_of(data)
    assert table.kind == KIND_CSV
    assert table.header == ("Şirket Adı", "Domain")
    assert rows_of(table) == [(2, ("Örnek A.Ş.", "örnek.com.tr")), (3, ("Acme", "acme.com"))]


def test_windows_1254_turkish_export_is_decoded() -> None:
    data = "Firma,Web\nIşık Gıda,ışık.com.tr\n".encode("cp1254")
    table = table_of(data)
    assert table.header == ("Firma", "Web")
    assert rows_of(table) == [(2, ("Işık Gıda", "ışık.com.tr"))]


def test_a_line_that_is_not_utf8_falls_back_to_cp1254_while_others_stay_utf8() -> None:
    data = "domain,name\nşeker.com,Şeker\n".encode() + "gül.com,Gül\n".encode("cp1254")
    assert [row for _, row in table_of(data).rows] == [
        ("şeker.com", "Şeker"),
        ("gül.com", "Gül"),
    ]
    assert decode_line(b"\x81\x8d") == "\x81\x8d"  # bytes cp1254 leaves undefined: latin-1


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed_among_the_four_candidates(delimiter: str) -> None:
    lines = [delimiter.join(["company", "domain", "email"]), delimiter.join(["A", "a.com", ""])]
    data = ("\n".join(lines) + "\n").encode()
    table = table_of(data)
    assert table.header == ("company", "domain", "email")
    assert rows_of(table) == [(2, ("A", "a.com", None))]


def test_commas_inside_quotes_do_not_fool_the_sniffer() -> None:
    lines = ["name;domain", '"Acme, Inc.";acme.com', '"B, C";b.com']
    assert sniff_delimiter(lines) == ";"


def test_single_column_file_reads_with_the_comma_default() -> None:
    table = table_of(b"domain\nacme.com\nb.com\n")
    assert table.header == ("domain",)
    assert [row for _, row in table.rows] == [("acme.com",), ("b.com",)]


def test_blank_rows_are_skipped_but_still_counted_in_row_numbers() -> None:
    table = table_of(b"domain,name\n\na.com,A\n,\n  ,  \nb.com,B\n")
    assert rows_of(table) == [(3, ("a.com", "A")), (6, ("b.com", "B"))]


def test_rows_are_numbered_as_a_spreadsheet_numbers_them_with_the_header_as_row_one() -> None:
    assert rows_of(table_of(b"domain\na.com\nb.com\n")) == [(2, ("a.com",)), (3, ("b.com",))]


def test_blank_rows_above_the_header_count_towards_row_numbers() -> None:
    assert rows_of(table_of(b"\n\ndomain\na.com\n")) == [(4, ("a.com",))]


def test_blank_and_nan_like_cells_become_missing_never_the_text_nan() -> None:
    table = table_of(b"domain,name,email\na.com,nan,NULL\nb.com,  ,#N/A\nc.com,NaN,None\n")
    assert [row[1:] for _, row in table.rows] == [(None, None)] * 3


def test_quoted_field_spanning_lines_stays_one_cell() -> None:
    table = table_of(b'domain,note\na.com,"line one\nline two"\n')
    assert rows_of(table) == [(2, ("a.com", "line one\nline two"))]


def test_unnamed_header_cells_get_a_positional_name() -> None:
    assert table_of(b"domain,,x\na.com,1,2\n").header == ("domain", "column 2", "x")


def test_utf16_unicode_text_export_is_read() -> None:
    data = "domain\tname\nşirket.com.tr\tŞirket\n".encode("utf-16")
    assert rows_of(table_of(data)) == [(2, ("şirket.com.tr", "Şirket"))]


# -- XLSX ---------------------------------------------------------------------------------


def test_xlsx_first_sheet_rows_stream_with_numbers_and_blanks_cleaned(tmp_path: Path) -> None:
    data = xlsx_bytes(
        [
            ["Firma", "Domain", "Çalışan"],
            ["Acme", "acme.com", 42.0],
            [None, None, None],
            ["Örnek", "örnek.com.tr", None],
            ["NaN", "b.com", float("nan")],
        ],
        tmp_path,
    )
    table = table_of(data, "leads.xlsx")
    assert table.kind == KIND_XLSX
    assert table.header == ("Firma", "Domain", "Çalışan")
    assert rows_of(table) == [
        (2, ("Acme", "acme.com", "42")),
        (4, ("Örnek", "örnek.com.tr", None)),
        (5, (None, "b.com", None)),
    ]
    table.close()


def test_xlsx_content_is_recognised_even_under_a_csv_name(tmp_path: Path) -> None:
    data = xlsx_bytes([["domain"], ["acme.com"]], tmp_path)
    table = table_of(data, "renamed.csv")
    assert table.kind == KIND_XLSX
    assert rows_of(table) == [(2, ("acme.com",))]


def test_closing_a_table_early_releases_the_workbook(tmp_path: Path) -> None:
    data = xlsx_bytes([["domain"], *[[f"d{n}.com"] for n in range(20)]], tmp_path)
    table = table_of(data, "leads.xlsx")
    assert next(table.rows) == (2, ("d0.com",))
    table.close()
    table.close()  # idempotent
    assert list(table.rows) == []


# -- rejected files -----------------------------------------------------------------------


def test_old_binary_excel_is_refused_with_advice_to_save_as_xlsx_or_csv() -> None:
    error = upload_error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls")
    assert error.code == "xls_unsupported"
    assert ".xlsx" in str(error)
    assert ".csv" in str(error)


def test_xls_extension_with_ole2_content_under_any_name_is_refused_the_same_way() -> None:
    assert upload_error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1junk", "x.csv").code == "xls_unsupported"


def test_binary_junk_named_csv_is_a_clear_error() -> None:
    junk = bytes(range(256)) * 8
    error = upload_error(junk, "junk.csv")
    assert error.code == "binary"
    assert "binary" in str(error)


def test_junk_named_xlsx_and_a_zip_that_is_no_workbook_are_refused(tmp_path: Path) -> None:
    assert upload_error(b"hello,world\n", "fake.xlsx").code == "not_xlsx"
    broken = xlsx_bytes([["domain"]], tmp_path)[:200]  # starts with PK but is cut short
    assert upload_error(broken, "broken.xlsx").code == "not_xlsx"


def test_other_extensions_are_refused() -> None:
    assert upload_error(b"domain\na.com\n", "leads.pdf").code == "unsupported_type"


def test_empty_file_and_file_of_blank_lines_are_refused_as_empty() -> None:
    assert upload_error(b"", "x.csv").code == "empty"
    assert upload_error(b"\n\n , \n", "x.csv").code == "empty"


def test_file_over_the_byte_limit_is_refused_naming_the_limit() -> None:
    error = upload_error(b"domain\n" + b"a.com\n" * 400, "big.csv", max_bytes=1024)
    assert error.code == "too_large"
    assert "HUNTER_UPLOAD_MAX_BYTES" in str(error)
    assert "1,024" in str(error)


def test_header_only_file_has_no_rows() -> None:
    assert rows_of(table_of(b"domain,name\n")) == []


# -- cells --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, math.nan, "", "   ", "nan", "NaN", "null", "#N/A", "N/A"])
def test_cells_meaning_nothing_are_none(value: object) -> None:
    assert clean_cell(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(42.0, "42"), (4.5, "4.5"), (7, "7"), (True, "TRUE"), ("  acme.com ", "acme.com")],
)
def test_cell_values_become_trimmed_text(value: object, expected: str) -> None:
    assert clean_cell(value) == expected
