"""Persisting engine scan results as lead data, in bulk.

``lead_scan_results_store`` is the one write path for scans: the Celery bulk jobs call it
once per chunk inside ``transaction.atomic()``. It locks, plans and writes; what each column
holds comes from ``leads.rows``. Per chunk it:

1. drops invalid results (reported in ``failed``) and keeps one result per domain;
2. creates unknown companies, then locks every company of the chunk with
   ``SELECT ... FOR UPDATE`` ordered by domain, so two jobs over overlapping domains queue
   behind each other instead of deadlocking;
3. reads the stored signals, score and tags under that lock and plans the writes with the
   pure rules of ``scanning.engine.changes`` (changes, history, alerts, system tags);
4. writes everything with a fixed number of bulk statements inside a savepoint; if a row
   breaks a database constraint, the savepoint is rolled back and each domain is written in
   its own savepoint, so one bad row costs only its own domain.

Running a chunk again with the same ``scan_token`` writes nothing new: the second run reads
the state the first one left (no change left to detect), and the history and alert tables'
unique (company, ..., scan_token) constraints absorb any insert that would still repeat.

An ``unresolved`` scan (DNS did not answer) records its status and message but keeps the
facts the last resolved scan found and never touches an existing score; the first-ever
unresolved scan of a company creates a LeadScore with NULL score and segment ("not scored
yet"), so every scanned company has both rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leads import rows
from leads.choices import AlertStatus
from leads.models import (
    Alert,
    Company,
    DomainSignals,
    LeadScore,
    ProviderChangeHistory,
    ScoreChangeHistory,
    SignalChangeHistory,
    Tag,
)
from leads.services.tags import (
    CompanyTags,
    company_tags_read,
    system_tags_plan,
    system_tags_replace,
)
from scanning.engine import changes as change_rules
from scanning.engine.changes import Change, Changes, Snapshot
from scanning.engine.rules import Rules, load_rules
from scanning.engine.scan import ScanResult

DOMAIN_MAX = 255

# What an unresolved scan may overwrite on an existing row; every other column keeps the facts
# of the last scan that DNS answered: a timeout or SERVFAIL is an unknown, not a "no".
SCAN_STATUS_FIELDS = ("status", "message", "dns_errors", "scanned_at")
REGISTRATION_STATUS_FIELDS = ("registration_status", "registration_error")
# Kept from the last successful lookup when this one failed or lookups are off.
REGISTRATION_FACT_FIELDS = ("registrar", "expires_at", "nameservers", "registration_source")
COMPANY_SCAN_FIELDS = ("provider", "tenant_size", "gateway", "updated_at")


@dataclass(frozen=True)
class StoreReport:
    """What one call stored: domains written, domains that failed (with why), and how many
    change entries and alerts were recorded. ``changes_by_domain`` serves the rescan path."""

    stored: tuple[str, ...] = ()
    failed: Mapping[str, str] = field(default_factory=dict)
    changes: int = 0
    alerts: int = 0
    changes_by_domain: Mapping[str, tuple[Change, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Settings:
    today: dt.date
    scanned_at: dt.datetime
    scan_token: uuid.UUID
    rules: Rules
    expire_soon_days: int
    migration_ready_score: int


@dataclass
class _DomainWrite:
    """Every row one domain's result writes, planned before any write happens."""

    domain: str
    signals: DomainSignals
    score: LeadScore | None
    company: Company | None  # set only when the company's provider columns change
    changes: Changes
    provider_history: list[ProviderChangeHistory] = field(default_factory=list)
    signal_history: list[SignalChangeHistory] = field(default_factory=list)
    score_history: list[ScoreChangeHistory] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    tags_to_add: list[Tag] = field(default_factory=list)
    tag_ids_to_remove: list[int] = field(default_factory=list)


@dataclass
class _StoredState:
    """What the database held for the chunk's companies, read under the row locks."""

    companies: dict[str, Company]
    signals: dict[int, DomainSignals]
    scores: dict[int, LeadScore]
    tags: dict[int, CompanyTags]


def lead_scan_results_store(
    *,
    results: Sequence[ScanResult],
    scan_token: uuid.UUID,
    scanned_at: dt.datetime | None = None,
) -> StoreReport:
    """Store scan results as lead data in bulk, with change history, alerts and system tags.

    Safe to run again with the same ``scan_token`` (see the module docstring). Invalid
    results are not stored; they come back in ``failed`` with the reason.
    """
    usable, failed = _usable_results(results)
    if not usable:
        return StoreReport(failed=failed)
    context = _settings(scan_token, scanned_at or timezone.now())
    with transaction.atomic():  # a savepoint inside the caller's chunk transaction
        state = _lock_and_read(sorted(usable))
        plans = [_plan(usable[domain], state, context) for domain in sorted(usable)]
        written, write_failures = _write_with_fallback(plans)
    return _report(written, {**failed, **write_failures})


