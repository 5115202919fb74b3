"""leads.enrichment: contact e-mails, their quality score and address pattern (SPEC §16).

Also runs the fixture cases of group contact_enrichment and the detect_linkedin_pattern
cases, which scanning/tests/engine/test_fixture_cases.py leaves to this module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from leads.enrichment import (
    contact_quality_score,
    detect_linkedin_pattern,
    enrich_contacts,
    normalize_emails,
)

CASES_FILE = Path(__file__).resolve().parents[2] / "scanning/tests/engine/data/scoring-cases.json"


def _enrichment_cases() -> list[Any]:
    cases = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    wanted = [
        case
        for case in cases
        if case["group"] == "contact_enrichment"
        or case["input"].get("function") == "detect_linkedin_pattern"
    ]
    return [pytest.param(case, id=case["name"]) for case in wanted]


def _run_case(given: dict[str, Any]) -> dict[str, Any]:
    if given["function"] == "detect_linkedin_pattern":
        return {"linkedin_pattern": detect_linkedin_pattern(given["emails"])}
    assert given["function"] == "calculate_contact_quality_score"
    return {"contact_quality_score": contact_quality_score(given["emails"], given["domain"])}


def test_fixture_holds_the_enrichment_cases_this_module_promises_to_run() -> None:
    assert len(_enrichment_cases()) >= 8


@pytest.mark.parametrize("case", _enrichment_cases())
def test_enrichment_fixture_case_matches_expected_outcome(case: dict[str, Any]) -> None:
    assert _run_case(case["input"]) == case["expected"]


def test_emails_are_trimmed_lowercased_and_deduplicated_in_first_seen_order() -> None:
    given = [" Ayse@Acme.com.tr ", "", "   ", "no-at-sign", "ayse@acme.com.tr", None, 7, "b@x.com"]
    assert normalize_emails(given) == ["ayse@acme.com.tr", "b@x.com"]


def test_spec_example_three_unique_emails_two_on_domain_scores_56() -> None:
    emails = ["john.doe@example.com", "JOHN.DOE@example.com", "jane@example.com", "x@other.com"]
    assert contact_quality_score(emails, "example.com") == 56


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, 50), (2, 60), (3, 70), (4, 70), (5, 85), (9, 85), (10, 100), (25, 100)],
)
def test_all_on_domain_scores_count_points_plus_forty_capped_at_100(
    count: int, expected: int
) -> None:
    emails = [f"user{n}@acme.com" for n in range(count)]
    assert contact_quality_score(emails, "acme.com") == expected


def test_email_at_a_subdomain_or_www_counts_by_its_normalized_domain() -> None:
    # "www." is dropped by normalization; a real sub-domain is a different domain.
    assert contact_quality_score(["a@www.acme.com"], "acme.com") == 50
    assert contact_quality_score(["a@mail.acme.com"], "acme.com") == 10


def test_f_lastname_is_recognised_before_firstname_lastname_can_swallow_it() -> None:
    assert detect_linkedin_pattern(["j.smith@acme.com"]) == "f.lastname"
    assert detect_linkedin_pattern(["john.smith@acme.com"]) == "firstname.lastname"


def test_most_frequent_pattern_wins_and_ties_go_to_the_first_seen() -> None:
    emails = ["john@a.com", "j.doe@a.com", "k.roe@a.com", "info@a.com", "sales@a.com"]
    assert detect_linkedin_pattern(emails) == "firstname"
    assert detect_linkedin_pattern(["j.doe@a.com", "john@a.com"]) == "f.lastname"


def test_local_parts_with_digits_or_extra_dots_fit_no_pattern() -> None:
    unusual = ["john2@a.com", "a.b.c@a.com", ".doe@a.com", "x_y@a.com"]
    assert detect_linkedin_pattern(unusual) is None
    assert detect_linkedin_pattern([]) is None


def test_turkish_letters_count_as_letters_in_a_local_part() -> None:
    assert detect_linkedin_pattern(["şule.yılmaz@acme.com.tr"]) == "firstname.lastname"


def test_enrich_contacts_returns_everything_the_company_row_stores() -> None:
    result = enrich_contacts([" J.Smith@Acme.com ", "a.jones@acme.com", "x@other.com"], "acme.com")
    assert result.contact_emails == ("j.smith@acme.com", "a.jones@acme.com", "x@other.com")
    assert result.contact_quality_score == 30 + 26
    assert result.linkedin_pattern == "f.lastname"
