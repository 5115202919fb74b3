"""Re-scoring stored leads after a rules change, against real PostgreSQL and no DNS."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.choices import DnsStatus, TagSource
from leads.models import Alert, DomainSignals, LeadScore, ScoreChangeHistory, Tag
from leads.rows import score_input_from_row, score_values
from leads.services.rescore import RescoreReport, lead_scores_rescore
from leads.tests.factories import CompanyFactory, DomainSignalsFactory
from scanning.engine.rules import PROVIDERS_PATH, RULES_PATH, Rules, load_rules
from scanning.engine.scoring import score_lead

pytestmark = pytest.mark.django_db

GOOGLE_POINTS_AFTER = 20  # shipped rules give Google 50


@pytest.fixture
def shipped_rules() -> Rules:
    return load_rules()


@pytest.fixture
def new_rules(tmp_path: Path) -> Rules:
    """A copy of rules.json where a Google mailbox is worth 20 points instead of 50."""
    document = json.loads(RULES_PATH.read_text(encoding="utf-8"))
    document["provider_points"]["Google"] = GOOGLE_POINTS_AFTER
    copy = tmp_path / "rules.json"
    copy.write_text(json.dumps(document), encoding="utf-8")
    return load_rules(copy, PROVIDERS_PATH)


def stored_lead(rules: Rules, **signals: Any) -> DomainSignals:
    """A company with signals and the score a scan under ``rules`` left for them."""
    row = DomainSignalsFactory.create(company=CompanyFactory.create(), **signals)
    inp = score_input_from_row(row)
    assert inp is not None
    LeadScore.objects.create(company=row.company, **score_values(score_lead(inp, rules)))
    return row


def score_of(row: DomainSignals) -> LeadScore:
    return LeadScore.objects.get(company=row.company)


def breakdown_rules(score: LeadScore) -> set[str]:
    return {part["rule"] for part in score.reasons}


def test_a_points_change_rescores_stored_leads_and_records_the_new_rules_hash(
    shipped_rules: Rules, new_rules: Rules
) -> None:
    google = stored_lead(shipped_rules)  # 50 + spf 10 + dkim 10 + quarantine 15 = 85
    assert (score_of(google).score, score_of(google).segment) == (85, "Migration")

    report = lead_scores_rescore(rules=new_rules)

    score = score_of(google)
    assert report == RescoreReport(examined=1, rescored=1, changed=1)
    assert (score.score, score.segment) == (55, "Cold")
    assert score.rules_hash == new_rules.hash != shipped_rules.hash
    assert {"rule": "provider.Google", "points": GOOGLE_POINTS_AFTER} in score.reasons
    assert (score.commercial_segment, score.priority_category) == ("LOW_INTENT", "P5")
    assert score.reason.endswith("Score: 55, Provider: Google")


@pytest.fixture
def moved_bands_rules(tmp_path: Path) -> Rules:
    """A copy of rules.json where Migration leads need 90 points, not 80, for priority 1."""
    document = json.loads(RULES_PATH.read_text(encoding="utf-8"))
    document["priority_score"]["rules"][0]["when"]["min_score"] = 90
    copy = tmp_path / "rules.json"
    copy.write_text(json.dumps(document), encoding="utf-8")
    return load_rules(copy, PROVIDERS_PATH)


def test_a_rules_change_that_moves_priority_bands_rewrites_the_stored_priority(
    shipped_rules: Rules, moved_bands_rules: Rules
) -> None:
    google = stored_lead(shipped_rules)  # Migration 85: priority 1 under the shipped bands
    assert score_of(google).priority_score == 1

    lead_scores_rescore(rules=moved_bands_rules)

    score = score_of(google)
    assert (score.score, score.segment, score.priority_score) == (85, "Migration", 2)
    assert score.rules_hash == moved_bands_rules.hash


def test_a_rescored_lead_gets_one_history_row_and_no_alert(
    shipped_rules: Rules, new_rules: Rules
) -> None:
    google = stored_lead(shipped_rules)
    lead_scores_rescore(rules=new_rules)
    history = ScoreChangeHistory.objects.get(company=google.company)
    assert (history.old_score, history.new_score) == (85, 55)
    assert (history.old_segment, history.new_segment) == ("Migration", "Cold")
    assert history.scan_token is not None
    assert not Alert.objects.exists()


def test_system_tags_follow_the_new_score_and_manual_tags_stay(
    shipped_rules: Rules, new_rules: Rules
) -> None:
    google = stored_lead(shipped_rules)
    Tag.objects.create(company=google.company, tag="migration-ready", source=TagSource.SYSTEM)
    Tag.objects.create(company=google.company, tag="vip", source=TagSource.MANUAL)

    def tags() -> set[str]:
        return set(Tag.objects.filter(company=google.company).values_list("tag", flat=True))

    lead_scores_rescore(rules=new_rules)  # 85 Migration -> 55 Cold
    assert "migration-ready" not in tags()
    assert "vip" in tags()
    lead_scores_rescore(rules=shipped_rules)  # back to 85 Migration
    assert {"migration-ready", "vip"} <= tags()


def test_running_it_again_changes_nothing_and_writes_no_new_history(
    shipped_rules: Rules, new_rules: Rules
) -> None:
    rows = [stored_lead(shipped_rules) for _ in range(3)]
    lead_scores_rescore(rules=new_rules)
    stamps = {row.company_id: score_of(row).updated_at for row in rows}

    again = lead_scores_rescore(rules=new_rules)

    assert again == RescoreReport(examined=3, rescored=0, changed=0)
    assert ScoreChangeHistory.objects.count() == 3
    assert {row.company_id: score_of(row).updated_at for row in rows} == stamps


def test_a_rules_change_that_moves_no_score_updates_the_hash_without_history(
    shipped_rules: Rules, new_rules: Rules
) -> None:
    m365 = stored_lead(shipped_rules, provider="M365")  # Google's points do not touch it
    before = score_of(m365)
    report = lead_scores_rescore(rules=new_rules)
    after = score_of(m365)
    assert report == RescoreReport(examined=1, rescored=1, changed=0)
    assert (after.score, after.segment) == (before.score, before.segment)
    assert after.rules_hash == new_rules.hash
    assert not ScoreChangeHistory.objects.exists()


def test_going_back_and_forth_between_rules_records_every_move(
    shipped_rules: Rules, new_rules: Rules
) -> None:
    google = stored_lead(shipped_rules)
    for rules in (new_rules, shipped_rules, new_rules):
        lead_scores_rescore(rules=rules)
    moves = ScoreChangeHistory.objects.filter(company=google.company).order_by("id")
    assert [(row.old_score, row.new_score) for row in moves] == [(85, 55), (55, 85), (85, 55)]


def test_unscored_and_unresolved_leads_are_left_untouched(
    shipped_rules: Rules, new_rules: Rules
) -> None:
    # A rescan DNS did not answer keeps the facts and the score of the last resolved scan.
    unresolved = stored_lead(shipped_rules)
    DomainSignals.objects.filter(pk=unresolved.pk).update(status=DnsStatus.UNRESOLVED)
    never_scored = DomainSignalsFactory.create(status=DnsStatus.UNRESOLVED, spf=None, dkim=None)
    LeadScore.objects.create(company=never_scored.company)
    pending = DomainSignalsFactory.create(status=DnsStatus.PENDING)

    report = lead_scores_rescore(rules=new_rules)

    assert report == RescoreReport()
    assert score_of(unresolved).rules_hash == shipped_rules.hash
    assert score_of(unresolved).score == 85
    assert score_of(never_scored).score is None
    assert not LeadScore.objects.filter(company=pending.company).exists()


def test_dmarc_in_test_mode_still_scores_as_none_after_a_rescore(
    shipped_rules: Rules, new_rules: Rules
) -> None:
    testing = stored_lead(
        shipped_rules,
        dmarc_policy="reject",
        dmarc_testing=True,
        dmarc_record="v=DMARC1; p=reject; t=y",
    )
    lead_scores_rescore(rules=new_rules)
    score = score_of(testing)
    assert "risk.dmarc_none" in breakdown_rules(score)
    assert "signal.dmarc_reject" not in breakdown_rules(score)
    assert score.score == GOOGLE_POINTS_AFTER + 10 + 10 - 10  # spf, dkim, dmarc none


@pytest.mark.parametrize(
    ("signals", "rule"),
    [
        ({"mx_records": [], "mx_root": ""}, "hard_fail.mx_missing"),
        ({"mx_records": [], "null_mx": True}, "hard_fail.null_mx"),
        (
            {"status": DnsStatus.NXDOMAIN, "provider": "", "mx_records": []},
            "hard_fail.domain_not_found",
        ),
    ],
)
def test_a_hard_fail_stays_a_hard_fail_after_a_rescore(
    shipped_rules: Rules, new_rules: Rules, signals: dict[str, Any], rule: str
) -> None:
    lead = stored_lead(shipped_rules, **signals)
    report = lead_scores_rescore(rules=new_rules)
    score = score_of(lead)
    assert report == RescoreReport(examined=1, rescored=1, changed=0)
    assert (score.score, score.segment, score.hard_fail) == (0, "Skip", True)
    assert rule in breakdown_rules(score)
    assert score.rules_hash == new_rules.hash


def test_a_malformed_stored_mx_list_is_read_as_no_mx_instead_of_failing(
    shipped_rules: Rules, new_rules: Rules
) -> None:
    lead = stored_lead(shipped_rules)
    DomainSignals.objects.filter(pk=lead.pk).update(mx_records=[{"preference": 10}, "junk"])
    lead_scores_rescore(rules=new_rules)
    assert "hard_fail.mx_missing" in breakdown_rules(score_of(lead))


def test_a_dry_run_counts_without_writing(shipped_rules: Rules, new_rules: Rules) -> None:
    google = stored_lead(shipped_rules)
    report = lead_scores_rescore(rules=new_rules, dry_run=True)
    assert report == RescoreReport(examined=1, rescored=1, changed=1)
    assert score_of(google).rules_hash == shipped_rules.hash
    assert not ScoreChangeHistory.objects.exists()


def test_small_batches_walk_every_lead_once(shipped_rules: Rules, new_rules: Rules) -> None:
    rows = [stored_lead(shipped_rules) for _ in range(7)]
    report = lead_scores_rescore(rules=new_rules, batch_size=3)
    assert report == RescoreReport(examined=7, rescored=7, changed=7)
    assert {score_of(row).rules_hash for row in rows} == {new_rules.hash}
    assert ScoreChangeHistory.objects.count() == 7


def count_rescore_queries(leads: int, shipped_rules: Rules, new_rules: Rules) -> int:
    for _ in range(leads):
        stored_lead(shipped_rules, provider="Google")
    with CaptureQueriesContext(connection) as queries:
        report = lead_scores_rescore(rules=new_rules)
    assert report.rescored == leads
    return len(queries)


def test_the_query_count_does_not_grow_with_the_number_of_leads(
    shipped_rules: Rules, new_rules: Rules
) -> None:
    few = count_rescore_queries(5, shipped_rules, new_rules)
    LeadScore.objects.all().delete()
    DomainSignals.objects.all().delete()
    many = count_rescore_queries(40, shipped_rules, new_rules)
    assert few == many
    assert many <= 10


def test_the_command_prints_what_it_did_and_honours_dry_run(shipped_rules: Rules) -> None:
    google = stored_lead(shipped_rules)
    LeadScore.objects.filter(company=google.company).update(rules_hash="old-rules")

    out = StringIO()
    call_command("rescore", "--dry-run", stdout=out)
    assert "dry run" in out.getvalue()
    assert "examined 1, rescored 1, changed 0" in out.getvalue()
    assert score_of(google).rules_hash == "old-rules"

    call_command("rescore", stdout=out)
    assert score_of(google).rules_hash == shipped_rules.hash
