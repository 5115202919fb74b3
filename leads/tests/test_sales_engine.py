"""leads.sales.engine: the sales summary, rule by rule, with no database.

Also runs the ``sales_engine`` fixture cases of scoring-cases.json, which
scanning/tests/engine/test_fixture_cases.py leaves to this module.
"""

from __future__ import annotations

import ast
import json
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from leads.sales import engine
from leads.sales.engine import (
    SalesInput,
    calculate_opportunity_potential,
    calculate_urgency,
    call_script,
    discovery_questions,
    next_step,
    one_liner,
    opportunity_rationale,
    provider_reasoning,
    recommend_offer_tier,
    sales_summary,
    security_reasoning,
    segment_explanation,
)

CASES_FILE = Path(__file__).resolve().parents[2] / "scanning/tests/engine/data/scoring-cases.json"
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)

GOOGLE_MIGRATION = SalesInput(
    domain="ornek.com.tr",
    provider="Google",
    tenant_size="medium",
    mx_root="google.com",
    spf=True,
    dkim=True,
    dmarc_policy="reject",
    dmarc_coverage=100,
    segment="Migration",
    readiness_score=85,
    priority_score=1,
    contact_quality_score=60,
)


def lead(**changes: Any) -> SalesInput:
    """The Google Migration lead above with some fields changed."""
    return replace(GOOGLE_MIGRATION, **changes)


# -- fixture cases ---------------------------------------------------------------------------


def _sales_cases() -> list[Any]:
    cases = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    wanted = [case for case in cases if case["group"] == "sales_engine"]
    return [pytest.param(case, id=case["name"]) for case in wanted]


def _potential(given: dict[str, Any], **override: Any) -> int:
    args = {
        "segment": given["segment"],
        "readiness_score": given["readiness_score"],
        "priority_score": given["priority_score"],
        "tenant_size": given["tenant_size"],
        "contact_quality_score": given.get("contact_quality_score"),
        "tuning_factor": given.get("tuning_factor", 1.0),
    }
    return calculate_opportunity_potential(**(args | override))


def _opportunity_case(given: dict[str, Any]) -> dict[str, Any]:
    # A list-valued input compares two leads that differ only in that input.
    if isinstance(given["tenant_size"], list):
        large, small = (_potential(given, tenant_size=size) for size in given["tenant_size"])
        return {"large": large, "small": small, "large_gt_small": large > small}
    if isinstance(given.get("contact_quality_score"), list):
        high, low = (
            _potential(given, contact_quality_score=q) for q in given["contact_quality_score"]
        )
        return {"high": high, "low": low, "high_ge_low": high >= low}
    return {"opportunity_potential": _potential(given)}


def _run_case(given: dict[str, Any]) -> dict[str, Any]:
    function = given["function"]
    if function == "recommend_offer_tier":
        tier = recommend_offer_tier(
            given["tenant_size"], given["segment"], given["readiness_score"]
        )
        return asdict(tier)
    if function == "calculate_urgency":
        urgency = calculate_urgency(
            given["segment"],
            given["priority_score"],
            given["readiness_score"],
            given["expires_in_days"],
        )
        return {"urgency": urgency}
    assert function == "calculate_opportunity_potential", function
    return _opportunity_case(given)


def _check(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    """Keys ending in _min / _max bound the value of the key they name; others must be equal."""
    for key, wanted in expected.items():
        if key.endswith(("_min", "_max")):
            value = actual[key[:-4]]
            assert (value >= wanted) if key.endswith("_min") else (value <= wanted), (key, value)
        else:
            assert key in actual, f"the engine gives no {key!r} for this case"
            assert actual[key] == wanted, f"{key}: {actual[key]!r} != {wanted!r}"


def test_fixture_holds_the_twenty_sales_engine_cases() -> None:
    assert len(_sales_cases()) == 20


@pytest.mark.parametrize("case", _sales_cases())
def test_sales_fixture_case_matches_expected_outcome(case: dict[str, Any]) -> None:
    _check(_run_case(case["input"]), case["expected"])


def test_case_checker_rejects_a_value_outside_its_bound() -> None:
    with pytest.raises(AssertionError):
        _check({"opportunity_potential": 101}, {"opportunity_potential_max": 100})
    with pytest.raises(AssertionError):
        _check({"urgency": "low"}, {"urgency": "high"})


def test_engine_module_imports_no_django() -> None:
    tree = ast.parse(Path(engine.__file__).read_text(encoding="utf-8"))
    imported = {
        name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else [a.name for a in node.names]
        )
    }
    assert not {name for name in imported if name.split(".")[0] in {"django", "leads", "hunter"}}


