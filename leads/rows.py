"""The one translation between the engine's results and the lead rows, both ways.

A fact keeps one name from the engine's record (``ScanResult.to_record()``, also the
``manage.py scan --json`` line) to the columns: a DomainSignals or LeadScore column takes the
record value of the same name, converted by the column's own field (an ISO date string becomes a
date; ``None`` becomes the column's default where the column cannot hold NULL, so absent text
is "" and an absent list is []). Going back, a change-detection ``Snapshot`` reads its fields
by the same names from the stored rows, and ``score_input_from_row`` rebuilds the scorer's
input from a stored signal row.

So adding a signal is: put it in the engine's record, add the same-named column (a migration),
and, if changes of it matter, a same-named ``Snapshot`` field. Nothing here changes.

Field lists are read from the models on each call, not frozen at import, so the mapping is
always the models' current shape.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from django.db import models
from django.utils import timezone

from leads.choices import DnsStatus
from leads.models import Company, DomainSignals, LeadScore, ScoreChangeHistory
from scanning.engine import changes as change_rules
from scanning.engine.scan import ScanResult, score_input_from_signals, score_record
from scanning.engine.scoring import ScoreInput, ScoreResult

# Columns a scan result does not provide: the keys, and the time the store stamps.
_OWN_COLUMNS = frozenset({"id", "company", "scanned_at", "updated_at"})


def _record_columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if f.name not in _OWN_COLUMNS]


def signal_columns() -> tuple[str, ...]:
    """DomainSignals columns a scan writes (every concrete column but the keys)."""
    return tuple(
        f.name for f in DomainSignals._meta.concrete_fields if f.name not in {"id", "company"}
    )


def score_columns() -> tuple[str, ...]:
    """LeadScore columns a score writes (every concrete column but the keys)."""
    return tuple(f.name for f in LeadScore._meta.concrete_fields if f.name not in {"id", "company"})


def _column_values(model: type[models.Model], record: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for column in _record_columns(model):
        if column.name not in record:
            continue
        value = record[column.name]
        if value is None and not column.null:
            values[column.name] = column.get_default()
        else:
            values[column.name] = column.to_python(value)
    return values


def signal_values(result: ScanResult) -> dict[str, Any]:
    """DomainSignals column values of one scan result, by the record's names."""
    values = _column_values(DomainSignals, result.to_record())
    if result.dns is None or result.dns.status == "unresolved":
        # With no DNS answer at all, SPF and DKIM were never asked: unknown, not absent.
        values["spf"] = values["dkim"] = None
    return values


def score_values(score: ScoreResult) -> dict[str, Any]:
    """LeadScore column values of an engine score, by the record's names."""
    return _column_values(LeadScore, score_record(score))


def signals_ever_resolved(signals: DomainSignals) -> bool:
    """False for the row of a first scan DNS never answered: it holds no facts to compare.

    Such a row has both SPF and DKIM unknown; any scan that resolved once leaves them known,
    and later unresolved scans keep those known facts (see leads.services.scans).
    """
    unknown = signals.status == DnsStatus.UNRESOLVED
    return not (unknown and signals.spf is None and signals.dkim is None)


def snapshot_from_rows(
    signals: DomainSignals | None, score: LeadScore | None
) -> change_rules.Snapshot | None:
    """The change-relevant state of a lead; None when nothing was ever known.

    Each Snapshot field is read from the same-named column of the signal or score row ("" reads
    as None: absent); ``scanned_on`` is the local day of the scan, so an old expiry is judged as
    it stood then.
    """
    if signals is None or not signals_ever_resolved(signals):
        return None
    snapshot = change_rules.Snapshot
    values: dict[str, Any] = {}
    for name in (f.name for f in dataclasses.fields(snapshot)):
        row = signals if hasattr(signals, name) else score
        value = getattr(row, name, None) if row is not None else None
        values[name] = None if value == "" else value
    values["scanned_on"] = timezone.localdate(signals.scanned_at)
    return snapshot(**values)


def score_input_from_row(signals: DomainSignals) -> ScoreInput | None:
    """The scorer's input from a stored signal row; None when SPF or DKIM is unknown."""
    if signals.spf is None or signals.dkim is None:
        return None  # an unknown is not a no: scoring it would charge the "absent" risks
    return score_input_from_signals(
        provider=signals.provider,
        mx_hosts=mx_hosts(signals.mx_records),
        spf=signals.spf,
        dkim=signals.dkim,
        dmarc_policy=signals.dmarc_policy,
        dmarc_testing=signals.dmarc_testing,
        spf_record=signals.spf_record,
        domain_exists=signals.status != DnsStatus.NXDOMAIN,
        accepts_mail=not signals.null_mx,
    )


def mx_hosts(mx_records: Any) -> tuple[str, ...]:
    """Host names of a stored ``[{preference, host}]`` list; malformed entries are dropped."""
    if not isinstance(mx_records, list):
        return ()
    hosts = (row.get("host") for row in mx_records if isinstance(row, dict))
    return tuple(host for host in hosts if isinstance(host, str) and host)


def score_history_row(
    history: change_rules.ScoreHistory,
    *,
    company: Company,
    changed_at: dt.datetime,
    scan_token: uuid.UUID,
) -> ScoreChangeHistory:
    """The ScoreChangeHistory row of an engine score change (scans and rescore)."""
    return ScoreChangeHistory(
        company=company,
        old_score=history.old_score,
        new_score=history.new_score,
        old_segment=history.old_segment or "",
        new_segment=history.new_segment or "",
        changed_at=changed_at,
        scan_token=scan_token,
    )
