"""The one translation between engine results and lead rows (leads.rows)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Iterator

import pytest
from django.db import connection, models, transaction

from leads import rows
from leads.models import DomainSignals, LeadScore
from leads.priority import priority_score
from leads.selectors import lead_scan_snapshot
from leads.services.scans import lead_scan_results_store
from scanning.engine import changes as change_rules
from scanning.engine.dkim import DkimResult
from scanning.engine.dmarc import dmarc_from_txt
from scanning.engine.dns import DnsConfig, DnsFacts
from scanning.engine.providers import dkim_selector_rounds_for
from scanning.engine.registration import Registration, RegistrationConfig
from scanning.engine.rules import load_rules
from scanning.engine.scan import EngineConfig, ScanResult, decide, scan_many_sync, score_record
from scanning.engine.spf import SpfAnalysis

RULES = load_rules()
EXPIRES = dt.date(2027, 5, 1)


def google_scan(domain: str = "acme.com") -> ScanResult:
    facts = DnsFacts(
        domain,
        "ok",
        mx=((10, "aspmx.l.google.com"),),
        spf=SpfAnalysis(status="present", record="v=spf1 include:_spf.google.com ~all"),
        dmarc=dmarc_from_txt(["v=DMARC1; p=quarantine"]),
        dmarc_status="present",
        dkim=DkimResult("found", ("google",), ("google",)),
    )
    registration = Registration("ok", "Example Registrar", EXPIRES, ("ns1.example.net",), "rdap")
    return decide(domain, facts, registration, RULES)


def test_every_signal_column_is_named_after_a_key_of_the_engine_record() -> None:
    record = google_scan().to_record()
    written_by_scan = set(rows.signal_columns()) - {"scanned_at"}
    assert written_by_scan - record.keys() == set()


def test_every_score_column_is_named_after_a_key_of_the_score_record() -> None:
    score = google_scan().score
    assert score is not None
    assert set(rows.score_columns()) - {"updated_at"} - score_record(score).keys() == set()


def test_record_values_are_converted_by_their_column() -> None:
    values = rows.signal_values(google_scan())

    assert values["expires_at"] == EXPIRES  # the record's ISO string, as a date
    assert values["gateway"] == ""  # None in the record, "" in a text column
    assert values["mx_records"] == [{"preference": 10, "host": "aspmx.l.google.com"}]
    assert rows.mx_hosts(values["mx_records"]) == ("aspmx.l.google.com",)


def test_scores_reasons_keep_the_records_rule_and_points() -> None:
    score = google_scan().score
    assert score is not None
    values = rows.score_values(score)

    assert values["score"] == score.score
    assert values["reasons"] == [{"rule": rule, "points": pts} for rule, pts in score.breakdown]


def test_a_signal_dns_never_answered_is_unknown_not_absent() -> None:
    facts = DnsFacts("acme.com", "unresolved", errors=("MX: timeout",))
    result = decide("acme.com", facts, Registration.unknown("timeout"), RULES)

    values = rows.signal_values(result)

    assert (values["spf"], values["dkim"]) == (None, None)


# -- adding a signal -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SnapshotWithMadeUpSignal(change_rules.Snapshot):
    made_up_signal: str | None = None


class ScanResultWithMadeUpSignal(ScanResult):
    """The engine after someone added a signal to its record."""

    def to_record(self) -> dict[str, object]:
        return {**super().to_record(), "made_up_signal": "seen"}


@pytest.fixture
def made_up_column(db: None) -> Iterator[models.Field[str, str]]:
    """A DomainSignals column for the made-up signal, as its migration would add it.

    PostgreSQL rolls DDL back with the test's transaction; the model forgets the field after.
    """
    column = models.CharField(max_length=20, blank=True)
    DomainSignals.add_to_class("made_up_signal", column)
    with connection.schema_editor() as editor:
        editor.add_field(DomainSignals, column)
    yield column
    DomainSignals._meta.local_fields.remove(column)
    DomainSignals._meta._expire_cache()  # type: ignore[attr-defined]
    delattr(DomainSignals, "made_up_signal")


def test_a_made_up_signal_reaches_the_row_the_snapshot_and_the_json_record(
    made_up_column: models.Field[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The engine's side of the change: the record key above and a Snapshot field here.
    monkeypatch.setattr(change_rules, "Snapshot", SnapshotWithMadeUpSignal)
    result = ScanResultWithMadeUpSignal(**vars(google_scan()))

    with transaction.atomic():
        lead_scan_results_store(results=[result], scan_token=uuid.uuid4())

    stored = DomainSignals.objects.get(company__domain="acme.com")
    assert getattr(stored, "made_up_signal") == "seen"  # noqa: B009 (not a declared field)
    snapshot = lead_scan_snapshot(domain="acme.com")
    assert isinstance(snapshot, SnapshotWithMadeUpSignal)
    assert snapshot.made_up_signal == "seen"
    assert json.loads(json.dumps(result.to_record()))["made_up_signal"] == "seen"


def test_the_score_row_is_written_by_the_same_names(db: None) -> None:
    with transaction.atomic():
        lead_scan_results_store(results=[google_scan()], scan_token=uuid.uuid4())

    stored = LeadScore.objects.get(company__domain="acme.com")
    record = google_scan().to_record()
    assert (stored.score, stored.segment, stored.reasons) == (
        record["score"],
        record["segment"],
        record["reasons"],
    )
    assert stored.priority_score == record["priority_score"]


def test_the_stored_priority_is_the_rules_priority_of_the_stored_segment_and_score(
    db: None,
) -> None:
    with transaction.atomic():
        lead_scan_results_store(results=[google_scan()], scan_token=uuid.uuid4())

    stored = LeadScore.objects.get(company__domain="acme.com")
    assert stored.priority_score == priority_score(stored.segment, stored.score)


@pytest.mark.django_db
def test_posture_records_of_a_real_scan_are_stored_with_the_signals(app_dns_server) -> None:
    host, port = app_dns_server.nameserver.rsplit(":", 1)
    dns = DnsConfig(nameservers=((host, int(port)),), dkim_rounds=dkim_selector_rounds_for)
    config = EngineConfig(dns=dns, registration=RegistrationConfig(enabled=False))
    result = scan_many_sync(["contoso.com"], config)[0]

    lead_scan_results_store(results=[result], scan_token=uuid.uuid4())

    stored = DomainSignals.objects.get(company__domain="contoso.com")
    assert (stored.mta_sts, stored.mta_sts_id) == ("valid", "20240101T000000")
    assert stored.tls_rpt == "valid"
    assert "https://reports.contoso.com/tls" in stored.tls_rpt_rua
    assert (stored.bimi, stored.bimi_logo_url) == ("valid", "https://contoso.com/logo.svg")
    assert stored.bimi_authority_url == "https://contoso.com/vmc.pem"
    assert stored.dnssec is True