# -- offer tier ------------------------------------------------------------------------------


def test_known_tenant_size_decides_the_tier_whatever_the_segment() -> None:
    assert recommend_offer_tier("large", "Cold", 10).tier == "Enterprise"
    assert recommend_offer_tier("small", "Migration", 95).tier == "Business Basic"


def test_unknown_size_migration_from_70_gets_business_standard() -> None:
    assert recommend_offer_tier(None, "Migration", 70).tier == "Business Standard"
    assert recommend_offer_tier(None, "Migration", 69).tier == "Business Basic"


def test_unknown_size_outside_migration_or_without_score_gets_business_basic() -> None:
    assert recommend_offer_tier(None, "Existing", 90).tier == "Business Basic"
    assert recommend_offer_tier(None, "Migration", None).tier == "Business Basic"


def test_every_tier_carries_a_turkish_recommendation() -> None:
    for size in ("large", "medium", "small"):
        assert "Microsoft 365" in recommend_offer_tier(size, None, None).recommendation


# -- opportunity potential -------------------------------------------------------------------


def test_score_zero_is_a_real_score_worth_no_points() -> None:
    zero = calculate_opportunity_potential("Cold", 0, 7, "small")
    missing = calculate_opportunity_potential("Cold", None, 7, "small")
    thirty = calculate_opportunity_potential("Cold", 30, 7, "small")
    assert (zero, missing, thirty) == (15 + 0 + 2 + 5, 15 + 10 + 2 + 5, 15 + 9 + 2 + 5)
    assert zero < thirty


def test_missing_priority_and_unknown_segment_get_their_default_points() -> None:
    assert calculate_opportunity_potential(None, 0, None, None) == 5 + 0 + 5 + 3


def test_tuning_factor_scales_truncates_and_caps_at_100() -> None:
    # 40 + 25 + 20 + 10 + 4 = 99
    assert calculate_opportunity_potential("Migration", 85, 1, "large", 80, 0.5) == 49
    assert calculate_opportunity_potential("Migration", 85, 1, "large", 80, 2.0) == 100
    assert calculate_opportunity_potential("Migration", 85, 1, "large", 80, 0.0) == 0


def test_rationale_total_equals_the_potential_and_lists_every_factor() -> None:
    rationale = opportunity_rationale("Existing", 65, 3, "medium", 60, 1.0)
    assert rationale.total == calculate_opportunity_potential("Existing", 65, 3, "medium", 60) == 74
    names = [factor.name for factor in rationale.factors]
    assert names == [
        "segment",
        "readiness_score",
        "priority_score",
        "tenant_size",
        "contact_quality",
    ]
    assert [f.weight for f in rationale.factors] == [0.4, 0.3, 0.2, 0.1, 0.05]
    assert sum(f.score for f in rationale.factors) == 74


def test_rationale_has_no_contact_factor_when_contact_quality_is_unknown() -> None:
    rationale = opportunity_rationale("Cold", 45, 5, None, None, 1.2)
    assert "contact_quality" not in [factor.name for factor in rationale.factors]
    assert rationale.tuning_factor == 1.2
    assert "1.2" in rationale.summary


# -- urgency ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [(-5, "high"), (0, "high"), (59, "high"), (60, "medium"), (89, "medium"), (90, "low")],
)
def test_registration_expiry_distance_sets_urgency_of_an_otherwise_low_lead(
    days: int, expected: str
) -> None:
    assert calculate_urgency("Cold", 6, 30, days) == expected


