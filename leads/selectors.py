"""Reads of lead data, named ``<entity>_<action>`` with keyword-only arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from leads.choices import DnsStatus
from leads.filtersets import LeadFilterSet
from leads.models import Company, DomainSignals, LeadScore
from leads.priority import priority_score_expression
from scanning.engine.changes import Snapshot


def signals_ever_resolved(signals: DomainSignals) -> bool:
    """False for the row of a first scan DNS never answered: it holds no facts to compare.

    Such a row has both SPF and DKIM unknown; any scan that resolved once leaves them known,
    and later unresolved scans keep those known facts (see leads.services.scans).
    """
    unknown = signals.dns_status == DnsStatus.UNRESOLVED
    return not (unknown and signals.spf is None and signals.dkim is None)


def scan_snapshot_from_rows(
    signals: DomainSignals | None, score: LeadScore | None
) -> Snapshot | None:
    """The change-relevant state of a lead (SPEC §8.4); None when nothing was ever known."""
    if signals is None or not signals_ever_resolved(signals):
        return None
    return Snapshot(
        spf=signals.spf,
        dkim=signals.dkim,
        dmarc_policy=signals.dmarc_policy or None,
        mx_root=signals.mx_root or None,
        expires_at=signals.expires_at,
        score=score.readiness_score if score else None,
        segment=score.segment if score else None,
        scanned_on=timezone.localdate(signals.scanned_at),
    )


def lead_scan_snapshot(*, domain: str) -> Snapshot | None:
    """The stored snapshot of one domain (rescan compares a new scan with it); None if unseen."""
    signals = DomainSignals.objects.filter(company__domain=domain).first()
    score = LeadScore.objects.filter(company__domain=domain).first()
    return scan_snapshot_from_rows(signals, score)


def lead_list(
    *,
    filters: Mapping[str, Any] | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
) -> QuerySet[Company]:
    """Scanned leads (companies with a score) with signals and score joined in ONE query.

    Each row carries ``priority_score`` (1-7, computed in SQL). With ``filters`` (query
    parameters such as ``request.GET``) the rows are filtered and sorted by ``LeadFilterSet``;
    invalid parameters raise ``ValidationError`` naming each field. Without them the order is
    priority ascending, then score descending. ``user`` owns the favourites ``favorite`` keeps.
    """
    leads = (
        Company.objects.filter(score__readiness_score__isnull=False)
        .select_related("signals", "score")
        .annotate(priority_score=priority_score_expression("score__"))
    )
    filterset = LeadFilterSet(filters or {}, queryset=leads, user=user)
    if not filterset.is_valid():
        raise ValidationError({name: list(errors) for name, errors in filterset.errors.items()})
    return filterset.qs
