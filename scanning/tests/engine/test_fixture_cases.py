"""The worked cases of scoring-cases.json, one test per case (ids are the case names).

The in-repo copy under data/ is preferred so CI never depends on a folder outside the
checkout; the shared original beside the repository is the fallback. Groups owned by other
modules are collected and skipped with the owner named, so no case disappears silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scanning.engine import domains, normalize, providers, scoring

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
IN_REPO_CASES = HERE / "data" / "scoring-cases.json"
SHARED_CASES = REPO_ROOT / ".." / "shared" / "fixtures" / "scoring-cases.json"

SKIPPED_GROUPS: dict[str, str] = {}
SKIPPED_FUNCTIONS: dict[str, str] = {}
# Contact enrichment and the sales summary are lead logic (leads.enrichment, leads.sales.engine);
# leads/tests/test_enrichment.py and leads/tests/test_sales_engine.py run those groups.
# Change detection runs in scanning/tests/engine/test_changes.py, the DMARC parse cases in
# scanning/tests/engine/test_dmarc.py.
RUN_ELSEWHERE_GROUPS = {"contact_enrichment", "change_detection", "sales_engine"}
RUN_ELSEWHERE_FUNCTIONS = {"detect_linkedin_pattern", "check_dmarc"}
OWNED_GROUPS = {
    "normalization",
    "provider_mapping",
    "scorer_rules",
    "segment_rules",
    "priority_score",
    "p_model_derived",
    "regression_silver",
    "defect_guards",
}
RULES = scoring.load_rules()


def _load_cases() -> list[dict[str, Any]]:
    path = IN_REPO_CASES if IN_REPO_CASES.exists() else SHARED_CASES
    cases: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return cases


CASES = _load_cases()


def _skip_reason(case: dict[str, Any]) -> str | None:
    function = case["input"].get("function")
    return SKIPPED_GROUPS.get(case["group"]) or SKIPPED_FUNCTIONS.get(function)


def _params() -> list[Any]:
    params = []
    for case in CASES:
        if case["group"] in RUN_ELSEWHERE_GROUPS:
            continue
        if case["input"].get("function") in RUN_ELSEWHERE_FUNCTIONS:
            continue
        reason = _skip_reason(case)
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        params.append(pytest.param(case, id=case["name"], marks=marks))
    return params


# -- running a case -----------------------------------------------------------------------


def _score_input(given: dict[str, Any]) -> scoring.ScoreInput:
    mx = given.get("mx_records")
    return scoring.ScoreInput(
        provider=given["provider"],
        mx_hosts=tuple(mx) if mx is not None else None,
        spf=given["spf"],
        dkim=given["dkim"],
        dmarc_policy=given.get("dmarc_policy"),
    )


def _full_score(given: dict[str, Any]) -> dict[str, Any]:
    result = scoring.score_lead(_score_input(given), RULES)
    return {**vars(result), "provider": given["provider"]}


def _text_function(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    function = getattr(normalize, name)
    return lambda given: {"result": function(given["value"])}


def _calculate_score(given: dict[str, Any]) -> dict[str, Any]:
    inp = scoring.ScoreInput(
        given["provider"], ("mx.example.net",), given["spf"], given["dkim"], given["dmarc_policy"]
    )
    return {"score": scoring.calculate_score(inp, RULES)}


def _check_hard_fail(given: dict[str, Any]) -> dict[str, Any]:
    rule = scoring.check_hard_fail(given["mx_records"], RULES)
    return {"reason": rule.description if rule else None}


def _determine_segment(given: dict[str, Any]) -> dict[str, Any]:
    segment, _ = scoring.determine_segment(given["score"], given["provider"], RULES)
    return {"segment": segment}


def _priority(given: dict[str, Any]) -> dict[str, Any]:
    priority = scoring.calculate_priority_score(given["segment"], given["score"], RULES)
    return {"priority_score": priority}


def _tenant_size(given: dict[str, Any]) -> dict[str, Any]:
    host = given.get("primary_mx_host", given.get("mx_value"))
    return {"tenant_size": providers.estimate_tenant_size(given["provider"], host)}


FUNCTIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "normalize_domain": _text_function("normalize_domain"),
    "extract_domain_from_email": _text_function("extract_domain_from_email"),
    "extract_domain_from_website": _text_function("extract_domain_from_website"),
    "classify_provider": lambda g: {"provider": providers.classify_provider(g["mx_root"])},
    "classify_local_provider": lambda g: {
        "local_provider": providers.classify_local_provider(g["mx_root"])
    },
    "extract_mx_root": lambda g: {"mx_root": domains.extract_mx_root(g["mx_host"])},
    "estimate_tenant_size": _tenant_size,
    "calculate_score": _calculate_score,
    "check_hard_fail": _check_hard_fail,
    "load_rules": lambda g: {"value": RULES.lookup(g["key"])},
    "determine_segment": _determine_segment,
    "calculate_priority_score": _priority,
}


def run_case(given: dict[str, Any]) -> dict[str, Any]:
    """What our engine answers for a case's input, under the fixture's key names."""
    if "function" in given:
        return FUNCTIONS[given["function"]](given)
    if "primary_mx_host" in given:
        return _tenant_size(given)
    return _full_score(given)


# -- checking a case ----------------------------------------------------------------------


def _greater_than_case(actual: dict[str, Any], expected: str) -> bool:
    # e.g. "M365 without signals (25)": the referenced case's score is the number in brackets.
    match = re.search(r"\((-?\d+)\)", expected)
    assert match, f"cannot read a score from {expected!r}"
    return bool(actual["score"] > int(match.group(1)))


CHECKS: dict[str, Callable[[dict[str, Any], Any], bool]] = {
    "score_min": lambda actual, bound: actual["score"] >= bound,
    "score_max": lambda actual, bound: actual["score"] <= bound,
    "segment_in": lambda actual, allowed: actual["segment"] in allowed,
    "reason_startswith": lambda actual, text: actual["reason"].startswith(text),
    "reason_contains": lambda actual, text: text in actual["reason"],
    "reason_mentions": lambda actual, text: text in actual["reason"],
    "reason_not_null": lambda actual, wanted: (actual["reason"] is not None) == wanted,
    "greater_than_case": _greater_than_case,
}


def check_expectations(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    """Assert every expected key: comparison keys by their rule, all others by equality."""
    for key, wanted in expected.items():
        if key in CHECKS:
            assert CHECKS[key](actual, wanted), f"{key}={wanted!r} does not hold for {actual}"
        else:
            assert key in actual, f"the engine gives no {key!r} for this case"
            assert actual[key] == wanted, f"{key}: {actual[key]!r} != {wanted!r}"


@pytest.mark.parametrize("case", _params())
def test_fixture_case_matches_expected_outcome(case: dict[str, Any]) -> None:
    check_expectations(run_case(case["input"]), case["expected"])


def test_every_fixture_group_is_either_run_or_skipped_with_an_owner() -> None:
    groups = {case["group"] for case in CASES}
    assert groups <= OWNED_GROUPS | set(SKIPPED_GROUPS) | RUN_ELSEWHERE_GROUPS


def test_in_repo_fixture_copy_matches_the_shared_original_when_present() -> None:
    if not SHARED_CASES.exists():
        pytest.skip("shared fixtures folder is not beside this checkout")
    shared = json.loads(SHARED_CASES.read_text(encoding="utf-8"))
    assert json.loads(IN_REPO_CASES.read_text(encoding="utf-8")) == shared


def test_expectation_checker_rejects_a_wrong_value() -> None:
    with pytest.raises(AssertionError):
        check_expectations({"score": 10, "segment": "Skip"}, {"score": 11})
    with pytest.raises(AssertionError):
        check_expectations({"score": 10}, {"greater_than_case": "x (10)"})