def _settings(scan_token: uuid.UUID, scanned_at: dt.datetime) -> _Settings:
    return _Settings(
        today=timezone.localdate(scanned_at),
        scanned_at=scanned_at,
        scan_token=scan_token,
        rules=load_rules(),
        expire_soon_days=settings.HUNTER_EXPIRE_SOON_DAYS,
        migration_ready_score=settings.HUNTER_MIGRATION_READY_SCORE,
    )


def _usable_results(results: Iterable[ScanResult]) -> tuple[dict[str, ScanResult], dict[str, str]]:
    """One result per domain (the last wins: an upsert may not touch a row twice)."""
    usable: dict[str, ScanResult] = {}
    failed: dict[str, str] = {}
    for result in results:
        if result.status == "invalid" or not result.domain:
            failed[result.domain or result.input] = result.message or _("invalid domain")
        elif len(result.domain) > DOMAIN_MAX or result.domain != result.domain.lower():
            failed[result.domain] = _("not a normalized domain")
        else:
            usable[result.domain] = result
    return usable, failed


def _report(written: list[_DomainWrite], failed: dict[str, str]) -> StoreReport:
    return StoreReport(
        stored=tuple(plan.domain for plan in written),
        failed=failed,
        changes=sum(len(plan.changes.entries) for plan in written),
        alerts=sum(len(plan.alerts) for plan in written),
        changes_by_domain={plan.domain: plan.changes.entries for plan in written},
    )


# -- reading under the lock ----------------------------------------------------------------


def _lock_and_read(domains: list[str]) -> _StoredState:
    """Create missing companies, lock all of them in domain order, read their lead data."""
    # Sorted inserts too: two jobs creating the same new domains wait instead of deadlocking.
    Company.objects.bulk_create(
        [Company(domain=domain, canonical_name=domain) for domain in domains],
        ignore_conflicts=True,
    )
    locked = Company.objects.select_for_update().filter(domain__in=domains).order_by("domain")
    companies = {company.domain: company for company in locked}
    ids = [company.pk for company in companies.values()]
    return _StoredState(
        companies=companies,
        signals={row.company_id: row for row in DomainSignals.objects.filter(company_id__in=ids)},
        scores={row.company_id: row for row in LeadScore.objects.filter(company_id__in=ids)},
        tags=company_tags_read(ids),
    )


# -- planning one domain -------------------------------------------------------------------


def _plan(result: ScanResult, state: _StoredState, context: _Settings) -> _DomainWrite:
    company = state.companies[result.domain]
    old_signals = state.signals.get(company.pk)
    old_score = state.scores.get(company.pk)
    signals = _merged_signals(result, company, old_signals, context.scanned_at)
    score = _new_score(result, company, old_score)
    effective_score = score if score is not None else old_score
    old = rows.snapshot_from_rows(old_signals, old_score)
    new = rows.snapshot_from_rows(signals, effective_score) or Snapshot()
    found = change_rules.detect_changes(
        old,
        new,
        today=context.today,
        rules=context.rules,
        expire_soon_days=context.expire_soon_days,
    )
    plan = _DomainWrite(result.domain, signals, score, None, found)
    _plan_provider(plan, result, company, context)
    _plan_history_and_alerts(plan, company, context)
    _plan_tags(plan, new, company, state.tags.get(company.pk, []), context)
    return plan


def _merged_signals(
    result: ScanResult, company: Company, old: DomainSignals | None, scanned_at: dt.datetime
) -> DomainSignals:
    """The new signal row; unknown parts keep the stored facts instead of erasing them."""
    row = DomainSignals(company=company, scanned_at=scanned_at, **rows.signal_values(result))
    if old is None:
        return row
    kept: tuple[str, ...] = ()
    if result.status == "unresolved":
        fresh = {*SCAN_STATUS_FIELDS, *REGISTRATION_STATUS_FIELDS, *REGISTRATION_FACT_FIELDS}
        kept = tuple(name for name in rows.signal_columns() if name not in fresh)
    if result.registration.status != "ok":
        kept += REGISTRATION_FACT_FIELDS
    for name in kept:
        setattr(row, name, getattr(old, name))
    return row


def _new_score(result: ScanResult, company: Company, old: LeadScore | None) -> LeadScore | None:
    """The score row to upsert; None when an unresolved scan must leave the stored one alone."""
    score = result.score
    if score is None:
        # First-ever unresolved scan: a row with NULL score and segment means "not scored yet".
        return None if old is not None else LeadScore(company=company)
    return LeadScore(company=company, **rows.score_values(score))


