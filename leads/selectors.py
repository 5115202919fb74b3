"""Reads of lead data, named ``<entity>_<action>`` with keyword-only arguments."""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Self, cast

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Avg, Count, Max, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from leads.caching import (
    DASHBOARD_LAG,
    DASHBOARD_TTL,
    LEAD_COUNT_TTL,
    cached,
    dashboard_cache_key,
    lead_count_cache_key,
    lead_page_cache_key,
)
from leads.choices import DnsStatus, Segment
from leads.filtersets import LeadFilterSet
from leads.models import (
    Alert,
    AlertConfig,
    Company,
    DomainSignals,
    LeadScore,
    Note,
    ProviderChangeHistory,
    ScoreChangeHistory,
    SignalChangeHistory,
    Tag,
)
from leads.rows import snapshot_from_rows
from scanning.engine.changes import Snapshot


def lead_scan_snapshot(*, domain: str) -> Snapshot | None:
    """The stored snapshot of one domain (rescan compares a new scan with it); None if unseen."""
    signals = DomainSignals.objects.filter(company__domain=domain).first()
    score = LeadScore.objects.filter(company__domain=domain).first()
    return snapshot_from_rows(signals, score)


# How deep into the list a page is still read straight along the order index: up to here,
# the joins of the rows skipped cost less than choosing the page's keys in a subquery.
STRAIGHT_ROWS = 100


class LeadQuerySet(QuerySet[Company]):
    """Companies that may count and page through LeadScore alone (set by ``lead_list``).

    ``count()`` and the keys of deep pages are cached until the next scan (unless they
    depend on a user's favourites). When every active filter is a LeadScore column the count
    reads LeadScore rows alone, and in the default order ``page_keys()`` reads a page's keys
    from LeadScore's order index: neither joins the company table. These shortcuts survive
    only clones that keep the same rows; ``order_by`` keeps the count but drops the keys'
    order, and any other derived queryset counts and pages itself.
    """

    _count_key: str | None = None
    _score_lookups: dict[str, Any] | None = None
    _score_order: Sequence[str] | None = None
    # The data version the last count() was cached at: the page read next (paginators
    # count, then read a page) goes with that total, without reading the version again.
    _counted_at: str | None = None

    def through_scores(
        self,
        *,
        count_key: str | None,
        lookups: dict[str, Any] | None,
        ordering: Sequence[str] | None,
    ) -> Self:
        """These companies, counted under ``count_key``, as the LeadScore rows matching
        ``lookups`` in ``ordering`` (None: the company table is needed)."""
        clone = self.all()
        clone._count_key = count_key
        clone._score_lookups = lookups
        clone._score_order = ordering
        return clone

    def count(self) -> int:
        if self._count_key is None or self._result_cache is not None:
            return self._uncached_count()
        # Counting a segment reads tens of thousands of index entries (a provider or a
        # search, a join) on every page of the list; the total changes only when a scan
        # writes, which moves the data version.
        self._counted_at = lead_data_version()
        key = lead_count_cache_key(self._count_key, self._counted_at)
        return cached(key, self._uncached_count, ttl=LEAD_COUNT_TTL)

    def _uncached_count(self) -> int:
        if self._score_lookups is not None:
            return _scored(self._score_lookups).count()
        return super().count()

    def page_rows(self, start: int, stop: int) -> QuerySet[Company]:
        """Rows ``start`` to ``stop`` in this order, in one query.

        Near the top of LeadScore's order index the rows are read straight along it, a join
        per row. Deeper, every row skipped would cost its joins too, so the page's keys are
        chosen first (``page_keys``, cached like the count) and only those rows are read
        whole.
        """
        if start < STRAIGHT_ROWS and self._reads_score_index():
            return self[start:stop]
        if self._count_key is None:
            return self.filter(pk__in=self.page_keys(start, stop))
        # Walking to page 600 reads 30,000 index entries (a few milliseconds). Until a scan
        # moves the data version the walk ends on the same keys, so they are kept: the page
        # reread, or read by a colleague, costs one key lookup and the page's own rows.
        listing = f"{self._count_key}|{self.query.order_by!r}"
        version = self._counted_at if self._counted_at is not None else lead_data_version()
        key = lead_page_cache_key(listing, start, stop, version)
        keys = cached(key, lambda: list(self.page_keys(start, stop)), ttl=LEAD_COUNT_TTL)
        return self.filter(pk__in=keys)

    def page_keys(self, start: int, stop: int) -> QuerySet[Any]:
        """The primary keys of rows ``start`` to ``stop`` in this order, as a subquery."""
        if self._score_lookups is not None and self._score_order is not None:
            # A lead's key is its score row's company key (a one-to-one).
            by_score = _scored(self._score_lookups).order_by(*self._score_order)
            return by_score.values_list("company_id", flat=True)[start:stop]
        return self.values_list("pk", flat=True)[start:stop]

    def _reads_score_index(self) -> bool:
        return self._score_lookups is not None and self._score_order is not None

    def all(self) -> Self:
        return self._same_rows(super().all(), same_order=True)

    def values(self, *fields: str, **expressions: Any) -> Self:  # type: ignore[override]
        # The same rows in the same order, as dicts, so the shortcuts hold. The clone is
        # this class at runtime; django-stubs types values() as a plain QuerySet.
        rows = cast(Self, super().values(*fields, **expressions))
        return self._same_rows(rows, same_order=True)

    def only(self, *fields: str) -> Self:
        return self._same_rows(super().only(*fields), same_order=True)

    def order_by(self, *field_names: Any) -> Self:
        return self._same_rows(super().order_by(*field_names), same_order=False)

    def _same_rows(self, clone: Self, *, same_order: bool) -> Self:
        """``clone`` (the same rows) counted as these are, and paged so when in this order."""
        clone._count_key = self._count_key
        clone._score_lookups = self._score_lookups
        clone._score_order = self._score_order if same_order else None
        return clone


