"""Change detection, alerts, provider updates and auto-tags (scanning.engine.changes).

The "change_detection" group of scoring-cases.json runs here, one test per case.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from scanning.engine import changes
from scanning.engine.changes import Change, Snapshot
from scanning.engine.scoring import load_rules

RULES = load_rules()
TODAY = dt.date(2025, 3, 10)
CASES_PATH = Path(__file__).resolve().parent / "data" / "scoring-cases.json"
FIXTURE_CASES = [
    case
    for case in json.loads(CASES_PATH.read_text(encoding="utf-8"))
    if case["group"] == "change_detection"
]


def detect(old: Snapshot | None, new: Snapshot) -> changes.Changes:
    return changes.detect_changes(old, new, today=TODAY, rules=RULES)


def types(found: changes.Changes) -> list[str]:
    return [change.type for change in found.entries]


def in_days(days: int) -> dt.date:
    return TODAY + dt.timedelta(days=days)


# -- the fixture cases ----------------------------------------------------------------------


def _snapshot(given: dict[str, Any] | None) -> Snapshot | None:
    if given is None:
        return None
    values = dict(given)
    if "expires_at_days_from_today" in values:
        values["expires_at"] = in_days(values.pop("expires_at_days_from_today"))
    return Snapshot(**values)


def _run_fixture(given: dict[str, Any]) -> dict[str, Any]:
    if "changes" in given:
        entries = tuple(Change(**entry) for entry in given["changes"])
        found = changes.Changes(entries=entries)
    else:
        new = _snapshot(given["new"])
        assert new is not None
        found = detect(_snapshot(given["old"]), new)
    return _outcome(found)


def _outcome(found: changes.Changes) -> dict[str, Any]:
    alerts = found.alerts
    expiry = [c.days_until_expiry for c in found.entries if c.type == "expire_soon"]
    return {
        "changes": list(found.entries),
        "types": types(found),
        "history": [
            {
                "signal_type": c.signal_type,
                "old_value": changes.history_text(c.old),
                "new_value": changes.history_text(c.new),
            }
            for c in found.signal_history
        ],
        "score_history": vars(found.score_history) if found.score_history else None,
        "alert_types": [alert.alert_type for alert in alerts],
        "days_until_expiry": expiry[0] if expiry else None,
    }


def _check_fixture(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, wanted in expected.items():
        if key == "change_types_include":
            assert set(wanted) <= set(actual["types"])
        elif key == "change_types_exclude":
            assert not set(wanted) & set(actual["types"])
        elif key == "change_types_include_any":
            assert set(wanted) & set(actual["types"])
        elif key == "history":
            assert any(wanted.items() <= row.items() for row in actual["history"]), actual
        elif key == "score_history":
            assert actual["score_history"] is not None
            assert wanted.items() <= actual["score_history"].items()
        elif key == "alert_type":
            assert wanted in actual["alert_types"]
        elif key == "alert_created":
            assert bool(actual["alert_types"]) == wanted
        elif key == "alerts_created":
            assert len(actual["alert_types"]) == wanted
        else:
            assert actual[key] == wanted, f"{key}: {actual[key]!r} != {wanted!r}"


@pytest.mark.parametrize("case", FIXTURE_CASES, ids=[case["name"] for case in FIXTURE_CASES])
def test_change_detection_fixture_case_matches_expected_outcome(case: dict[str, Any]) -> None:
    _check_fixture(_run_fixture(case["input"]), case["expected"])


def test_fixture_group_change_detection_is_not_empty() -> None:
    assert len(FIXTURE_CASES) >= 10


def test_fixture_checker_rejects_a_missing_change_type() -> None:
    with pytest.raises(AssertionError):
        _check_fixture({"types": ["spf_changed"]}, {"change_types_include": ["mx_changed"]})


# -- signals ---------------------------------------------------------------------------------


def test_first_scan_reports_nothing_even_for_a_close_expiry() -> None:
    assert detect(None, Snapshot(expires_at=in_days(3), score=80, segment="Migration")) == (
        changes.Changes()
    )


def test_mx_change_writes_mx_history_and_an_mx_changed_alert_with_message() -> None:
    found = detect(Snapshot(mx_root="yandex.net"), Snapshot(mx_root="google.com"))
    assert [(c.signal_type, c.old, c.new) for c in found.signal_history] == [
        ("mx", "yandex.net", "google.com")
    ]
    assert found.alerts == (
        changes.AlertDraft("mx_changed", "MX root changed from yandex.net to google.com"),
    )


def test_mx_that_disappears_is_a_change_shown_as_none() -> None:
    found = detect(Snapshot(mx_root="outlook.com"), Snapshot(mx_root=""))
    assert found.alerts[0].message == "MX root changed from outlook.com to (none)"


def test_empty_and_missing_text_values_are_the_same_absent_value() -> None:
    assert detect(Snapshot(mx_root="", dmarc_policy=""), Snapshot()).entries == ()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (None, "quarantine", "dmarc_added"),
        ("none", "reject", "dmarc_added"),
        ("none", "quarantine", "dmarc_added"),
        ("quarantine", "none", "dmarc_changed"),
        ("reject", None, "dmarc_changed"),
        (None, "none", "dmarc_changed"),
    ],
)
def test_dmarc_is_added_only_when_it_starts_enforcing(
    old: str | None, new: str | None, expected: str
) -> None:
    assert types(detect(Snapshot(dmarc_policy=old), Snapshot(dmarc_policy=new))) == [expected]


def test_dmarc_added_alert_names_the_new_policy() -> None:
    found = detect(Snapshot(dmarc_policy="none"), Snapshot(dmarc_policy="reject"))
    assert found.alerts == (changes.AlertDraft("dmarc_added", "DMARC policy added: reject"),)


def test_unknown_spf_or_dkim_on_either_side_is_not_a_change() -> None:
    assert detect(Snapshot(spf=None, dkim=True), Snapshot(spf=True, dkim=None)).entries == ()


def test_boolean_history_values_are_the_strings_true_and_false() -> None:
    found = detect(Snapshot(dkim=True), Snapshot(dkim=False))
    change = found.signal_history[0]
    assert (changes.history_text(change.old), changes.history_text(change.new)) == (
        "True",
        "False",
    )


# -- expiry ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "soon"), [(-1, False), (0, False), (1, True), (29, True)])
def test_expiring_soon_means_one_to_twenty_nine_days_away(days: int, soon: bool) -> None:
    assert changes.is_expiring_soon(in_days(days), today=TODAY) is soon


def test_thirty_days_away_is_not_expiring_soon() -> None:
    assert not changes.is_expiring_soon(in_days(30), today=TODAY)


def test_expire_soon_fires_once_when_the_expiry_enters_the_window() -> None:
    entered = detect(Snapshot(expires_at=in_days(40)), Snapshot(expires_at=in_days(20)))
    stayed = detect(Snapshot(expires_at=in_days(20)), Snapshot(expires_at=in_days(19)))
    assert entered.alerts == (changes.AlertDraft("expire_soon", "Domain expires in 20 days"),)
    assert stayed.entries == ()


def test_expire_soon_window_is_configurable() -> None:
    found = changes.detect_changes(
        Snapshot(), Snapshot(expires_at=in_days(40)), today=TODAY, rules=RULES, expire_soon_days=45
    )
    assert types(found) == ["expire_soon"]


def test_days_until_is_none_for_a_value_that_is_not_a_date() -> None:
    assert changes.days_until("2025-04-01", today=TODAY) is None  # type: ignore[arg-type]


# -- scores ----------------------------------------------------------------------------------


def test_score_change_inside_one_priority_band_is_history_without_entry_or_alert() -> None:
    found = detect(Snapshot(score=82, segment="Migration"), Snapshot(score=90, segment="Migration"))
    assert found.score_history == changes.ScoreHistory(82, 90, "Migration", "Migration")
    assert found.entries == ()
    assert found.alerts == ()


def test_priority_change_raises_a_score_changed_alert_naming_both_priorities() -> None:
    found = detect(Snapshot(score=65, segment="Migration"), Snapshot(score=85, segment="Migration"))
    assert found.alerts == (
        changes.AlertDraft("score_changed", "Priority score changed from 3 to 1"),
    )


def test_segment_change_with_the_same_priority_is_a_segment_changed_entry() -> None:
    # Existing 30-49 and Cold >= 40 are both priority 5.
    found = detect(Snapshot(score=45, segment="Existing"), Snapshot(score=45, segment="Cold"))
    assert types(found) == ["segment_changed"]
    assert found.alerts[0].message == "Segment changed from Existing to Cold"


def test_unscored_side_is_no_score_change() -> None:
    assert detect(Snapshot(score=80, segment="Migration"), Snapshot()) == changes.Changes()
    assert detect(Snapshot(), Snapshot(score=80, segment="Migration")) == changes.Changes()


def test_one_alert_per_type_even_when_two_entries_map_to_it() -> None:
    entries = [Change("segment_changed", "Cold", "Skip"), Change("priority_score_changed", 5, 7)]
    assert [alert.alert_type for alert in changes.alerts_for(entries)] == ["score_changed"]


# -- provider --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "scanned", "apply", "history"),
    [
        ("", "M365", True, False),
        (None, "Google", True, False),
        ("Google", "M365", True, True),
        ("M365", "M365", True, False),
        ("M365", "Unknown", False, False),
        ("M365", None, False, False),
    ],
)
def test_provider_update_ignores_unknown_and_records_only_real_changes(
    stored: str | None, scanned: str | None, apply: bool, history: bool
) -> None:
    assert changes.provider_update(stored, scanned) == changes.ProviderUpdate(apply, history)


# -- auto-tags -------------------------------------------------------------------------------


def tags_for(state: Snapshot, provider: str | None = "M365", **kwargs: Any) -> frozenset[str]:
    return changes.system_tags(state, provider, today=TODAY, **kwargs)


def test_no_spf_and_no_dkim_is_a_security_risk() -> None:
    assert tags_for(Snapshot(spf=False, dkim=False)) == {"security-risk"}


def test_unknown_spf_and_dkim_are_not_a_security_risk() -> None:
    assert tags_for(Snapshot(spf=None, dkim=None)) == frozenset()


def test_migration_ready_uses_the_configured_threshold() -> None:
    state = Snapshot(spf=True, dkim=True, score=65, segment="Migration")
    assert "migration-ready" in tags_for(state)
    assert "migration-ready" not in tags_for(state, migration_ready_score=70)


def test_spf_with_dmarc_none_is_weak_spf() -> None:
    assert tags_for(Snapshot(spf=True, dkim=True, dmarc_policy="none")) == {"weak-spf"}


def test_expiry_inside_the_window_is_tagged_expire_soon() -> None:
    assert tags_for(Snapshot(spf=True, dkim=True, expires_at=in_days(5))) == {"expire-soon"}


@pytest.mark.parametrize(
    ("provider", "tag"), [("Google", "google-workspace"), ("Local", "local-mx")]
)
def test_provider_tags_follow_the_company_provider(provider: str, tag: str) -> None:
    assert tags_for(Snapshot(spf=True, dkim=True), provider) == {tag}


def test_tag_plan_adds_missing_removes_stale_and_leaves_manual_tags_alone() -> None:
    plan = changes.tag_plan(
        frozenset({"security-risk", "weak-spf", "local-mx"}),
        system_now={"weak-spf", "google-workspace"},
        manual_now={"local-mx", "vip"},
    )
    assert plan == changes.TagPlan(
        add=frozenset({"security-risk"}), remove=frozenset({"google-workspace"})
    )


def test_unchanged_expiry_that_crossed_into_the_window_since_the_old_scan_fires() -> None:
    expiry = in_days(20)
    old = Snapshot(expires_at=expiry, scanned_on=TODAY - dt.timedelta(days=30))  # 50 days then
    assert types(detect(old, Snapshot(expires_at=expiry))) == ["expire_soon"]
    assert detect(Snapshot(expires_at=expiry, scanned_on=TODAY), Snapshot(expires_at=expiry)) == (
        changes.Changes()
    )
