"""scanning.services.ingest: one domain, uploads (CSV/XLSX) and webhooks, on real PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from pytest_django.fixtures import Settings as SettingsWrapper

from leads.models import Company, RawLead
from leads.tests.factories import CompanyFactory, UserFactory
from scanning.engine.normalize import REASON_PUBLIC_SUFFIX, REASON_PUNYCODE
from scanning.ingest.columns import ColumnError
from scanning.ingest.readers import UploadError
from scanning.models import JobKind, JobStatus, ScanJob
from scanning.services.ingest import (
    ERROR_EMPTY,
    ERROR_INVALID,
    ERROR_UNSTORABLE,
    InvalidInput,
    RowError,
    domain_ingest,
    upload_ingest,
    webhook_ingest,
)

pytestmark = pytest.mark.django_db


def csv_file(tmp_path: Path, text: str, name: str = "leads.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def xlsx_file(tmp_path: Path, rows: Sequence[Sequence[object]], name: str = "leads.xlsx") -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    path = tmp_path / name
    workbook.save(path)
    return path


def names() -> dict[str, str]:
    return dict(Company.objects.values_list("domain", "canonical_name"))


# -- one domain ---------------------------------------------------------------------------


def test_ingest_domain_creates_the_company_and_logs_the_raw_record() -> None:
    result = domain_ingest(domain="WWW.Acme.com.", company_name="Acme A.Ş.")
    assert result.created is True
    assert result.domain == "acme.com"
    assert Company.objects.get(pk=result.company_id).canonical_name == "Acme A.Ş."
    lead = RawLead.objects.get()
    assert (lead.source, lead.domain, lead.company_name) == ("domain", "acme.com", "Acme A.Ş.")
    assert lead.payload == {"original_domain": "WWW.Acme.com.", "email": "", "website": ""}


def test_reingesting_a_domain_adds_a_raw_lead_but_no_second_company() -> None:
    first = domain_ingest(domain="acme.com")
    second = domain_ingest(domain="ACME.COM", company_name="Acme")
    assert second.created is False
    assert second.company_id == first.company_id
    assert Company.objects.count() == 1
    assert RawLead.objects.count() == 2
    assert names() == {"acme.com": "Acme"}


def test_website_beats_email_beats_domain_for_a_single_domain() -> None:
    assert domain_ingest(domain="a.com", email="x@b.com", website="https://www.c.com/x").domain == (
        "c.com"
    )
    assert domain_ingest(domain="a.com", email="x@b.com", website="nan").domain == "b.com"
    assert domain_ingest(domain="a.com", email="not-an-email").domain == "a.com"


def test_invalid_single_domain_raises_with_the_reason_and_writes_nothing() -> None:
    with pytest.raises(InvalidInput) as caught:
        domain_ingest(domain="exa_mple.com")
    assert caught.value.reason == "not a domain name"
    assert caught.value.value == "exa_mple.com"
    with translation.override("en"):
        message = str(InvalidInput("not a domain name", "x"))
    assert message == "Invalid domain format: not a domain name"
    with pytest.raises(InvalidInput):
        domain_ingest(domain="   ")
    assert not Company.objects.exists()
    assert not RawLead.objects.exists()


def test_single_domain_records_who_added_it() -> None:
    user = UserFactory.create()
    domain_ingest(domain="acme.com", created_by=user, source="api")
    lead = RawLead.objects.get()
    assert lead.source == "api"
    assert lead.payload["created_by_id"] == user.pk


def test_a_nan_company_name_is_not_stored_as_a_name() -> None:
    domain_ingest(domain="acme.com", company_name="nan")
    assert names() == {"acme.com": "acme.com"}


# -- webhook ------------------------------------------------------------------------------


def test_webhook_stores_company_enrichment_and_raw_payload() -> None:
    result = webhook_ingest(
        domain="example.com",
        company_name="Example Ltd",
        contact_emails=["john.doe@example.com", " ", "jane.roe@example.com", "x@other.com"],
        api_key_id="Ab12Cd34",
        api_key_name="crm",
    )
    assert result.enriched is True
    assert result.created is True
    company = Company.objects.get()
    assert company.contact_quality_score == 56
    assert company.linkedin_pattern == "firstname.lastname"
    lead = RawLead.objects.get()
    assert lead.source == "webhook"
    assert lead.payload == {
        "original_domain": "example.com",
        "contact_emails": ["john.doe@example.com", "jane.roe@example.com", "x@other.com"],
        "api_key_id": "Ab12Cd34",
        "api_key_name": "crm",
    }


def test_webhook_without_emails_is_not_enriched_and_keeps_existing_contacts() -> None:
    CompanyFactory.create(domain="example.com", contact_quality_score=40)
    result = webhook_ingest(domain="https://Example.com/", contact_emails=["", "  "])
    assert result.enriched is False
    assert result.created is False
    assert Company.objects.get().contact_quality_score == 40
    assert RawLead.objects.get().payload["contact_emails"] == []


def test_webhook_with_invalid_domain_raises_and_writes_nothing() -> None:
    with pytest.raises(InvalidInput, match="not a domain name"):
        webhook_ingest(domain="not a domain", contact_emails=["a@b.com"])
    assert not Company.objects.exists()
    assert not RawLead.objects.exists()


# -- uploads: formats ---------------------------------------------------------------------


def test_csv_with_bom_semicolons_and_turkish_text_stores_punycode_and_names(
    tmp_path: Path,
) -> None:
    text = "\ufeffşirket adı;domain\nÖrnek Gıda A.Ş.;örnek.com.tr\nAcme;WWW.ACME.COM\n"
    path = csv_file(tmp_path, text)
    report = upload_ingest(file=path, auto_detect_columns=True)
    assert names() == {"xn--rnek-4qa.com.tr": "Örnek Gıda A.Ş.", "acme.com": "Acme"}
    assert (report.total_rows, report.ingested_domains, report.companies_created) == (2, 2, 2)
    assert report.errors == []
    lead = RawLead.objects.get(domain="xn--rnek-4qa.com.tr")
    assert lead.source == "csv"
    assert lead.payload == {
        "original_domain": "örnek.com.tr",
        "row_index": 2,
        "email": "",
        "website": "",
    }


def test_cp1254_csv_is_imported_with_turkish_names_intact(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "domain,company_name\nışık.com.tr,Işık Şirketi\n", encoding="cp1254")
    upload_ingest(file=path)
    assert names() == {"xn--k-ekaa7p.com.tr": "Işık Şirketi"}


def test_xlsx_written_with_openpyxl_is_imported_as_xlsx_source(tmp_path: Path) -> None:
    path = xlsx_file(
        tmp_path,
        [
            ["Firma Adı", "Web Sitesi"],
            ["Acme", "https://www.acme.com/tr"],
            [None, None],
            ["Beta", "beta.com.tr"],
        ],
    )
    report = upload_ingest(file=path, auto_detect_columns=True)
    assert names() == {"acme.com": "Acme", "beta.com.tr": "Beta"}
    assert report.ingested_domains == 2
    assert set(RawLead.objects.values_list("source", flat=True)) == {"xlsx"}
    assert RawLead.objects.get(domain="beta.com.tr").payload["row_index"] == 4


def test_django_uploaded_file_is_accepted_by_its_own_name() -> None:
    upload = SimpleUploadedFile("leads.csv", b"domain\nacme.com\n")
    upload.read()  # e.g. a form already looked at it
    report = upload_ingest(file=upload)
    assert report.ingested_domains == 1


def test_plain_binary_file_object_needs_a_filename() -> None:
    report = upload_ingest(file=io.BytesIO(b"domain\nacme.com\n"), filename="x.csv")
    assert list(report.domains) == ["acme.com"]


# -- uploads: rows ------------------------------------------------------------------------


def test_website_beats_email_beats_domain_in_each_row(tmp_path: Path) -> None:
    text = (
        "domain,email,website,company_name\n"
        "a.com,x@b.com,https://c.com,Web wins\n"
        "a2.com,x@b2.com,nan,Email wins\n"
        "a3.com,,,Domain only\n"
        ",x@b4.com,,Email only\n"
    )
    report = upload_ingest(file=csv_file(tmp_path, text))
    assert list(report.domains) == ["c.com", "b2.com", "a3.com", "b4.com"]
    lead = RawLead.objects.get(domain="c.com")
    assert (lead.email, lead.website) == ("x@b.com", "https://c.com")
    assert lead.payload["original_domain"] == "a.com"


def test_blank_and_nan_cells_are_missing_not_the_text_nan(tmp_path: Path) -> None:
    text = "domain,company_name,email\nacme.com,nan,\nNaN,Beta Ltd,\nbeta.com,,NULL\n,NaN,\n"
    report = upload_ingest(file=csv_file(tmp_path, text))
    assert names() == {"acme.com": "acme.com", "beta.com": "beta.com"}
    assert report.errors == [RowError(3, "", ERROR_EMPTY, "empty")]
    assert report.errors[0].message == "Satır 3: Boş domain"
    assert not RawLead.objects.filter(company_name__iexact="nan").exists()
    assert not RawLead.objects.filter(email__iexact="null").exists()


def test_invalid_rows_are_reported_with_turkish_message_and_machine_reason(
    tmp_path: Path,
) -> None:
    text = "domain\nacme.com\nexa_mple.com\nWeb Sitesi\nhttps://\n"
    report = upload_ingest(file=csv_file(tmp_path, text))
    assert [(e.row_number, e.value, e.reason) for e in report.errors] == [
        (3, "exa_mple.com", ERROR_INVALID),
        (4, "Web Sitesi", ERROR_INVALID),
        (5, "https://", ERROR_INVALID),
    ]
    assert report.errors[0].message == "Satır 3: Geçersiz domain formatı 'exa_mple.com'"
    assert report.errors[1].detail == "placeholder value"
    assert names() == {"acme.com": "acme.com"}


def test_reimporting_the_same_file_creates_no_company_and_appends_raw_leads(
    tmp_path: Path,
) -> None:
    path = csv_file(tmp_path, "domain,company_name\nacme.com,Acme\nbeta.com,\nacme.com,\n")
    first = upload_ingest(file=path)
    second = upload_ingest(file=path)
    assert (first.ingested_domains, first.companies_created) == (2, 2)
    assert (second.ingested_domains, second.companies_created) == (2, 0)
    assert Company.objects.count() == 2
    assert RawLead.objects.count() == 6
    assert names() == {"acme.com": "Acme", "beta.com": "beta.com"}


def test_auto_detect_falls_back_to_the_most_domain_like_column(tmp_path: Path) -> None:
    text = "Müşteri,Şehir,Kayıt\nAcme,İzmir,acme.com.tr\nBeta,Ankara,www.beta.net\n"
    report = upload_ingest(file=csv_file(tmp_path, text), auto_detect_columns=True)
    assert names() == {"acme.com.tr": "Acme", "beta.net": "Beta"}
    assert report.errors == []


# -- uploads: the import job row ----------------------------------------------------------


def test_upload_is_recorded_as_a_completed_import_job_with_counters(tmp_path: Path) -> None:
    user = UserFactory.create()
    path = csv_file(tmp_path, "domain\nacme.com\nbad_domain\nacme.com\n")
    report = upload_ingest(file=path, created_by=user, batch_size=2)
    job = ScanJob.objects.get(pk=report.job_id)
    assert (job.kind, job.status, job.created_by) == (JobKind.IMPORT, JobStatus.COMPLETED, user)
    assert (job.total, job.processed, job.succeeded, job.failed) == (3, 3, 2, 1)
    assert job.finished_at is not None
    summary = job.options["report"]
    assert summary["ingested_domains"] == 1
    assert summary["errors"][0]["message"] == "Satır 3: Geçersiz domain formatı 'bad_domain'"
    assert job.options["format"] == "csv"
    assert job.options["filename"] == "leads.csv"


# -- uploads: malformed files -------------------------------------------------------------


def test_binary_junk_is_a_clear_error_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(UploadError, match="binary"):
        upload_ingest(file=path)
    assert not Company.objects.exists()
    assert not RawLead.objects.exists()
    assert not ScanJob.objects.exists()


def test_csv_without_a_domain_like_column_is_an_error_listing_the_columns(
    tmp_path: Path,
) -> None:
    path = csv_file(tmp_path, "Firma,Şehir,Telefon\nAcme,İzmir,555\n")
    with pytest.raises(ColumnError) as caught:
        upload_ingest(file=path, auto_detect_columns=True)
    assert "'Firma', 'Şehir', 'Telefon'" in str(caught.value)
    assert not ScanJob.objects.exists()
    with pytest.raises(ColumnError, match="no 'domain' column"):
        upload_ingest(file=path, auto_detect_columns=False)


def test_old_xls_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(UploadError, match=r"save it as \.xlsx"):
        upload_ingest(file=path)


def test_ten_thousand_garbage_rows_do_not_stop_ten_good_domains(tmp_path: Path) -> None:
    good = {n * 1000 + 500: f"good{n}.com.tr" for n in range(10)}
    lines = ["domain,company_name"]
    for number in range(1, 10_011):
        position = number - 1
        lines.append(f"{good[position]},Good" if position in good else f"junk_{number} !!,X")
    # The header is row 1, as in a spreadsheet: good rows sit at 502, 1502, ...
    good_rows = {position + 2 for position in good}
    report = upload_ingest(file=csv_file(tmp_path, "\n".join(lines) + "\n"))
    assert set(names()) == set(good.values())
    assert set(names().values()) == {"Good"}
    assert report.total_rows == 10_010
    assert len(report.errors) == 10_000
    error_rows = {error.row_number for error in report.errors}
    assert error_rows == set(range(2, 10_012)) - good_rows
    assert RawLead.objects.count() == 10


def test_file_over_the_byte_limit_is_refused_naming_the_setting(
    tmp_path: Path, settings: SettingsWrapper
) -> None:
    settings.HUNTER_UPLOAD_MAX_BYTES = 1024
    path = csv_file(tmp_path, "domain\n" + "acme.com\n" * 200)
    with pytest.raises(UploadError, match="HUNTER_UPLOAD_MAX_BYTES") as caught:
        upload_ingest(file=path)
    assert caught.value.code == "too_large"
    assert not Company.objects.exists()


def test_rows_past_the_row_limit_stop_the_import_and_are_reported(
    tmp_path: Path, settings: SettingsWrapper
) -> None:
    settings.HUNTER_UPLOAD_MAX_ROWS = 5
    path = csv_file(tmp_path, "domain\n" + "".join(f"d{n}.com\n" for n in range(1, 9)))
    report = upload_ingest(file=path, batch_size=2)
    assert report.stopped_at_row_limit
    assert report.row_limit == 5
    assert report.total_rows == 5
    assert sorted(names()) == [f"d{n}.com" for n in range(1, 6)]
    assert ScanJob.objects.get().options["report"]["row_limit"] == 5


def test_a_file_exactly_at_the_row_limit_is_not_reported_as_cut(
    tmp_path: Path, settings: SettingsWrapper
) -> None:
    settings.HUNTER_UPLOAD_MAX_ROWS = 4
    path = csv_file(tmp_path, "domain\n" + "".join(f"d{n}.com\n" for n in range(4)))
    report = upload_ingest(file=path, batch_size=3)
    assert not report.stopped_at_row_limit
    assert report.ingested_domains == 4


# -- uploads: cost ------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [30, 300])
def test_upload_queries_are_bounded_per_batch_not_per_row(
    tmp_path: Path, rows: int, django_assert_max_num_queries: Any
) -> None:
    lines = ["domain,company_name,email"]
    lines += [f"d{n}.com,{'Name' if n % 2 else ''},x@d{n}.com" for n in range(rows)]
    lines += ["bad_domain,,"] * 5
    path = csv_file(tmp_path, "\n".join(lines) + "\n")
    # job create + per batch (savepoint, select, 2 upserts, re-read, insert, counters,
    # release) + finish (re-read, save): the same bound for 30 rows as for 300.
    with django_assert_max_num_queries(12):
        report = upload_ingest(file=path, batch_size=500)
    assert report.ingested_domains == rows
    assert len(report.errors) == 5


# -- uploads: rows that must never fail the import ----------------------------------------


def test_repeated_www_labels_are_stripped_and_every_good_row_is_kept(tmp_path: Path) -> None:
    text = (
        "domain,company_name\n"
        "www.www.acme.test,Acme\n"
        "WWW.www.acme.test,Acme again\n"
        "https://www.www.beta.test/,Beta\n"
        "gamma.test,Gamma\n"
    )
    report = upload_ingest(file=csv_file(tmp_path, text))
    assert report.errors == []
    assert names() == {"acme.test": "Acme again", "beta.test": "Beta", "gamma.test": "Gamma"}
    assert ScanJob.objects.get(pk=report.job_id).status == JobStatus.COMPLETED


def test_public_suffixes_and_undecodable_punycode_are_row_errors_with_reasons(
    tmp_path: Path,
) -> None:
    text = "domain\nco.uk\ncom.tr\ngithub.io\nxn--zz.com\nacme.co.uk\n"
    report = upload_ingest(file=csv_file(tmp_path, text))
    assert [(e.row_number, e.detail) for e in report.errors] == [
        (2, REASON_PUBLIC_SUFFIX),
        (3, REASON_PUBLIC_SUFFIX),
        (4, REASON_PUBLIC_SUFFIX),
        (5, REASON_PUNYCODE),
    ]
    assert list(names()) == ["acme.co.uk"]


def test_email_address_in_the_domain_column_is_imported_as_its_domain(tmp_path: Path) -> None:
    report = upload_ingest(file=csv_file(tmp_path, "domain\nsales@Acme.test\n"))
    assert (list(report.domains), report.errors) == (["acme.test"], [])


def test_a_row_the_database_refuses_costs_only_that_row(tmp_path: Path) -> None:
    # A NUL byte past the part of the file checked for binary data reaches the database,
    # which cannot store it in a text column.
    filler = "".join(f"filler{n}.test,Filler\n" for n in range(4000))
    text = f"domain,company_name\n{filler}nul.test,Bad\x00Name\nlast.test,Last\n"
    report = upload_ingest(file=csv_file(tmp_path, text), batch_size=500)
    assert [(e.row_number, e.reason, e.value) for e in report.errors] == [
        (4002, ERROR_UNSTORABLE, "nul.test")
    ]
    assert report.ingested_domains == 4001
    assert Company.objects.filter(domain="last.test").exists()
    assert not Company.objects.filter(domain="nul.test").exists()
    job = ScanJob.objects.get(pk=report.job_id)
    assert (job.status, job.succeeded, job.failed) == (JobStatus.COMPLETED, 4001, 1)
