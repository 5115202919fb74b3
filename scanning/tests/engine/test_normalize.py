"""Domain normalisation: documented examples, defects of the old tool fixed, reasons, properties."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from scanning.engine.normalize import (
    REASON_EMPTY,
    REASON_IDNA,
    REASON_NOT_A_DOMAIN,
    REASON_NOT_AN_EMAIL,
    REASON_NOTHING_GIVEN,
    REASON_PLACEHOLDER,
    REASON_PUBLIC_SUFFIX,
    REASON_PUNYCODE,
    REASON_SCHEME,
    extract_domain_from_email,
    extract_domain_from_website,
    is_valid_domain,
    normalize_domain,
    normalize_domain_checked,
    normalize_free_text,
    resolve_input_domain,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("EXAMPLE.COM", "example.com"),
        ("WWW.Example.com.", "example.com"),
        ("https://www.example.com:8080/path?x=1", "example.com"),
        ("http://sub.example.co.uk/", "sub.example.co.uk"),
        ("xn--example.com", "xn--example.com"),
        ("mail.örnek.com.tr", "mail.xn--rnek-4qa.com.tr"),
        ("www.www.x.com", "x.com"),
        ("WWW.www.acme.test", "acme.test"),
        ("https://www.www.beta.test/", "beta.test"),
        ("example.com:8080", ""),
        ("www.example.com/path", ""),
        ("*.example.com", ""),
        ("exa_mple.com", ""),
        ("example..com", ""),
        ("-bad.com", ""),
        ("nan", ""),
        ("N/A", ""),
        ("web sitesi", ""),
        ("1.2.3.4", ""),
        ("localhost", ""),
        ("example.c", ""),
    ],
)
def test_normalize_domain_follows_the_spec_examples(value: str, expected: str) -> None:
    assert normalize_domain(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("örnek.com.tr", "xn--rnek-4qa.com.tr"),
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        ("MÜNCHEN.de", "xn--mnchen-3ya.de"),
        ("https://örnek.com.tr:8443/giris", "xn--rnek-4qa.com.tr"),
        # UTS-46 maps full-width letters and the ideographic full stop before "www." is cut.
        ("\uff57\uff57\uff57.example.com\u3002", "example.com"),
    ],
)
def test_idn_whose_first_label_is_punycode_returns_the_punycode_form(
    value: str, expected: str
) -> None:
    assert normalize_domain(value) == expected


def test_idna_2008_keeps_sharp_s_instead_of_mapping_it_to_ss() -> None:
    # IDNA 2003/transitional processing would have turned straße.de into strasse.de.
    assert normalize_domain("straße.de") == "xn--strae-oqa.de"


@pytest.mark.parametrize(
    "value", ["HTTPS://WWW.EXAMPLE.COM", "Http://example.com/", "hTTp://Example.Com"]
)
def test_url_scheme_is_recognised_in_any_case(value: str) -> None:
    assert normalize_domain(value) == "example.com"


@pytest.mark.parametrize(
    "value", ["ftp://example.com", "mailto://x@example.com", "FILE://example.com"]
)
def test_non_http_schemes_are_rejected_with_a_reason(value: str) -> None:
    outcome = normalize_domain_checked(value)
    assert (outcome.domain, outcome.reason) == ("", REASON_SCHEME)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("   ", REASON_EMPTY),
        (None, REASON_EMPTY),
        ("Null", REASON_PLACEHOLDER),
        (float("nan"), REASON_PLACEHOLDER),
        ("not a domain", REASON_NOT_A_DOMAIN),
        ("http://", REASON_NOT_A_DOMAIN),
        ("a" * 64 + ".com", REASON_NOT_A_DOMAIN),
        (".".join(["a" * 63] * 4) + ".com", REASON_NOT_A_DOMAIN),  # 256 characters
        ("ex\u00e4mple-\u0000.com", REASON_IDNA),
    ],
)
def test_invalid_values_say_why(value: object, reason: str) -> None:
    outcome = normalize_domain_checked(value)
    assert not outcome.ok
    assert outcome.reason == reason


def test_valid_value_has_no_reason() -> None:
    outcome = normalize_domain_checked("Example.COM")
    assert outcome.ok
    assert outcome.reason is None


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("example.com", True),
        ("  example.com  ", True),
        ("a-b.example.co.uk", True),
        ("example", False),
        ("http://example.com", False),
        ("exa mple.com", False),
        ("example.com-", False),
        ("example.-com", False),
        ("WEBSITE", False),
    ],
)
def test_is_valid_domain_applies_the_section_3_1_rules(value: str, valid: bool) -> None:
    assert is_valid_domain(value) is valid


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("USER@WWW.EXAMPLE.COM", "example.com"),
        ("a@b@example.com", "example.com"),
        (" info@örnek.com.tr ", "xn--rnek-4qa.com.tr"),
        ("not-an-email", ""),
        ("user@", ""),
        ("", ""),
    ],
)
def test_email_domain_is_the_normalised_text_after_the_last_at(value: str, expected: str) -> None:
    assert extract_domain_from_email(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.example.com/path", "example.com"),
        ("www.example.com", "example.com"),
        ("example.com/about", "example.com"),
        ("http://EXAMPLE.com:80", "example.com"),
        ("www.example.com?x=1", "example.com"),
        ("HTTPS://Example.com#top", "example.com"),
        ("nan", ""),
        ("ftp://example.com", ""),
    ],
)
def test_website_domain_is_the_normalised_url_host(value: str, expected: str) -> None:
    assert extract_domain_from_website(value) == expected


def test_website_wins_over_email_and_email_over_domain() -> None:
    chosen = resolve_input_domain(domain="a.com", email="x@b.com", website="https://c.com/")
    assert (chosen.domain, chosen.source) == ("c.com", "website")


def test_email_wins_over_domain_when_website_is_unusable() -> None:
    chosen = resolve_input_domain(domain="a.com", email="x@b.com", website="nan")
    assert (chosen.domain, chosen.source) == ("b.com", "email")


def test_domain_column_is_used_when_email_and_website_yield_nothing() -> None:
    chosen = resolve_input_domain(domain="A.com", email="broken", website="")
    assert (chosen.domain, chosen.source) == ("a.com", "domain")


def test_email_address_in_the_domain_field_is_read_as_its_domain() -> None:
    chosen = resolve_input_domain(domain="Info@WWW.Acme.test")
    assert (chosen.domain, chosen.source) == ("acme.test", "domain")


def test_unusable_row_reports_the_reason_of_the_most_specific_filled_field() -> None:
    chosen = resolve_input_domain(domain="", email="user@", website=None)
    assert (chosen.domain, chosen.reason, chosen.source) == ("", REASON_NOT_AN_EMAIL, "email")


def test_empty_row_says_nothing_was_given() -> None:
    assert resolve_input_domain().reason == REASON_NOTHING_GIVEN


@given(st.text())
@example("www.www.x.com")
@example("\uff57\uff57\uff57.example.com\u3002")  # full-width www, ideographic dot
@example("http://[::1")
def test_normalize_domain_never_raises_and_yields_empty_or_valid_ascii(value: str) -> None:
    result = normalize_domain(value)
    assert result == "" or (result.isascii() and is_valid_domain(result))


@given(st.text() | st.from_regex(r"\A(https?://)?((?i:www)\.){0,3}[a-zA-Z0-9äöüçğış.-]{1,30}\Z"))
@example("www.www.example.com")
@example("WWW.www.acme.test")
@example("https://www.www.beta.test/")
@example("www.www.com")
@example("xn--rnek-4qa.com.tr")
def test_normalize_domain_gives_its_own_output_back_for_every_input(value: str) -> None:
    once = normalize_domain(value)
    assert normalize_domain(once) == once


@pytest.mark.parametrize("value", ["co.uk", "com.tr", "github.io", "CO.UK.", "https://com.tr/x"])
def test_public_suffixes_are_rejected_as_registry_owned(value: str) -> None:
    outcome = normalize_domain_checked(value)
    assert (outcome.domain, outcome.reason) == ("", REASON_PUBLIC_SUFFIX)


@pytest.mark.parametrize("value", ["acme.co.uk", "acme.com.tr", "acme.github.io"])
def test_names_registered_under_a_public_suffix_are_kept(value: str) -> None:
    assert normalize_domain(value) == value


@pytest.mark.parametrize("value", ["xn--zz.com", "xn--99.com", "xn--a.com", "mail.xn--zz.com.tr"])
def test_punycode_that_does_not_decode_is_rejected_with_a_reason(value: str) -> None:
    outcome = normalize_domain_checked(value)
    assert (outcome.domain, outcome.reason) == ("", REASON_PUNYCODE)


@pytest.mark.parametrize(
    ("typed", "domain", "reason"),
    [
        ("info@Contoso.com", "contoso.com", None),
        ("https://www.contoso.com/about?x=1", "contoso.com", None),
        ("www.contoso.com/about", "contoso.com", None),
        ("WWW.CONTOSO.COM", "contoso.com", None),
        ("ftp://contoso.com/file", "", "unsupported URL scheme"),
        ("user@", "", "not an email address"),
        ("N/A", "", "placeholder value"),
        ("", "", "empty"),
    ],
)
def test_free_text_is_read_as_email_url_or_domain(
    typed: str, domain: str, reason: str | None
) -> None:
    outcome = normalize_free_text(typed)
    assert (outcome.domain, outcome.reason) == (domain, reason)