def _scored(lookups: dict[str, Any]) -> QuerySet[LeadScore]:
    # Every LeadScore row has its company (a cascading one-to-one), so the counts agree.
    return LeadScore.objects.filter(score__isnull=False, **lookups)


def lead_list(
    *,
    filters: Mapping[str, Any] | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    columns: tuple[str, ...] = (),
) -> LeadQuerySet:
    """Scanned leads (companies with a score) with signals and score joined in ONE query.

    The 1-7 priority is the stored ``score.priority_score``. With ``filters`` (query
    parameters such as ``request.GET``) the rows are filtered and sorted by ``LeadFilterSet``;
    invalid parameters raise ``ValidationError`` naming each field. Without them the order is
    priority ascending, then score descending. ``user`` owns the favourites ``favorite`` keeps.
    With ``columns`` the rows are dicts of those column paths (``values()``), not companies.
    """
    given = filters or {}
    params = tuple((name, given[name]) for name in LeadFilterSet.base_filters if name in given)
    user_id = user.pk if user is not None else None
    # A copy: whoever evaluates or narrows it never touches the kept one.
    return _built_lead_list(params, user_id, columns).all()


# Building the filtered query costs more than running it for a page of fifty: django-filter
# copies every filter and form field per FilterSet, and ``values()`` resolves the joins of
# each column anew. What they build depends only on the filter parameters, the user's id and
# the columns, so each process keeps the most recently used.
BUILT_LEAD_LISTS_KEPT = 256


@functools.lru_cache(maxsize=BUILT_LEAD_LISTS_KEPT)
def _built_lead_list(
    params: tuple[tuple[str, Any], ...], user_id: int | None, columns: tuple[str, ...]
) -> LeadQuerySet:
    leads = (
        LeadQuerySet(Company).filter(score__score__isnull=False).select_related("signals", "score")
    )
    filterset = LeadFilterSet(dict(params), queryset=leads, user_id=user_id)
    if not filterset.is_valid():
        raise ValidationError({name: list(errors) for name, errors in filterset.errors.items()})
    built = filterset.qs.through_scores(
        count_key=filterset.count_key(),
        lookups=filterset.score_lookups(),
        ordering=filterset.score_ordering(),
    )
    return built.values(*columns) if columns else built


def company_get(*, domain: str) -> Company | None:
    """The company stored under a normalised domain, with its signals and score; or None."""
    return Company.objects.select_related("signals", "score").filter(domain=domain).first()


def company_is_scored(company: Company) -> bool:
    """True when the company has a readiness score (a scan resolved it at least once).

    Reads the score row ``company_get`` selected, so it costs no query.
    """
    try:
        return company.score.score is not None
    except LeadScore.DoesNotExist:
        return False


def lead_notes(*, company: Company) -> QuerySet[Note]:
    """The company's notes, newest first."""
    return Note.objects.filter(company=company).order_by("-created_at", "-id")


def lead_tags(*, company: Company) -> QuerySet[Tag]:
    """The company's tags (automatic and manual), newest first."""
    return Tag.objects.filter(company=company).order_by("-created_at", "-id")


def dashboard_stats(*, high_priority_score: int) -> dict[str, Any]:
    """Counts and score figures over scanned leads, in one aggregate query.

    ``high_priority`` counts Migration leads scoring at least ``high_priority_score``.
    """
    scored = LeadScore.objects.filter(score__isnull=False)
    by_segment = {key.lower(): Count("id", filter=Q(segment=key)) for key in Segment.values}
    figures = scored.aggregate(
        total_leads=Count("id"),
        avg_score=Avg("score"),
        max_score=Max("score"),
        high_priority=Count(
            "id",
            filter=Q(segment=Segment.MIGRATION, score__gte=high_priority_score),
        ),
        **by_segment,
    )
    figures["avg_score"] = round(float(figures["avg_score"] or 0.0), 2)
    return figures


