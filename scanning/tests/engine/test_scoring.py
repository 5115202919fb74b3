"""Scoring (SPEC §7): breakdown, hard-fails, segments, P-model, rules data and its hash."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanning.engine.rules import PROVIDERS_PATH, RULES_PATH, content_hash
from scanning.engine.scoring import (
    Rules,
    ScoreInput,
    calculate_score,
    check_hard_fail,
    determine_segment,
    invalid_input_result,
    load_rules,
    score_breakdown,
    score_lead,
)

MX = ("mx.example.net",)
RULES = load_rules()
M365_SPF_RECORD = "v=spf1 include:spf.protection.outlook.com -all"
FOUR_INCLUDES = "v=spf1 include:a.com include:b.com ~include:c.com INCLUDE:d.com -all"


M365_ALL_SIGNALS = ScoreInput("M365", MX, spf=True, dkim=True, dmarc_policy="reject")


def _m365(**changes: Any) -> ScoreInput:
    return replace(M365_ALL_SIGNALS, **changes)


def test_breakdown_lists_base_provider_signal_and_risk_points() -> None:
    inp = ScoreInput("Hosting", MX, spf=False, dkim=False, dmarc_policy="none")
    assert score_breakdown(inp, RULES) == (
        ("base_score", 0),
        ("provider.Hosting", 20),
        ("signal.dmarc_none", 0),
        ("risk.no_spf", -10),
        ("risk.no_dkim", -10),
        ("risk.dkim_none", -5),
        ("risk.dmarc_none", -10),
        ("risk.hosting_mx_weak", -10),
    )


def test_missing_dmarc_costs_nothing_but_policy_none_costs_ten() -> None:
    without = calculate_score(_m365(dmarc_policy=None), RULES)
    with_none = calculate_score(_m365(dmarc_policy="none"), RULES)
    assert (without, with_none) == (70, 60)


@pytest.mark.parametrize("policy", ["REJECT", " Reject ", "reject"])
def test_dmarc_policy_is_compared_case_insensitively(policy: str) -> None:
    assert calculate_score(_m365(dmarc_policy=policy), RULES) == 90


def test_unlisted_provider_earns_no_provider_points() -> None:
    inp = ScoreInput("Mimecast", MX, spf=True, dkim=True, dmarc_policy=None)
    assert ("provider.Mimecast", 0) in score_breakdown(inp, RULES)
    assert calculate_score(inp, RULES) == 20


def test_more_than_three_spf_includes_cost_five_points() -> None:
    assert calculate_score(_m365(spf_record=FOUR_INCLUDES), RULES) == 85
    assert ("risk.spf_multiple_includes", -5) in score_breakdown(
        _m365(spf_record=FOUR_INCLUDES), RULES
    )


def test_three_spf_includes_are_not_penalised() -> None:
    record = "v=spf1 include:a.com include:b.com include:c.com -all"
    assert calculate_score(_m365(spf_record=record), RULES) == 90
    assert calculate_score(_m365(spf_record=M365_SPF_RECORD), RULES) == 90


def test_score_is_clamped_to_zero_and_reason_names_the_description() -> None:
    result = score_lead(ScoreInput("Unknown", MX, spf=False, dkim=False, dmarc_policy="none"))
    assert result.score == 0
    assert result.reason == "Düşük skor: şimdilik atla. Score: 0, Provider: Unknown"


def test_existing_customer_reason_is_turkish_with_score_and_provider() -> None:
    assert score_lead(_m365()).reason == "Mevcut Microsoft 365 müşterisi. Score: 90, Provider: M365"


def test_non_migration_provider_scoring_sixty_falls_back_to_skip_with_a_fallback_reason() -> None:
    result = score_lead(ScoreInput("Amazon", MX, spf=True, dkim=True, dmarc_policy="reject"))
    assert (result.score, result.segment) == (60, "Skip")
    assert result.reason.startswith("Skor ve sağlayıcı hiçbir segment kuralıyla eşleşmedi.")


def test_local_between_five_and_thirty_nine_is_cold_not_skip() -> None:
    assert determine_segment(5, "Local", RULES)[0] == "Cold"
    assert determine_segment(4, "Local", RULES)[0] == "Skip"


@pytest.mark.parametrize(
    ("changes", "key", "reason"),
    [
        ({"mx_hosts": ()}, "mx_missing", "Hard-fail: MX kaydı yok"),
        ({"mx_hosts": None}, "mx_missing", "Hard-fail: MX kaydı yok"),
        (
            {"domain_exists": False},
            "domain_not_found",
            "Hard-fail: Alan adı DNS'te bulunamadı (NXDOMAIN)",
        ),
        ({"accepts_mail": False}, "null_mx", "Hard-fail: Alan adı e-posta kabul etmiyor (Null MX)"),
    ],
)
def test_hard_fail_forces_zero_skip_and_the_no_go_p_model(
    changes: dict[str, Any], key: str, reason: str
) -> None:
    result = score_lead(_m365(**changes))
    assert (result.score, result.segment, result.reason, result.hard_fail) == (
        0,
        "Skip",
        reason,
        True,
    )
    assert (result.technical_heat, result.commercial_segment, result.commercial_heat) == (
        "Cold",
        "NO_GO",
        "LOW",
    )
    assert (result.priority_category, result.priority_label, result.priority_score) == (
        "P6",
        "No-Go / Archive",
        7,
    )
    assert result.breakdown[-1] == (f"hard_fail.{key}", -90)


def test_hard_fail_breakdown_still_shows_what_the_signals_would_have_earned() -> None:
    result = score_lead(_m365(mx_hosts=None))
    assert ("provider.M365", 50) in result.breakdown
    assert sum(points for _, points in result.breakdown) == 0


def test_hard_fail_cancels_nothing_when_signals_already_sum_below_zero() -> None:
    result = score_lead(ScoreInput("Unknown", None, spf=False, dkim=False, dmarc_policy=None))
    assert result.breakdown[-1] == ("hard_fail.mx_missing", 0)


def test_nxdomain_is_reported_before_a_missing_mx() -> None:
    rule = check_hard_fail(None, RULES, domain_exists=False)
    assert rule is not None
    assert rule.key == "domain_not_found"


def test_invalid_input_result_is_skip_with_the_p6_p_model() -> None:
    result = invalid_input_result("not a domain name")
    assert result.reason == "Invalid domain format: not a domain name"
    assert (result.score, result.segment, result.priority_category) == (0, "Skip", "P6")
    assert result.breakdown == (("invalid_input", 0),)
    assert result.rules_hash == RULES.hash


@given(
    provider=st.sampled_from(
        ["M365", "Google", "Yandex", "Zoho", "Amazon", "Hosting", "Local", "Unknown", "X"]
    ),
    spf=st.booleans(),
    dkim=st.booleans(),
    dmarc=st.sampled_from([None, "none", "quarantine", "reject", "NONE", "bogus"]),
    has_mx=st.booleans(),
    includes=st.integers(min_value=0, max_value=6),
)
def test_score_always_equals_the_clamped_sum_of_its_breakdown(
    provider: str, spf: bool, dkim: bool, dmarc: str | None, has_mx: bool, includes: int
) -> None:
    record = "v=spf1 " + " ".join(f"include:i{n}.example" for n in range(includes))
    inp = ScoreInput(provider, MX if has_mx else None, spf, dkim, dmarc, spf_record=record)
    result = score_lead(inp, RULES)
    assert result.score == max(0, min(100, sum(points for _, points in result.breakdown)))
    assert 1 <= result.priority_score <= 7
    assert result.priority_label == RULES.priority_labels[result.priority_category]


def test_rules_carry_a_sixteen_digit_content_hash_recorded_on_every_result() -> None:
    assert len(RULES.hash) == 16
    assert int(RULES.hash, 16) >= 0
    assert score_lead(_m365()).rules_hash == RULES.hash


def test_load_rules_returns_the_same_object_for_the_same_path() -> None:
    assert load_rules(RULES_PATH) is load_rules(str(RULES_PATH))


def _copy_rules(tmp_path: Path) -> tuple[Path, Path]:
    rules_copy, providers_copy = tmp_path / "rules.json", tmp_path / "providers.json"
    shutil.copyfile(RULES_PATH, rules_copy)
    shutil.copyfile(PROVIDERS_PATH, providers_copy)
    return rules_copy, providers_copy


def test_rules_hash_ignores_formatting_but_changes_when_a_value_changes(tmp_path: Path) -> None:
    rules_copy, providers_copy = _copy_rules(tmp_path)
    document = json.loads(rules_copy.read_text(encoding="utf-8"))
    rules_copy.write_text(json.dumps(document, indent=8), encoding="utf-8")
    assert load_rules(rules_copy, providers_copy).hash == RULES.hash

    changed_dir = tmp_path / "changed"
    changed_dir.mkdir()
    changed_rules, changed_providers = _copy_rules(changed_dir)
    document["provider_points"]["Local"] = 15
    changed_rules.write_text(json.dumps(document), encoding="utf-8")
    changed = load_rules(changed_rules, changed_providers)
    assert changed.hash != RULES.hash
    assert changed.provider_points["Local"] == 15


def test_rules_hash_changes_when_the_provider_table_changes(tmp_path: Path) -> None:
    rules_copy, providers_copy = _copy_rules(tmp_path)
    table = json.loads(providers_copy.read_text(encoding="utf-8"))
    table["gateways"].append({"name": "Example Gateway", "suffixes": ["gw.example"]})
    providers_copy.write_text(json.dumps(table), encoding="utf-8")
    assert load_rules(rules_copy, providers_copy).hash != RULES.hash


def test_malformed_rules_file_refuses_to_load(tmp_path: Path) -> None:
    rules_copy, providers_copy = _copy_rules(tmp_path)
    document = json.loads(rules_copy.read_text(encoding="utf-8"))
    document["segment_rules"][0]["when"] = {"providr": ["M365"]}
    rules_copy.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match="providr"):
        load_rules(rules_copy, providers_copy)


def test_unreadable_rules_file_refuses_to_load(tmp_path: Path) -> None:
    broken = tmp_path / "rules.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot read"):
        load_rules(broken, PROVIDERS_PATH)


def test_content_hash_depends_on_every_document() -> None:
    assert content_hash({"a": 1}, {"b": 2}) != content_hash({"a": 1}, {"b": 3})
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})


def test_rules_lookup_reads_dotted_keys() -> None:
    assert RULES.lookup("provider_points.Hosting") == 20
    assert RULES.lookup("base_score") == 0
    assert isinstance(RULES, Rules)
