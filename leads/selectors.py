"""Reads of lead data, named ``<entity>_<action>`` with keyword-only arguments."""

from __future__ import annotations

from leads.models import DomainSignals, LeadScore
from leads.rows import snapshot_from_rows
from scanning.engine.changes import Snapshot


def lead_scan_snapshot(*, domain: str) -> Snapshot | None:
    """The stored snapshot of one domain (rescan compares a new scan with it); None if unseen."""
    signals = DomainSignals.objects.filter(company__domain=domain).first()
    score = LeadScore.objects.filter(company__domain=domain).first()
    return snapshot_from_rows(signals, score)
