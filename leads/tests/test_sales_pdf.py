"""leads.sales.pdf: the letter-size account summary, read back with pypdf."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from io import BytesIO
from typing import cast

import pytest
from django.utils import translation
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from reportlab.lib.pagesizes import letter

from leads.sales.pdf import AccountSummary, render_summary_pdf, summary_pdf_filename, summary_risks

GENERATED_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
TURKISH_NAME = "Işıklı Çağdaş Gıda Üretim ve Ticaret A.Ş. — İzmir Öğütücü Şubesi"

SUMMARY = AccountSummary(
    domain="isiklicagdas.com.tr",
    company_name=TURKISH_NAME,
    provider="Local",
    country="TR",
    spf=True,
    dkim=False,
    dmarc_policy=None,
    readiness_score=0,
    segment="Skip",
    priority_score=7,
    mx_root="natro.com",
    registrar="İsimtescil Bilişim",
    expires_at=date(2027, 5, 4),
    nameservers=("ns1.natro.com", "ns2.natro.com"),
    reason="Hard-fail: MX kaydı yok",
)


def _text(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_pdf_is_one_letter_size_page(english: None) -> None:
    reader = PdfReader(BytesIO(render_summary_pdf(SUMMARY, generated_at=GENERATED_AT)))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (
        round(letter[0]),
        round(letter[1]),
    )


def test_turkish_company_name_survives_intact(english: None) -> None:
    text = _text(render_summary_pdf(SUMMARY, generated_at=GENERATED_AT))
    assert TURKISH_NAME in text
    assert "İsimtescil Bilişim" in text
    assert "MX kaydı yok" in text


def test_the_turkish_capable_font_is_embedded(english: None) -> None:
    reader = PdfReader(BytesIO(render_summary_pdf(SUMMARY, generated_at=GENERATED_AT)))
    resources = cast(DictionaryObject, reader.pages[0]["/Resources"])
    fonts = [font.get_object() for font in cast(DictionaryObject, resources["/Font"]).values()]
    embedded = [
        font["/BaseFont"]
        for font in fonts
        if "/FontDescriptor" in font and "/FontFile2" in font["/FontDescriptor"]
    ]
    assert any("SourceSansPro" in name for name in embedded), embedded


def test_pdf_has_every_section_and_value(english: None) -> None:
    text = _text(render_summary_pdf(SUMMARY, generated_at=GENERATED_AT))
    for expected in (
        "Domain Account Summary",
        "Domain Information",
        "Security Status",
        "Scores",
        "Signals",
        "Risks",
        "Analysis",
        "0/100",  # a score of 0 is shown, not replaced by a placeholder
        "7/7",
        "ns1.natro.com, ns2.natro.com",
        "2027-05-04",
        "Generated at 2026-03-01 09:30 UTC",
    ):
        assert expected in text, expected


def test_unknown_values_get_placeholders(english: None) -> None:
    bare = AccountSummary(
        domain="bos.com.tr",
        company_name=None,
        provider=None,
        country=None,
        spf=None,
        dkim=None,
        dmarc_policy=None,
        readiness_score=None,
        segment=None,
        priority_score=7,
        mx_root=None,
        registrar=None,
        expires_at=None,
        nameservers=(),
        reason=None,
    )
    text = _text(render_summary_pdf(bare, generated_at=GENERATED_AT))
    assert "Company: N/A" in text
    assert "Provider: Unknown" in text
    assert "DMARC: None" in text
    assert "N/A/100" in text


def test_risks_list_missing_records_and_a_missing_dmarc_as_none_policy() -> None:
    with translation.override("en"):
        assert summary_risks(SUMMARY) == ["No DKIM record", "DMARC policy is 'none'"]


def test_no_risks_when_every_record_is_in_place() -> None:
    safe = AccountSummary(**{**SUMMARY.__dict__, "dkim": True, "dmarc_policy": "reject"})
    assert summary_risks(safe) == []


def test_download_name_is_domain_summary_pdf() -> None:
    assert summary_pdf_filename("acme.com.tr") == "acme.com.tr_summary.pdf"


def test_turkish_labels_render_with_their_own_letters() -> None:
    with translation.override("tr"):
        text = _text(render_summary_pdf(SUMMARY, generated_at=GENERATED_AT))
    assert "Alan Adı Hesap Özeti" in text
    assert "Güvenlik Durumu" in text
    assert "Firma: " + TURKISH_NAME in text
