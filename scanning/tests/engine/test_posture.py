"""MTA-STS, TLS-RPT and BIMI record parsing (pure: no DNS)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanning.engine.posture import parse_bimi, parse_mta_sts, parse_tls_rpt

STATUSES = {"valid", "malformed", "absent", "declined"}

# --- MTA-STS ----------------------------------------------------------------------------------


def test_an_mta_sts_record_with_an_id_is_valid_and_keeps_the_id() -> None:
    record = parse_mta_sts(["v=STSv1; id=20160831085700Z;"])

    assert (record.status, record.policy_id) == ("valid", "20160831085700Z")


def test_other_txt_strings_at_the_mta_sts_name_are_not_a_record() -> None:
    assert parse_mta_sts(["google-site-verification=x"]).status == "absent"
    assert parse_mta_sts([]).status == "absent"


@pytest.mark.parametrize(
    "texts",
    [
        ["v=STSv1; id=one", "v=STSv1; id=two"],  # two records: senders ignore both
        ["v=STSv1;"],  # no id
        ["v=STSv1; id=has-dashes"],  # id is letters and digits only
        ["v=STSv1; id=" + "a" * 33],  # at most 32 characters
        ["id=abc; v=STSv1"],  # the version must come first
    ],
)
def test_mta_sts_records_a_sender_would_ignore_are_malformed(texts: list[str]) -> None:
    record = parse_mta_sts(texts)

    assert (record.status, record.policy_id) == ("malformed", None)


# --- TLS-RPT ----------------------------------------------------------------------------------


def test_a_tls_rpt_record_keeps_every_report_address() -> None:
    record = parse_tls_rpt(["v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.com/tls"])

    assert record.status == "valid"
    assert record.rua == ("mailto:a@example.com", "https://r.example.com/tls")


@pytest.mark.parametrize(
    "text", ["v=TLSRPTv1;", "v=TLSRPTv1; rua=ftp://x.example", "v=TLSRPTv1; rua=mailto:"]
)
def test_tls_rpt_without_a_usable_rua_is_malformed(text: str) -> None:
    record = parse_tls_rpt([text])

    assert (record.status, record.rua) == ("malformed", ())


def test_no_tls_rpt_record_is_absent() -> None:
    assert parse_tls_rpt(["v=spf1 -all"]).status == "absent"


# --- BIMI -------------------------------------------------------------------------------------


def test_a_bimi_record_gives_the_logo_and_certificate_urls() -> None:
    record = parse_bimi(["v=BIMI1; l=https://x.example/logo.svg; a=https://x.example/vmc.pem"])

    assert record.status == "valid"
    assert record.logo_url == "https://x.example/logo.svg"
    assert record.authority_url == "https://x.example/vmc.pem"


def test_a_bimi_record_with_empty_tags_declines_to_publish() -> None:
    record = parse_bimi(["v=BIMI1; l=; a=;"])

    assert (record.status, record.logo_url, record.authority_url) == ("declined", None, None)


@pytest.mark.parametrize(
    "texts",
    [
        ["v=BIMI1; l=http://x.example/logo.svg"],  # not HTTPS
        ["v=BIMI1; l=https://a/1.svg", "v=BIMI1; l=https://b/2.svg"],
    ],
)
def test_bimi_records_a_mailbox_would_ignore_are_malformed(texts: list[str]) -> None:
    assert parse_bimi(texts).status == "malformed"


# --- never raising ----------------------------------------------------------------------------

TAG_TEXT = st.text(alphabet=st.sampled_from("v=STSv1TLSRPTBIM;idrual: /.htps,x0"), max_size=60)


@given(st.lists(st.one_of(st.text(), st.none(), st.integers()), max_size=4))
def test_parsers_never_raise_on_arbitrary_answers(texts: list[object]) -> None:
    assert parse_mta_sts(texts).status in STATUSES
    assert parse_tls_rpt(texts).status in STATUSES
    assert parse_bimi(texts).status in STATUSES


@given(TAG_TEXT, TAG_TEXT)
def test_parsers_never_raise_on_record_like_text(first: str, second: str) -> None:
    for prefix in ("v=STSv1;", "v=TLSRPTv1;", "v=BIMI1;"):
        texts = [prefix + first, second]
        assert parse_mta_sts(texts).status in STATUSES
        assert parse_tls_rpt(texts).status in STATUSES
        assert parse_bimi(texts).status in STATUSES