def alert_configs_of(*, user_id: int) -> QuerySet[AlertConfig]:
    """One user's alert configurations."""
    return AlertConfig.objects.filter(user_id=user_id).order_by("alert_type", "notification_method")


def leads_by_domain(*, domains: Sequence[str]) -> dict[str, Company]:
    """Companies (with signals and score) for the given domains, keyed by domain."""
    companies = Company.objects.select_related("signals", "score").filter(domain__in=domains)
    return {company.domain: company for company in companies}


def scan_changes(*, domain: str, scan_token: uuid.UUID) -> dict[str, list[Any]]:
    """The signal changes, score changes and alerts one scan wrote for one domain."""
    scope = {"company__domain": domain, "scan_token": scan_token}
    return {
        "signal_changes": list(SignalChangeHistory.objects.filter(**scope).order_by("id")),
        "score_changes": list(ScoreChangeHistory.objects.filter(**scope).order_by("id")),
        "alerts": list(Alert.objects.filter(**scope).order_by("id")),
    }


def company_accepts_mail(*, domain: str) -> bool | None:
    """Whether the last resolved scan found MX hosts; None when there is no such scan."""
    signals = (
        DomainSignals.objects.filter(company__domain=domain)
        .only("status", "mx_records", "null_mx")
        .first()
    )
    if signals is None or signals.status != DnsStatus.OK:
        return None
    return bool(signals.mx_records) and not signals.null_mx


# --- sales pages: dashboard, lead detail, alerts ------------------------------------------

SCANS_CHART_DAYS = 14
DETAIL_HISTORY_ROWS = 20  # history and alert rows shown on a lead page, newest first


def lead_data_version() -> str:
    """When lead data last changed through a scan (the latest scan time, as text); "" when none.

    Only compared for equality and put in cache keys: PostgreSQL returns a datetime, SQLite
    (embedded mode) the stored text, and either reads back the same until the next scan.
    """
    # Read on every lead-list request: plain SQL costs half the ORM's aggregate.
    table = connection.ops.quote_name(DomainSignals._meta.db_table)
    column = connection.ops.quote_name(str(DomainSignals._meta.get_field("scanned_at").column))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max({column}) FROM {table}")  # noqa: S608 - names from _meta
        (latest,) = cursor.fetchone()
    # ISO 8601 with its "T": a cache key must not hold a space.
    return str(latest).replace(" ", "T") if latest is not None else ""


DashboardFigures = tuple[dict[str, Any], dict[str, list[tuple[str, int]]]]


def dashboard_figures(*, fresh: bool = False) -> DashboardFigures:
    """The dashboard's KPIs and charts, at most ``DASHBOARD_LAG`` seconds behind the scans.

    Computing them reads every lead (a quarter of a second at 100,000). Held figures serve
    while they are of the current data version or younger than the lag, so during a bulk
    scan one view in ten seconds computes, not every view. ``fresh`` computes them whatever
    is held: the worker that finishes a scan job does, so the job's figures wait for the
    next viewer.
    """
    version = lead_data_version()
    held = cache.get(dashboard_cache_key())
    if held is not None and not fresh and _still_shown(held, version):
        return held["kpis"], held["charts"]
    kpis, charts = dashboard_kpis(), dashboard_charts()
    figures = {"version": version, "at": time.time(), "kpis": kpis, "charts": charts}
    cache.set(dashboard_cache_key(), figures, DASHBOARD_TTL)
    return kpis, charts


def _still_shown(held: dict[str, Any], version: str) -> bool:
    return held["version"] == version or time.time() - held["at"] < DASHBOARD_LAG


def dashboard_kpis() -> dict[str, Any]:
    """The dashboard cards: the API's figures over scanned leads, plus domains scanned today.

    High priority follows HUNTER_HIGH_PRIORITY_SCORE, as the API's dashboard does.
    """
    stats = dashboard_stats(high_priority_score=settings.HUNTER_HIGH_PRIORITY_SCORE)
    start_of_today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        **stats,
        "migration_leads": stats["migration"],
        "avg_score": round(stats["avg_score"], 1),
        "scans_today": DomainSignals.objects.filter(scanned_at__gte=start_of_today).count(),
    }


def dashboard_charts() -> dict[str, list[tuple[str, int]]]:
    """Lead counts by segment, provider and P-category, and scans per day (oldest first)."""
    scored = LeadScore.objects.filter(score__isnull=False)
    return {
        "segment": _counts(scored, "segment"),
        "provider": _counts(Company.objects.filter(score__score__isnull=False), "provider"),
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


def alert_list(*, domain: str = "", alert_type: str = "", status: str = "") -> QuerySet[Alert]:
    """Alerts newest first with their company joined, optionally of one domain, type or status."""
    alerts = Alert.objects.select_related("company").order_by("-created_at", "-id")
    if domain:
        alerts = alerts.filter(company__domain=domain)
    if alert_type:
        alerts = alerts.filter(alert_type=alert_type)
    if status:
        alerts = alerts.filter(status=status)
    return alerts