def _plan_provider(
    plan: _DomainWrite, result: ScanResult, company: Company, context: _Settings
) -> None:
    """Update the company's provider columns and write its provider history.

    A scan that found no provider (``Unknown``) leaves the last known one in place; only a
    move from one known provider to another is history.
    """
    verdict = result.verdict
    update = change_rules.provider_update(company.provider, verdict.provider if verdict else None)
    if verdict is None or not update.apply:
        return
    if update.record_history:
        plan.provider_history.append(
            ProviderChangeHistory(
                company=company,
                previous_provider=company.provider,
                new_provider=verdict.provider,
                changed_at=context.scanned_at,
                scan_token=context.scan_token,
            )
        )
    wanted = {
        "provider": verdict.provider,
        "tenant_size": verdict.tenant_size or company.tenant_size,
        "gateway": verdict.gateway or "",
    }
    if any(getattr(company, name) != value for name, value in wanted.items()):
        for name, value in wanted.items():
            setattr(company, name, value)
        company.updated_at = context.scanned_at
        plan.company = company


def _plan_history_and_alerts(plan: _DomainWrite, company: Company, context: _Settings) -> None:
    stamp = {"company": company, "scan_token": context.scan_token}
    plan.signal_history = [
        SignalChangeHistory(
            signal_type=change.signal_type or "",
            old_value=change_rules.history_text(change.old),
            new_value=change_rules.history_text(change.new),
            changed_at=context.scanned_at,
            **stamp,
        )
        for change in plan.changes.signal_history
    ]
    if history := plan.changes.score_history:
        plan.score_history = [
            rows.score_history_row(
                history,
                company=company,
                changed_at=context.scanned_at,
                scan_token=context.scan_token,
            )
        ]
    plan.alerts = [
        Alert(
            alert_type=draft.alert_type,
            alert_message=draft.message,
            status=AlertStatus.PENDING,
            created_at=context.scanned_at,
            **stamp,
        )
        for draft in plan.changes.alerts
    ]


def _plan_tags(
    plan: _DomainWrite,
    state: Snapshot,
    company: Company,
    current: CompanyTags,
    context: _Settings,
) -> None:
    plan.tags_to_add, plan.tag_ids_to_remove = system_tags_plan(
        state,
        company,
        current,
        today=context.today,
        migration_ready_score=context.migration_ready_score,
        expire_soon_days=context.expire_soon_days,
        created_at=context.scanned_at,
    )


# -- writing -------------------------------------------------------------------------------


def _write_with_fallback(plans: list[_DomainWrite]) -> tuple[list[_DomainWrite], dict[str, str]]:
    """All domains in one savepoint; on a data error, each domain in its own savepoint.

    Only data errors (a value too long, a broken constraint) fall back: a deadlock or a lost
    connection propagates, because the caller retries the whole chunk for those.
    """
    try:
        with transaction.atomic():
            _write(plans)
        return plans, {}
    except (IntegrityError, DataError):
        pass
    written, failed = [], {}
    for plan in plans:
        try:
            with transaction.atomic():
                _write([plan])
            written.append(plan)
        except (IntegrityError, DataError) as exc:
            failed[plan.domain] = str(exc).strip()
    return written, failed


def _write(plans: list[_DomainWrite]) -> None:
    """A fixed number of statements, whatever the number of plans (empty ones are skipped)."""
    DomainSignals.objects.bulk_create(
        [plan.signals for plan in plans],
        update_conflicts=True,
        unique_fields=["company"],
        update_fields=list(rows.signal_columns()),
    )
    _upsert_scores([plan.score for plan in plans if plan.score is not None])
    companies = [plan.company for plan in plans if plan.company is not None]
    if companies:
        # An upsert on the primary key: bulk_update's CASE WHEN per row and field cost more
        # Python time than the rest of the chunk's writes together.
        Company.objects.bulk_create(
            companies,
            update_conflicts=True,
            unique_fields=["pk"],
            update_fields=list(COMPANY_SCAN_FIELDS),
        )
    _insert_once(ProviderChangeHistory, [row for p in plans for row in p.provider_history])
    _insert_once(SignalChangeHistory, [row for p in plans for row in p.signal_history])
    _insert_once(ScoreChangeHistory, [row for p in plans for row in p.score_history])
    _insert_once(Alert, [row for p in plans for row in p.alerts])
    system_tags_replace(
        add=[tag for plan in plans for tag in plan.tags_to_add],
        remove_ids=[tag_id for plan in plans for tag_id in plan.tag_ids_to_remove],
    )


def _upsert_scores(scores: list[LeadScore]) -> None:
    if scores:
        LeadScore.objects.bulk_create(
            scores,
            update_conflicts=True,
            unique_fields=["company"],
            update_fields=list(rows.score_columns()),
        )


def _insert_once(model: Any, new_rows: list[Any]) -> None:
    # The scan_token unique constraints make a repeated insert of the same change a no-op.
    if new_rows:
        model.objects.bulk_create(new_rows, ignore_conflicts=True)
