"""Storing scan results: signals, scores, history, alerts and tags, in bulk (leads.services.scans).

Results are built with the engine's own pure ``decide`` from DNS facts written out here, so
every test stores exactly what a real scan would produce, on a real PostgreSQL database.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Sequence

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from leads import models
from leads.choices import AlertStatus, DnsStatus, TagSource
from leads.selectors import lead_scan_snapshot
from leads.services.scans import StoreReport, lead_scan_results_store
from leads.tests.factories import CompanyFactory, TagFactory
from scanning.engine.changes import Snapshot
from scanning.engine.dkim import DkimResult
from scanning.engine.dmarc import dmarc_from_txt
from scanning.engine.dns import DnsFacts
from scanning.engine.registration import Registration
from scanning.engine.rules import load_rules
from scanning.engine.scan import ScanResult, decide, invalid_result
from scanning.engine.spf import SpfAnalysis

pytestmark = pytest.mark.django_db

RULES = load_rules()
SCANNED_AT = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2025, 3, 10)
GOOGLE_MX = "aspmx.l.google.com"
GOOGLEMAIL_MX = "aspmx.googlemail.com"
M365_MX = "acme.mail.protection.outlook.com"


def scan(
    domain: str,
    *,
    mx: str | None = GOOGLE_MX,
    spf: bool = True,
    dkim: bool = True,
    dmarc: str | None = "quarantine",
    expires_in_days: int | None = 365,
    registrar: str = "Example Registrar",
) -> ScanResult:
    """A resolved scan; Google with SPF, DKIM and quarantine scores 85 (Migration, priority 1)."""
    facts = DnsFacts(
        domain,
        "ok",
        mx=((10, mx),) if mx else (),
        spf=SpfAnalysis(status="present", record="v=spf1 ~all") if spf else SpfAnalysis("absent"),
        dmarc=dmarc_from_txt([f"v=DMARC1; p={dmarc}"]) if dmarc else None,
        dmarc_status="present" if dmarc else "absent",
        dkim=DkimResult("found", ("google",), ("google",)) if dkim else DkimResult("not_found"),
    )
    expires = TODAY + dt.timedelta(days=expires_in_days) if expires_in_days is not None else None
    registration = Registration("ok", registrar, expires, ("ns1.example.net",), "rdap")
    return decide(domain, facts, registration, RULES)


def unresolved(domain: str) -> ScanResult:
    facts = DnsFacts(domain, "unresolved", errors=("MX: timeout",))
    return decide(domain, facts, Registration.unknown("timeout"), RULES)


def store(
    results: Sequence[ScanResult], token: uuid.UUID | None = None, at: dt.datetime = SCANNED_AT
) -> StoreReport:
    with transaction.atomic():
        return lead_scan_results_store(
            results=results, scan_token=token or uuid.uuid4(), scanned_at=at
        )


def tags_of(domain: str) -> set[tuple[str, str]]:
    return set(models.Tag.objects.filter(company__domain=domain).values_list("tag", "source"))


def alerts_of(domain: str) -> list[tuple[str, str]]:
    rows = models.Alert.objects.filter(company__domain=domain).order_by("alert_type")
    return list(rows.values_list("alert_type", "alert_message"))


def history_counts() -> tuple[int, int, int, int, int]:
    return (
        models.SignalChangeHistory.objects.count(),
        models.ScoreChangeHistory.objects.count(),
        models.ProviderChangeHistory.objects.count(),
        models.Alert.objects.count(),
        models.Tag.objects.count(),
    )


# -- first scan -----------------------------------------------------------------------------


def test_first_scan_creates_the_company_and_stores_signals_score_and_tags_without_history() -> None:
    report = store([scan("acme.com.tr", dmarc="none")])

    company = models.Company.objects.get(domain="acme.com.tr")
    assert (company.canonical_name, company.provider) == ("acme.com.tr", "Google")
    signals = company.signals
    assert (signals.status, signals.mx_root, signals.spf, signals.dmarc_policy) == (
        DnsStatus.OK,
        "google.com",
        True,
        "none",
    )
    assert signals.expires_at == TODAY + dt.timedelta(days=365)
    assert (company.score.score, company.score.segment) == (60, "Migration")
    assert tags_of("acme.com.tr") == {
        ("migration-ready", TagSource.SYSTEM),
        ("weak-spf", TagSource.SYSTEM),
        ("google-workspace", TagSource.SYSTEM),
    }
    assert history_counts()[:4] == (0, 0, 0, 0)
    assert report == StoreReport(
        stored=("acme.com.tr",), changes_by_domain={"acme.com.tr": ()}, changes=0, alerts=0
    )


def test_existing_company_keeps_its_name_and_gets_its_provider() -> None:
    CompanyFactory.create(domain="named.com", canonical_name="Named A.Ş.", provider="")
    store([scan("named.com")])
    company = models.Company.objects.get(domain="named.com")
    assert (company.canonical_name, company.provider) == ("Named A.Ş.", "Google")


# -- second scan: changes, history, alerts ---------------------------------------------------


def test_mx_root_change_writes_one_signal_history_row_and_one_mx_changed_alert() -> None:
    store([scan("acme.com")])
    report = store([scan("acme.com", mx=GOOGLEMAIL_MX)])

    history = models.SignalChangeHistory.objects.get(company__domain="acme.com")
    assert (history.signal_type, history.old_value, history.new_value) == (
        "mx",
        "google.com",
        "googlemail.com",
    )
    assert alerts_of("acme.com") == [
        ("mx_changed", "MX root changed from google.com to googlemail.com")
    ]
    assert models.Alert.objects.get().status == AlertStatus.PENDING
    assert (report.changes, report.alerts) == (1, 1)


def test_same_scan_stored_again_with_the_same_token_creates_nothing_new() -> None:
    store([scan("acme.com")])
    token = uuid.uuid4()
    store([scan("acme.com", mx=GOOGLEMAIL_MX, dmarc="none")], token)
    before = history_counts()

    report = store([scan("acme.com", mx=GOOGLEMAIL_MX, dmarc="none")], token)

    assert history_counts() == before
    assert before[:4] == (2, 1, 0, 2)  # mx + dmarc history, score history, two alerts
    assert (report.stored, report.changes, report.alerts) == (("acme.com",), 0, 0)


def test_dmarc_none_to_reject_raises_dmarc_added_and_score_changed_alerts() -> None:
    store([scan("acme.com", dmarc="none")])  # 60, Migration, priority 3
    store([scan("acme.com", dmarc="reject")])  # 90, Migration, priority 1

    assert alerts_of("acme.com") == [
        ("dmarc_added", "DMARC policy added: reject"),
        ("score_changed", "Priority score changed from 3 to 1"),
    ]
    score = models.ScoreChangeHistory.objects.get()
    assert (score.old_score, score.new_score, score.new_segment) == (60, 90, "Migration")


def test_score_change_inside_the_same_priority_band_writes_history_but_no_alert() -> None:
    store([scan("acme.com", dmarc="quarantine")])  # 85, priority 1
    store([scan("acme.com", dmarc="reject")])  # 90, priority 1

    score = models.ScoreChangeHistory.objects.get()
    assert (score.old_score, score.new_score) == (85, 90)
    assert models.SignalChangeHistory.objects.get().signal_type == "dmarc"
    assert alerts_of("acme.com") == []


def test_expiry_entering_the_window_raises_one_expire_soon_alert_and_tags_the_lead() -> None:
    store([scan("acme.com", expires_in_days=60)])
    store([scan("acme.com", expires_in_days=20)])
    store([scan("acme.com", expires_in_days=19)], at=SCANNED_AT)

    assert alerts_of("acme.com") == [("expire_soon", "Domain expires in 20 days")]
    assert ("expire-soon", TagSource.SYSTEM) in tags_of("acme.com")


def test_expire_soon_counts_days_from_the_scan_date_not_the_wall_clock() -> None:
    later = SCANNED_AT + dt.timedelta(days=45)
    store([scan("acme.com", expires_in_days=60)])
    store([scan("acme.com", expires_in_days=60)], at=later)  # now 15 days away
    assert alerts_of("acme.com") == [("expire_soon", "Domain expires in 15 days")]


# -- provider --------------------------------------------------------------------------------


def test_provider_change_writes_provider_history() -> None:
    store([scan("acme.com")])
    store([scan("acme.com", mx=M365_MX)])
    change = models.ProviderChangeHistory.objects.get()
    assert (change.previous_provider, change.new_provider) == ("Google", "M365")
    assert models.Company.objects.get(domain="acme.com").provider == "M365"


def test_vanished_mx_keeps_the_company_provider_and_writes_no_provider_history() -> None:
    store([scan("acme.com")])
    store([scan("acme.com", mx=None)])
    company = models.Company.objects.get(domain="acme.com")
    assert company.provider == "Google"
    assert company.score.score == 0  # hard-fail: no MX
    assert not models.ProviderChangeHistory.objects.exists()


# -- tags ------------------------------------------------------------------------------------


def test_stale_system_tags_are_removed_and_manual_tags_are_kept() -> None:
    company = CompanyFactory.create(domain="acme.com", provider="")
    TagFactory.create(company=company, tag="vip", source=TagSource.MANUAL)
    TagFactory.create(company=company, tag="weak-spf", source=TagSource.MANUAL)
    store([scan("acme.com", spf=False, dkim=False, dmarc="none")])
    assert ("security-risk", TagSource.SYSTEM) in tags_of("acme.com")

    store([scan("acme.com", dmarc="none")])

    assert tags_of("acme.com") == {
        ("vip", TagSource.MANUAL),
        ("weak-spf", TagSource.MANUAL),
        ("migration-ready", TagSource.SYSTEM),
        ("google-workspace", TagSource.SYSTEM),
    }


# -- unresolved and invalid ------------------------------------------------------------------


def test_unresolved_scan_keeps_the_old_score_and_facts_and_records_its_status() -> None:
    store([scan("acme.com")])
    report = store([unresolved("acme.com")])

    company = models.Company.objects.get(domain="acme.com")
    assert (company.score.score, company.score.segment) == (85, "Migration")
    signals = company.signals
    assert (signals.status, signals.mx_root, signals.spf) == ("unresolved", "google.com", True)
    assert "DNS did not answer" in signals.message
    assert signals.registrar == "Example Registrar"
    assert report.changes == 0
    assert history_counts()[:4] == (0, 0, 0, 0)


def test_change_after_an_unresolved_scan_is_detected_against_the_last_known_facts() -> None:
    store([scan("acme.com")])
    store([unresolved("acme.com")])
    store([scan("acme.com", mx=GOOGLEMAIL_MX)])
    assert [a for a, _ in alerts_of("acme.com")] == ["mx_changed"]


def test_first_ever_unresolved_scan_creates_an_unscored_lead() -> None:
    store([unresolved("new.com")])
    company = models.Company.objects.get(domain="new.com")
    assert (company.score.score, company.score.segment) == (None, None)
    assert (company.signals.status, company.signals.spf) == ("unresolved", None)
    assert lead_scan_snapshot(domain="new.com") is None

    store([scan("new.com")])
    assert models.LeadScore.objects.get(company=company).score == 85
    assert history_counts()[:4] == (0, 0, 0, 0)  # the first real facts are not a "change"


def test_invalid_results_are_skipped_and_reported() -> None:
    report = store([invalid_result("not a domain!", "bad characters", RULES), scan("ok.com")])
    assert report.stored == ("ok.com",)
    assert report.failed == {"not a domain!": "not a valid domain: bad characters"}
    assert list(models.Company.objects.values_list("domain", flat=True)) == ["ok.com"]


# -- bulk behaviour --------------------------------------------------------------------------


def _second_scan_queries(count: int, prefix: str) -> int:
    domains = [f"{prefix}{n}.com" for n in range(count)]
    store([scan(d) for d in domains])
    CompanyFactory.create_batch(2)  # unrelated rows must not matter
    with CaptureQueriesContext(connection) as queries:
        report = store([scan(d, mx=GOOGLEMAIL_MX, dmarc="none") for d in domains])
    assert report.alerts == 2 * count  # every domain really changed
    return len(queries)


def test_query_count_does_not_grow_with_the_number_of_results() -> None:
    assert _second_scan_queries(5, "small") == _second_scan_queries(50, "large")


def test_a_row_that_breaks_a_column_limit_fails_alone_and_the_others_are_stored() -> None:
    report = store([scan("good1.com"), scan("bad.com", registrar="x" * 300), scan("good2.com")])

    assert report.stored == ("good1.com", "good2.com")
    assert set(report.failed) == {"bad.com"}
    assert "too long" in report.failed["bad.com"]
    assert set(models.DomainSignals.objects.values_list("company__domain", flat=True)) == {
        "good1.com",
        "good2.com",
    }


def test_companies_are_locked_in_domain_order() -> None:
    with CaptureQueriesContext(connection) as queries:
        store([scan("b.com"), scan("c.com"), scan("a.com")])
    locks = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    assert len(locks) == 1
    assert 'ORDER BY "leads_company"."domain" ASC' in locks[0]


def test_snapshot_selector_returns_the_stored_signals_and_score() -> None:
    store([scan("acme.com", dmarc="reject", expires_in_days=100)])
    assert lead_scan_snapshot(domain="acme.com") == Snapshot(
        spf=True,
        dkim=True,
        dmarc_policy="reject",
        mx_root="google.com",
        expires_at=TODAY + dt.timedelta(days=100),
        score=90,
        segment="Migration",
        scanned_on=TODAY,
    )
    assert lead_scan_snapshot(domain="unknown.com") is None


# -- concurrency -----------------------------------------------------------------------------


def _store_in_thread(
    results: list[ScanResult], reports: list[StoreReport], errors: list[BaseException]
) -> None:
    try:
        reports.append(store(results))
    except BaseException as exc:  # reported to the test thread, which asserts on it
        errors.append(exc)
    finally:
        connections.close_all()


def _wait_until_sessions_wait_for_locks(count: int) -> None:
    """Poll PostgreSQL until ``count`` other sessions are blocked on a row lock."""
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    with connection.cursor() as cursor:
        for _ in range(600):
            # Inside a transaction PostgreSQL keeps serving its first activity snapshot.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(query)
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.05)
    raise AssertionError(f"{count} sessions never queued for the lock")


@pytest.mark.django_db(transaction=True)
def test_two_jobs_over_overlapping_domains_in_opposite_orders_both_finish() -> None:
    domains = [f"shared{n:02}.com" for n in range(20)]
    store([scan(d) for d in domains])
    reports: list[StoreReport] = []
    errors: list[BaseException] = []
    jobs = [
        [scan(d, mx=GOOGLEMAIL_MX) for d in domains],
        [scan(d, mx=GOOGLEMAIL_MX) for d in reversed(domains)],
    ]
    threads = [
        threading.Thread(target=_store_in_thread, args=(job, reports, errors)) for job in jobs
    ]
    # Hold the first domain so both jobs are mid-way through locking when they are let go:
    # a job that locked in its input order would now hold rows the other one needs.
    with transaction.atomic():
        list(models.Company.objects.select_for_update().filter(domain=domains[0]))
        for thread in threads:
            thread.start()
        _wait_until_sessions_wait_for_locks(2)
    for thread in threads:
        thread.join()

    assert errors == []
    assert [len(report.stored) for report in reports] == [20, 20]
    # Each domain changed MX once: whichever job locked it second saw no change.
    assert models.Alert.objects.filter(alert_type="mx_changed").count() == 20
