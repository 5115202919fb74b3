"""Reads of lead data, named ``<entity>_<action>`` with keyword-only arguments."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, Max, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from leads.choices import DnsStatus, Segment
from leads.filtersets import LeadFilterSet
from leads.models import (
    Alert,
    Company,
    DomainSignals,
    LeadScore,
    ProviderChangeHistory,
    ScoreChangeHistory,
    SignalChangeHistory,
)
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


# --- sales pages: dashboard, lead detail, alerts ------------------------------------------

HIGH_PRIORITY_SCORE = 70  # a Migration lead at or above this score is "high priority"
SCANS_CHART_DAYS = 14
DETAIL_HISTORY_ROWS = 20  # history and alert rows shown on a lead page, newest first


def lead_data_version() -> str:
    """When lead data last changed through a scan (the latest scan time); "" when none."""
    latest = DomainSignals.objects.aggregate(latest=Max("scanned_at"))["latest"]
    return latest.isoformat() if latest else ""


def dashboard_kpis() -> dict[str, Any]:
    """Totals over scanned leads (a score exists), plus how many domains were scanned today."""
    scored = LeadScore.objects.filter(readiness_score__isnull=False)
    migration = Q(segment=Segment.MIGRATION)
    totals = scored.aggregate(
        total_leads=Count("id"),
        migration_leads=Count("id", filter=migration),
        high_priority=Count("id", filter=migration & Q(readiness_score__gte=HIGH_PRIORITY_SCORE)),
        avg_score=Avg("readiness_score"),
        max_score=Max("readiness_score"),
    )
    start_of_today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    totals["scans_today"] = DomainSignals.objects.filter(scanned_at__gte=start_of_today).count()
    totals["avg_score"] = round(float(totals["avg_score"] or 0.0), 1)
    return totals


def dashboard_charts() -> dict[str, list[tuple[str, int]]]:
    """Lead counts by segment, provider and P-category, and scans per day (oldest first)."""
    scored = LeadScore.objects.filter(readiness_score__isnull=False)
    return {
        "segment": _counts(scored, "segment"),
        "provider": _counts(
            Company.objects.filter(score__readiness_score__isnull=False), "provider"
        ),
        "priority_category": _counts(scored, "priority_category"),
        "scans_per_day": _scans_per_day(),
    }


def _counts(queryset: QuerySet[Any], field: str) -> list[tuple[str, int]]:
    rows = queryset.values(field).annotate(n=Count("pk")).order_by("-n", field)
    return [(row[field] or "", row["n"]) for row in rows]


def _scans_per_day() -> list[tuple[str, int]]:
    """Domains whose latest scan fell on each of the last days (a day without scans shows 0)."""
    today = timezone.localdate()
    first = today - timedelta(days=SCANS_CHART_DAYS - 1)
    rows = (
        DomainSignals.objects.filter(scanned_at__date__gte=first)
        .annotate(day=TruncDate("scanned_at"))
        .values("day")
        .annotate(n=Count("id"))
    )
    by_day = {row["day"]: row["n"] for row in rows}
    days = (first + timedelta(days=offset) for offset in range(SCANS_CHART_DAYS))
    return [(day.isoformat(), by_day.get(day, 0)) for day in days]


def _recent(relation: str, queryset: QuerySet[Any]) -> Prefetch[Any]:
    """The newest rows of a relation, as a list in ``recent_<relation>`` (a sliced prefetch)."""
    return Prefetch(relation, queryset[:DETAIL_HISTORY_ROWS], to_attr=f"recent_{relation}")


def lead_detail_get(*, domain: str) -> Company | None:
    """One company with signals, score, tags, notes, and its newest history rows and alerts.

    The newest rows are lists in ``recent_provider_changes``, ``recent_signal_changes``,
    ``recent_score_changes`` and ``recent_alerts``. None for an unknown domain.
    """
    return (
        Company.objects.filter(domain=domain)
        .select_related("signals", "score")
        .prefetch_related(
            "tags",
            "notes",
            _recent("provider_changes", ProviderChangeHistory.objects.all()),
            _recent("signal_changes", SignalChangeHistory.objects.all()),
            _recent("score_changes", ScoreChangeHistory.objects.all()),
            _recent("alerts", Alert.objects.all()),
        )
        .first()
    )


def alert_list() -> QuerySet[Alert]:
    """Every alert, newest first, with its company joined."""
    return Alert.objects.select_related("company").order_by("-created_at", "-id")
