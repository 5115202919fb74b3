"""scanning.ingest.columns: which column holds the domain, company, e-mail and website."""

from __future__ import annotations

import pytest

from scanning.ingest.columns import (
    ColumnError,
    ColumnMap,
    choose_columns,
    detect_columns,
    exact_columns,
    header_key,
)


def test_header_keys_fold_turkish_letters_case_and_punctuation() -> None:
    assert header_key("Şirket Ünvanı") == "sirketunvani"
    assert header_key("E-Posta Adresi") == "epostaadresi"
    assert header_key(" İnternet Sitesi ") == "internetsitesi"


def test_turkish_headers_pick_company_web_column_and_email() -> None:
    columns = detect_columns(["Firma Adı", "Web Sitesi", "E-posta"], [])
    assert columns == ColumnMap(domain=1, company=0, email=2, website=1)


def test_a_domain_column_wins_over_a_website_column_which_stays_the_website() -> None:
    columns = detect_columns(["Şirket Ünvanı", "Website", "Domain Name"], [])
    assert columns.domain == 2
    assert columns.website == 1
    assert columns.company == 0  # "name" in "Domain Name" does not make it the company


def test_street_address_column_loses_to_a_web_column_even_when_first() -> None:
    columns = detect_columns(["Unvan", "Adres", "Web"], [("A", "Atatürk Cd. 5", "a.com")])
    assert columns.domain == 2


def test_email_address_header_is_the_email_column_not_a_domain_by_the_word_adres() -> None:
    sample = [("Acme", "info@acme.com", "acme.com")]
    columns = detect_columns(["Company", "E-posta Adresi", "Alan Adı"], sample)
    assert columns == ColumnMap(domain=2, company=0, email=1, website=None)


def test_without_header_words_the_most_domain_like_column_is_the_domain() -> None:
    sample = [
        ("Acme", "İstanbul", "acme.com.tr"),
        ("Beta", "www.x.net", "https://beta.org"),
        ("Gama", "Ankara", "gama.com"),
    ]
    columns = detect_columns(["Müşteri", "Şehir", "Kayıt"], sample)
    assert columns.domain == 2
    assert columns.company == 0  # the reference's fallback: the first column


def test_company_falls_back_to_first_column_only_when_it_is_not_the_domain() -> None:
    columns = detect_columns(["Domain", "Notes"], [])
    assert columns.company is None


def test_only_a_weak_adres_column_is_used_when_nothing_else_looks_like_a_domain() -> None:
    columns = detect_columns(["Firma", "Adres"], [("Acme", "acme")])
    assert columns.domain == 1


def test_no_domain_like_column_is_an_error_listing_the_columns() -> None:
    with pytest.raises(ColumnError) as caught:
        detect_columns(["Firma", "Şehir"], [("Acme", "İzmir")])
    assert caught.value.columns == ("Firma", "Şehir")
    assert "'Firma', 'Şehir'" in str(caught.value)
    assert caught.value.code == "no_domain_column"


def test_without_auto_detect_exact_names_are_matched_case_and_space_insensitively() -> None:
    columns = exact_columns(["Company_Name", " DOMAIN ", "email", "Website", "extra"])
    assert columns == ColumnMap(domain=1, company=0, email=2, website=3)


def test_without_auto_detect_a_file_lacking_a_domain_column_is_an_error_listing_columns() -> None:
    with pytest.raises(ColumnError) as caught:
        choose_columns(["Web Sitesi", "Firma"], [("a.com", "A")], auto_detect=False)
    assert "'domain'" in str(caught.value)
    assert "'Web Sitesi', 'Firma'" in str(caught.value)


def test_choose_columns_detects_only_when_asked() -> None:
    header = ["Firma", "Web Sitesi"]
    assert choose_columns(header, [], auto_detect=True).domain == 1
    with pytest.raises(ColumnError):
        choose_columns(header, [], auto_detect=False)


def test_cell_lookup_tolerates_short_rows_and_absent_columns() -> None:
    columns = ColumnMap(domain=0, company=3)
    assert columns.cell(("a.com",), "domain") == "a.com"
    assert columns.cell(("a.com",), "company") is None
    assert columns.cell(("a.com",), "email") is None