def test_existing_from_70_is_medium_and_below_is_low() -> None:
    assert calculate_urgency("Existing", 3, 70, None) == "medium"
    assert calculate_urgency("Existing", 4, 69, None) == "low"


def test_migration_below_50_without_other_reasons_is_low() -> None:
    assert calculate_urgency("Migration", 4, 49, None) == "low"
    assert calculate_urgency("Migration", None, None, None) == "low"


# -- next step -------------------------------------------------------------------------------


def test_skip_or_small_opportunity_waits_a_month() -> None:
    assert (next_step("Skip", 95, "high").action, next_step("Skip", 95, "high").timeline) == (
        "wait",
        "1_ay",
    )
    assert next_step("Migration", 19, "high").timeline == "1_ay"


def test_big_hot_migration_or_existing_is_called_within_24_hours() -> None:
    step = next_step("Existing", 80, "medium")
    assert (step.action, step.timeline, step.priority) == ("call", "24_saat", "high")


def test_middle_opportunity_is_called_within_three_days_with_a_segment_message() -> None:
    migration, existing = next_step("Migration", 79, "low"), next_step("Existing", 50, "low")
    assert (migration.action, migration.timeline, migration.priority) == ("call", "3_gün", "medium")
    assert migration.message != existing.message
    assert "Defender" in existing.message


def test_small_opportunity_gets_an_email_within_a_week() -> None:
    step = next_step("Cold", 49, "high")
    assert (step.action, step.timeline, step.priority) == ("email", "1_hafta", "low")


@pytest.mark.parametrize(
    ("segment", "urgency", "expected"),
    [
        ("Cold", "high", ("call", "24_saat", "high")),
        ("Cold", "medium", ("call", "3_gün", "medium")),
        ("Migration", "low", ("call", "1_hafta", "medium")),
        ("Existing", "low", ("email", "1_hafta", "medium")),
        ("Cold", "low", ("wait", "1_ay", "low")),
    ],
)
def test_big_opportunity_outside_the_main_rule_follows_urgency_then_segment(
    segment: str, urgency: str, expected: tuple[str, str, str]
) -> None:
    step = next_step(segment, 85, urgency)
    assert (step.action, step.timeline, step.priority) == expected


# -- security --------------------------------------------------------------------------------


def test_security_reasoning_is_null_when_nothing_is_known() -> None:
    assert security_reasoning(lead(spf=None, dkim=None, dmarc_policy=None)) is None


def test_all_records_in_place_is_low_risk() -> None:
    security = security_reasoning(GOOGLE_MIGRATION)
    assert security is not None
    assert (security.risk_level, security.details) == ("low", ())


def test_missing_dmarc_alone_is_high_risk_and_summary_names_spf_and_dkim_present() -> None:
    security = security_reasoning(lead(dmarc_policy=None))
    assert security is not None
    assert security.risk_level == "high"
    assert security.summary.startswith("SPF ve DKIM mevcut")


def test_dmarc_none_counts_as_missing_and_summary_names_the_only_record_present() -> None:
    security = security_reasoning(lead(dkim=False, dmarc_policy="none"))
    assert security is not None
    assert security.risk_level == "high"
    assert security.summary.startswith("Yalnızca SPF mevcut")
    assert len(security.details) == 2


def test_nothing_present_summary_says_all_three_are_missing() -> None:
    security = security_reasoning(lead(spf=False, dkim=False, dmarc_policy=None))
    assert security is not None
    assert security.summary.startswith("SPF, DKIM ve DMARC eksik")


def test_partial_dmarc_coverage_alone_is_medium_risk() -> None:
    security = security_reasoning(lead(dmarc_policy="quarantine", dmarc_coverage=50))
    assert security is not None
    assert security.risk_level == "medium"
    assert "%50" in security.details[0]


def test_one_missing_record_with_enforcing_dmarc_is_medium_two_are_high() -> None:
    one = security_reasoning(lead(spf=False))
    two = security_reasoning(lead(spf=False, dkim=False))
    assert one is not None
    assert two is not None
    assert (one.risk_level, two.risk_level) == ("medium", "high")


