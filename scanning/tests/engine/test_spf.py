"""SPF parsing (pure): record detection, terms, targets and the error chosen for a walk."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scanning.engine.spf import SpfTerm, find_spf_records, is_spf_record, parse_spf, spf_error

M365 = "v=spf1 ip4:192.0.2.0/24 include:spf.protection.outlook.com -all"


def test_record_starting_with_the_version_tag_is_spf() -> None:
    assert is_spf_record("v=spf1 -all")
    assert is_spf_record("V=SPF1 include:_spf.google.com ~all")
    assert is_spf_record("v=spf1")


def test_version_tag_must_be_followed_by_a_space_or_the_end() -> None:
    assert not is_spf_record("v=spf10 -all")
    assert not is_spf_record(" v=spf1 -all")
    assert not is_spf_record("google-site-verification=abc")


def test_find_spf_records_keeps_only_spf_records_in_order() -> None:
    txt = ("MS=ms123", "v=spf1 -all", "v=spf1 include:x.test -all")

    assert find_spf_records(txt) == ("v=spf1 -all", "v=spf1 include:x.test -all")


def test_parse_keeps_the_raw_record_and_reads_terms() -> None:
    record = parse_spf(M365)

    assert record.valid
    assert record.raw == M365
    assert record.terms[0] == SpfTerm("mechanism", "ip4", "192.0.2.0/24", "+")
    assert record.includes == ("spf.protection.outlook.com",)
    assert record.all_qualifier == "-"


def test_soft_fail_and_neutral_all_qualifiers_are_read() -> None:
    assert parse_spf("v=spf1 ~all").all_qualifier == "~"
    assert parse_spf("v=spf1 ?all").all_qualifier == "?"
    assert parse_spf("v=spf1 include:a.test").all_qualifier is None


def test_redirect_modifier_is_read_and_counts_as_a_lookup() -> None:
    record = parse_spf("v=spf1 redirect=_spf.example.com")

    assert record.redirect == "_spf.example.com"
    assert [term.name for term in record.lookup_terms] == ["redirect"]


def test_lookup_terms_are_include_a_mx_ptr_exists_and_redirect_only() -> None:
    record = parse_spf(
        "v=spf1 ip4:192.0.2.1 ip6:2001:db8::/32 a mx:mail.test/24 ptr exists:%{i}.x.test "
        "include:y.test exp=explain.test redirect=z.test"
    )

    names = [term.name for term in record.lookup_terms]
    assert names == ["a", "mx", "ptr", "exists", "include", "redirect"]


def test_ip6_value_keeps_its_colons() -> None:
    assert parse_spf("v=spf1 ip6:2001:db8::/32 -all").terms[0].value == "2001:db8::/32"


def test_bare_mechanism_with_cidr_has_no_target_domain() -> None:
    term = parse_spf("v=spf1 a/24 -all").terms[0]

    assert (term.kind, term.name, term.value) == ("mechanism", "a", None)


def test_unknown_words_are_kept_as_unknown_terms() -> None:
    record = parse_spf("v=spf1 foo:bar -redirect=x.test -all")

    assert [term.kind for term in record.terms] == ["unknown", "unknown", "mechanism"]


def test_text_without_the_version_tag_is_an_invalid_record() -> None:
    record = parse_spf("include:spf.protection.outlook.com -all")

    assert not record.valid
    assert record.terms == ()


def test_multiple_records_outrank_every_other_error() -> None:
    error = spf_error(
        records_found=2,
        loop=True,
        dns_lookups=12,
        void_lookups=3,
        missing_includes=0,
        unresolved_includes=0,
    )

    assert error == "multiple_records"


def errors_for(*, dns_lookups: int = 3, void_lookups: int = 0) -> str | None:
    return spf_error(
        records_found=1,
        loop=False,
        dns_lookups=dns_lookups,
        void_lookups=void_lookups,
        missing_includes=0,
        unresolved_includes=0,
    )


def test_eleven_lookups_is_too_many_and_ten_is_fine() -> None:
    assert errors_for(dns_lookups=11) == "too_many_lookups"
    assert errors_for(dns_lookups=10) is None


def test_three_void_lookups_is_an_error_and_two_is_fine() -> None:
    assert errors_for(void_lookups=3) == "too_many_void_lookups"
    assert errors_for(void_lookups=2) is None


@given(st.text())
def test_parse_spf_never_raises_on_arbitrary_text(text: str) -> None:
    record = parse_spf(text)

    assert record.raw == text
    assert record.valid == is_spf_record(text)


@given(st.text(alphabet=st.sampled_from("v=spf1 :/=+-~?%{}.aincludemxptr"), max_size=60))
def test_parse_spf_never_raises_on_spf_like_text(text: str) -> None:
    parse_spf("v=spf1 " + text)
