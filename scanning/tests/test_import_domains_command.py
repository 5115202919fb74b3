"""`manage.py import_domains`: the operator's import, its summary and its exit status."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from leads.models import Company
from scanning.models import JobKind, ScanJob

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[list[str], int]:
    out = StringIO()
    try:
        call_command("import_domains", *args, stdout=out)
        code = 0
    except CommandError as error:
        code = error.returncode
    return out.getvalue().splitlines(), code


def write(tmp_path: Path, text: str, name: str = "leads.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_summary_counts_rows_unique_domains_new_companies_and_lists_errors(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "domain\nacme.com\nACME.com\nbad_one\n\nbeta.com.tr\n")
    lines, code = run(path)
    assert code == 0
    assert lines[:4] == ["rows: 4", "unique domains imported: 2", "new companies: 2", "errors: 1"]
    assert "row 4: bad_one: not a domain name" in lines
    assert lines[-1] == f"import job: {ScanJob.objects.get(kind=JobKind.IMPORT).public_id}"
    assert set(Company.objects.values_list("domain", flat=True)) == {"acme.com", "beta.com.tr"}


def test_second_run_reports_no_new_companies(tmp_path: Path) -> None:
    path = write(tmp_path, "domain\nacme.com\n")
    run(path)
    lines, code = run(path)
    assert code == 0
    assert "new companies: 0" in lines
    assert Company.objects.count() == 1


def test_error_lines_stop_at_fifty_then_say_how_many_more(tmp_path: Path) -> None:
    path = write(tmp_path, "domain\nacme.com\n" + "x_y\n" * 60)
    lines, code = run(path)
    assert code == 0
    assert sum(1 for line in lines if line.startswith("row ")) == 50
    assert "... and 10 more" in lines


def test_exit_status_is_one_when_no_domain_was_imported(tmp_path: Path) -> None:
    lines, code = run(write(tmp_path, "domain\nnot a domain\n"))
    assert code == 1
    assert "unique domains imported: 0" in lines


def test_auto_detect_option_finds_turkish_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "Firma Adı;Web Sitesi\nAcme;www.acme.com/iletisim\n")
    with pytest.raises(CommandError, match="no 'domain' column"):
        call_command("import_domains", path)
    _, code = run(path, "--auto-detect")
    assert code == 0
    assert Company.objects.get().canonical_name == "Acme"


def test_file_without_domain_column_is_a_command_error_listing_columns(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="'Firma Adı', 'Web Sitesi'"):
        call_command("import_domains", write(tmp_path, "Firma Adı,Web Sitesi\nAcme,acme.com\n"))


def test_unreadable_or_unsupported_files_are_command_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(CommandError, match="binary"):
        call_command("import_domains", str(junk))
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_domains", str(tmp_path / "missing.csv"))
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    with pytest.raises(CommandError, match=r"\.xlsx"):
        call_command("import_domains", str(old))
    assert not Company.objects.exists()


def test_scan_option_starts_a_scan_job_for_the_imported_domains(tmp_path: Path) -> None:
    lines, code = run(write(tmp_path, "domain\nacme.com\nbeta.com\nacme.com\n"), "--scan")
    assert code == 0
    job = ScanJob.objects.get(kind=JobKind.SCAN)
    assert job.total == 2
    assert sorted(d for chunk in job.chunks.all() for d in chunk.domains) == [
        "acme.com",
        "beta.com",
    ]
    assert f"scan job: {job.public_id} (2 domains)" in lines


def test_scan_option_starts_nothing_when_no_domain_was_imported(tmp_path: Path) -> None:
    _, code = run(write(tmp_path, "domain\nx_y\n"), "--scan")
    assert code == 1
    assert not ScanJob.objects.filter(kind=JobKind.SCAN).exists()