# -- texts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "words"),
    [
        ("large", "Enterprise"),
        ("medium", "Business Standard"),
        ("small", "Business Basic"),
        (None, "hemen"),
    ],
)
def test_hot_migration_one_liner_names_the_offer_for_its_scale(
    size: str | None, words: str
) -> None:
    assert words in one_liner(lead(tenant_size=size))


def test_hot_migration_one_liner_adds_country_note_and_proxy_warning() -> None:
    text = one_liner(lead(ip_country="TR", is_proxy=True, proxy_type="VPN"))
    assert "(TR merkezli)" in text
    assert "proxy" in text
    assert "VPN" in text


def test_warm_migration_one_liner_names_the_local_provider() -> None:
    text = one_liner(lead(provider="Local", local_provider="Natro", readiness_score=65))
    assert "Natro" in text
    assert "takip" in text


@pytest.mark.parametrize(
    ("segment", "score", "words"),
    [
        ("Migration", 40, "hazırlık düşük"),
        ("Existing", 70, "Defender"),
        ("Existing", 55, "güvenlik odaklı"),
        ("Existing", 20, "uzun vadeli"),
        ("Cold", 40, "uzun vadeli"),
        ("Cold", 39, "düşük öncelikli"),
        ("Skip", 10, "önerilmez"),
        (None, None, "önerilmez"),
    ],
)
def test_one_liner_follows_segment_and_score_band(
    segment: str | None, score: int | None, words: str
) -> None:
    assert words in one_liner(lead(segment=segment, readiness_score=score, provider="M365"))


def test_segment_explanation_flags_existing_without_microsoft_365() -> None:
    assert "tutarsızlığı" in segment_explanation(lead(segment="Existing"))
    assert "tutarsızlığı" not in segment_explanation(lead(segment="Existing", provider="M365"))


def test_segment_explanation_lists_the_security_records_present() -> None:
    text = segment_explanation(lead(dkim=False))
    assert "SPF" in text
    assert "DMARC (reject)" in text
    assert "DKIM" not in text


def test_unscored_lead_explanation_says_it_was_not_scored() -> None:
    text = segment_explanation(SalesInput(domain="yeni.com.tr"))
    assert "puanlanmadı" in text
    assert "bilinmiyor" in text


def test_provider_reasoning_for_each_kind_of_provider() -> None:
    m365 = provider_reasoning(
        lead(provider="M365", mx_root="outlook.com", infrastructure_summary="Hosted on DataCenter")
    )
    assert "outlook.com" in m365
    assert "DataCenter" in m365
    assert "geçiş" in provider_reasoning(lead(provider="Zoho"))
    assert "Natro" in provider_reasoning(lead(provider="Local", local_provider="Natro"))
    assert "risk" in provider_reasoning(lead(provider="Hosting"))
    assert "belirsiz" in provider_reasoning(lead(provider="SendGrid"))
    assert provider_reasoning(lead(provider=None)).startswith("Sağlayıcı belirsiz")


# -- call script and questions ---------------------------------------------------------------


def test_cold_script_has_three_bullets_naming_the_partner_and_a_short_meeting() -> None:
    cold = lead(segment="Cold", readiness_score=45)
    script = call_script(cold, security_reasoning(cold))
    assert len(script) == 3
    assert "Gibibyte" in script[0]
    assert "10-15 dakikalık" in script[2]


def test_cold_script_middle_bullet_turns_risk_oriented_on_high_risk() -> None:
    safe = lead(segment="Cold")
    risky = lead(segment="Cold", dmarc_policy=None)
    assert (
        call_script(safe, security_reasoning(safe))[1]
        != call_script(risky, security_reasoning(risky))[1]
    )
    assert "risk" in call_script(risky, security_reasoning(risky))[1]


def test_migration_script_carries_proxy_security_value_and_15_minute_call() -> None:
    inp = lead(
        is_proxy=True,
        dmarc_policy=None,
        tenant_size="large",
        provider="Local",
        local_provider="Natro",
    )
    script = call_script(inp, security_reasoning(inp))
    assert "Natro" in script[0]
    assert "proxy" in script[1]
    assert "DMARC" in script[2]
    assert "Enterprise" in script[3]
    assert "15 dakikalık" in script[4]


