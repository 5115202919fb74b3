"""DMARC parsing (pure), including the worked check_dmarc cases from scoring-cases.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanning.engine.dmarc import dmarc_from_txt, parse_dmarc, parse_tags, select_dmarc_record

CASES_FILE = Path(__file__).resolve().parent / "data" / "scoring-cases.json"
DMARC_CASES = [
    case
    for case in json.loads(CASES_FILE.read_text(encoding="utf-8"))
    if case["input"].get("function") == "check_dmarc"
]


@pytest.mark.parametrize("case", DMARC_CASES, ids=[case["name"] for case in DMARC_CASES])
def test_worked_dmarc_case(case: dict[str, Any]) -> None:
    record = case["input"]["txt_record_at__dmarc"]

    policy = dmarc_from_txt([] if record is None else [record])

    assert (policy.policy if policy else None) == case["expected"]["dmarc_policy"]
    assert (policy.coverage if policy else None) == case["expected"]["dmarc_coverage"]


def test_the_worked_cases_were_found() -> None:
    assert len(DMARC_CASES) >= 4


def test_subdomain_policy_does_not_leak_into_the_policy() -> None:
    policy = parse_dmarc("v=DMARC1; p=reject; sp=none")

    assert policy.policy == "reject"
    assert policy.subdomain_policy == "none"


def test_policy_values_are_case_insensitive() -> None:
    assert parse_dmarc("v=DMARC1; P=QUARANTINE").policy == "quarantine"


def test_invalid_policy_value_counts_as_none() -> None:
    assert parse_dmarc("v=DMARC1; p=block").policy == "none"


def test_test_mode_policy_does_not_enforce() -> None:
    policy = parse_dmarc("v=DMARC1; p=reject; t=y")

    assert policy.testing
    assert not policy.enforced


def test_quarantine_without_test_mode_enforces() -> None:
    assert parse_dmarc("v=DMARC1; p=quarantine; t=n").enforced


def test_none_policy_never_enforces() -> None:
    assert not parse_dmarc("v=DMARC1; p=none").enforced


def test_partial_rollout_is_read_from_pct() -> None:
    policy = parse_dmarc("v=DMARC1; p=quarantine; pct=25")

    assert (policy.pct, policy.coverage, policy.partial) == (25, 25, True)


def test_zero_pct_does_not_enforce() -> None:
    assert not parse_dmarc("v=DMARC1; p=reject; pct=0").enforced


@pytest.mark.parametrize(("text", "pct"), [("250", 100), ("abc", 100), ("", 100), ("7", 7)])
def test_pct_is_clamped_and_unreadable_pct_means_all_mail(text: str, pct: int) -> None:
    assert parse_dmarc(f"v=DMARC1; p=reject; pct={text}").pct == pct


def test_np_and_report_addresses_are_read() -> None:
    policy = parse_dmarc("v=DMARC1; p=none; np=reject; rua=mailto:a@x.test, mailto:b@y.test")

    assert policy.np == "reject"
    assert policy.rua == ("mailto:a@x.test", "mailto:b@y.test")


def test_raw_record_is_kept() -> None:
    text = "v=DMARC1; p=none; rua=mailto:x@example.com"

    assert parse_dmarc(text).raw == text


def test_text_without_the_version_tag_is_not_a_policy() -> None:
    policy = parse_dmarc("p=reject")

    assert not policy.valid
    assert (policy.policy, policy.coverage, policy.enforced) == (None, None, False)


def test_select_picks_the_first_record_with_the_version_tag() -> None:
    txt = ["some-verification=1", "v=DMARC1; p=none", "v=DMARC1; p=reject"]

    assert select_dmarc_record(txt) == "v=DMARC1; p=none"
    assert select_dmarc_record(["p=reject"]) is None


def test_tags_keep_the_first_of_a_repeated_key() -> None:
    assert parse_tags("v=DMARC1; p=reject; p=none")["p"] == "reject"


@given(st.text())
def test_parse_dmarc_never_raises_on_arbitrary_text(text: str) -> None:
    policy = parse_dmarc(text)

    assert 0 <= policy.pct <= 100


@given(st.text(alphabet=st.sampled_from("v=DMARC1;pstcnoerjqu yY0123456789%"), max_size=60))
def test_parse_dmarc_never_raises_on_dmarc_like_text(text: str) -> None:
    policy = parse_dmarc("v=DMARC1;" + text)

    assert policy.policy in ("none", "quarantine", "reject")