def test_migration_script_below_70_offers_information_instead_of_a_call() -> None:
    inp = lead(readiness_score=65)
    script = call_script(inp, security_reasoning(inp))
    assert len(script) == 3  # opening, value proposition, ask: no proxy, no security gap
    assert "bilgi notu" in script[-1]


def test_existing_script_pitches_defender() -> None:
    inp = lead(segment="Existing", provider="M365", spf=False)
    script = call_script(inp, security_reasoning(inp))
    assert len(script) == 4
    assert "Defender" in script[2]


def test_other_segments_get_two_generic_bullets() -> None:
    assert len(call_script(lead(segment="Skip"), None)) == 2


@pytest.mark.parametrize(
    ("changes", "count"),
    [
        ({"tenant_size": "large"}, 3 + 2 + 3),
        ({"provider": "Local", "tenant_size": "small"}, 4 + 1 + 3),
        ({"segment": "Existing", "tenant_size": "medium"}, 3 + 1 + 3),
        ({"segment": "Cold", "tenant_size": None}, 2 + 0 + 3),
    ],
)
def test_discovery_questions_by_segment_then_size_then_decision(
    changes: dict[str, Any], count: int
) -> None:
    questions = discovery_questions(lead(**changes))
    assert len(questions) == count
    assert questions[-3:] == engine._DECISION_QUESTIONS


def test_large_tenant_questions_ask_about_kvkk() -> None:
    assert any("KVKK" in question for question in discovery_questions(lead(tenant_size="large")))


# -- the whole summary -----------------------------------------------------------------------

CONTRACT_FIELDS = {
    "domain",
    "one_liner",
    "segment_explanation",
    "provider_reasoning",
    "security_reasoning",
    "call_script",
    "discovery_questions",
    "offer_tier",
    "opportunity_potential",
    "opportunity_rationale",
    "urgency",
    "next_step",
    "metadata",
}


def test_summary_dict_has_exactly_the_v1_fields_in_json_types() -> None:
    summary = sales_summary(GOOGLE_MIGRATION, tuning_factor=1.0, now=NOW).as_dict()
    assert set(summary) == CONTRACT_FIELDS
    assert json.loads(json.dumps(summary)) == summary
    assert isinstance(summary["call_script"], list)
    assert set(summary["opportunity_rationale"]) == {"total", "factors", "tuning_factor", "summary"}
    assert set(summary["next_step"]) == {
        "action",
        "timeline",
        "priority",
        "message",
        "internal_note",
    }
    assert summary["metadata"]["generated_at"] == "2026-03-01T09:30:00+00:00"


def test_summary_ties_opportunity_urgency_and_next_step_together() -> None:
    summary = sales_summary(GOOGLE_MIGRATION, tuning_factor=1.0, now=NOW)
    # 40 + 25 + 20 + 7 + 3
    assert summary.opportunity_potential == summary.opportunity_rationale.total == 95
    assert summary.urgency == "high"
    assert (summary.next_step.action, summary.next_step.timeline) == ("call", "24_saat")
    assert summary.offer_tier.tier == "Business Standard"


def test_summary_measures_expiry_from_now() -> None:
    cold = lead(segment="Cold", readiness_score=30, priority_score=6, expires_at=date(2026, 4, 1))
    assert sales_summary(cold, tuning_factor=1.0, now=NOW).urgency == "high"


def test_summary_of_an_unscanned_company_uses_null_driven_defaults() -> None:
    summary = sales_summary(SalesInput(domain="yeni.com.tr"), tuning_factor=1.0, now=NOW).as_dict()
    assert summary["security_reasoning"] is None
    assert summary["urgency"] == "low"
    assert summary["opportunity_potential"] == 5 + 10 + 5 + 3
    assert summary["offer_tier"]["tier"] == "Business Basic"
    assert summary["metadata"]["segment"] is None
