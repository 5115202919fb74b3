"""Re-scoring stored leads after a rules change, from their stored signals, with no DNS.

Scoring is a pure function of the signals a scan stored, and every LeadScore records the hash
of the rules that produced it (``rules_hash``). After rules.json changes (and the processes
restart), ``lead_scores_rescore`` walks the stored signals in keyset-paginated batches and
re-scores every lead whose ``rules_hash`` differs, so a new points table reaches every lead
without a single DNS question. Per batch it costs a fixed number of statements: find the next
company ids, lock those companies in domain order (the order scans lock them, so the two
queue behind each other instead of deadlocking) while reading signals and score in one join,
update the scores in bulk, insert the score history in bulk, and re-tag the moved leads.

What it does not do:

* No alerts. The company did not change, the rules did; an alert would tell the sales team
  about news that is not news. A ScoreChangeHistory row is still written for every lead whose
  score or segment moved, so the history explains the jump, and that lead's system tags are
  re-decided (``migration-ready`` follows the score), exactly as a scan would.
* No provider decision. The provider was decided from raw DNS evidence by providers.json; a
  change to that table needs a rescan (``manage.py rescan --all``), this re-uses the stored
  provider as is.
* Unscored leads (pending, or unresolved: DNS did not answer) are left alone: they have no
  facts to score, and an unresolved rescan keeps its last score until DNS answers again.

Running it twice writes nothing new: the second run finds every ``rules_hash`` current. The
history rows carry a scan token derived from the new rules hash and the score row's previous
version, so a batch retried after a crash cannot insert a row twice, while a later return to
the same rules (A -> B -> A -> B) still records its own history.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from leads import rows
from leads.choices import DnsStatus
from leads.models import DomainSignals, LeadScore, ScoreChangeHistory, Tag
from leads.services.tags import (
    CompanyTags,
    company_tags_read,
    system_tags_plan,
    system_tags_replace,
)
from scanning.engine import changes as change_rules
from scanning.engine.rules import Rules, load_rules
from scanning.engine.scoring import ScoreResult, score_lead

# The DNS outcomes a scan scores (an NXDOMAIN is scored: it is the domain_not_found hard-fail).
SCORED_DNS_STATUSES = (DnsStatus.OK, DnsStatus.NXDOMAIN)
# A fixed namespace, so the same rules version and score row always give the same token.
RESCORE_NAMESPACE = uuid.UUID("5b0f3c52-8d2e-4b6a-9a51-0e6f1c7d2a94")


@dataclass(frozen=True)
class RescoreReport:
    """Leads with a stored score read (``examined``), re-scored because their rules hash
    differed (``rescored``), and among those, the ones whose score or segment moved."""

    examined: int = 0
    rescored: int = 0
    changed: int = 0

    def __add__(self, other: RescoreReport) -> RescoreReport:
        return RescoreReport(
            self.examined + other.examined,
            self.rescored + other.rescored,
            self.changed + other.changed,
        )


@dataclass(frozen=True)
class _Rescored:
    signals: DomainSignals
    score: LeadScore
    history: ScoreChangeHistory | None  # None when neither score nor segment moved


def lead_scores_rescore(
    *, rules: Rules | None = None, batch_size: int = 1000, dry_run: bool = False
) -> RescoreReport:
    """Re-score every scored lead whose ``rules_hash`` is not ``rules.hash`` (see module doc).

    ``rules`` defaults to the process's rules.json; ``dry_run`` counts without writing.
    """
    rules = rules or load_rules()
    rescored_at = timezone.now()
    report = RescoreReport()
    after = 0
    while company_ids := _next_company_ids(after=after, batch_size=max(batch_size, 1)):
        with transaction.atomic():
            report += _rescore_batch(company_ids, rules, rescored_at, dry_run=dry_run)
        after = company_ids[-1]
    return report


def rescore_token(rules_hash: str, score: LeadScore) -> uuid.UUID:
    """The history scan token of re-scoring ``score`` (as stored now) with ``rules_hash``."""
    version = score.updated_at.isoformat() if score.updated_at else ""
    return uuid.uuid5(RESCORE_NAMESPACE, f"rescore:{rules_hash}:{score.pk}:{version}")


def _next_company_ids(*, after: int, batch_size: int) -> list[int]:
    # Keyset pagination on the unique company_id: each page is an index range scan, however
    # far the walk has gone, and rows re-scored by an earlier page are never read again.
    scored = DomainSignals.objects.filter(
        company_id__gt=after,
        status__in=SCORED_DNS_STATUSES,
        company__score__score__isnull=False,
    )
    return list(scored.order_by("company_id").values_list("company_id", flat=True)[:batch_size])


def _rescore_batch(
    company_ids: Sequence[int], rules: Rules, rescored_at: dt.datetime, *, dry_run: bool
) -> RescoreReport:
    examined = [row for row in _read_batch(company_ids, lock=not dry_run) if _still_scored(row)]
    rescored = [
        outcome
        for row in examined
        if row.company.score.rules_hash != rules.hash
        and (outcome := _rescore(row, rules, rescored_at)) is not None
    ]
    if not dry_run:
        _write(rescored)
    changed = sum(1 for outcome in rescored if outcome.history is not None)
    return RescoreReport(len(examined), len(rescored), changed)


def _read_batch(company_ids: Sequence[int], *, lock: bool) -> list[DomainSignals]:
    batch = DomainSignals.objects.select_related("company__score").filter(
        company_id__in=company_ids
    )
    if lock:
        # Only the company rows, the lock every scan of these companies takes first.
        batch = batch.select_for_update(of=("company",))
    return list(batch.order_by("company__domain"))


def _still_scored(signals: DomainSignals) -> bool:
    # Re-checked under the lock: a scan may have replaced the row since the ids were read.
    score: LeadScore | None = getattr(signals.company, "score", None)
    return score is not None and score.score is not None and signals.status in SCORED_DNS_STATUSES


def _rescore(signals: DomainSignals, rules: Rules, rescored_at: dt.datetime) -> _Rescored | None:
    inp = rows.score_input_from_row(signals)
    if inp is None:
        return None
    score = signals.company.score
    token = rescore_token(rules.hash, score)
    before = change_rules.Snapshot(score=score.score, segment=score.segment)
    result = score_lead(inp, rules)
    _apply(score, result, rescored_at)
    after = change_rules.Snapshot(score=score.score, segment=score.segment)
    moved, _ = change_rules.score_changes(before, after, rules)
    history = None
    if moved is not None:
        history = rows.score_history_row(
            moved, company=signals.company, changed_at=rescored_at, scan_token=token
        )
    return _Rescored(signals, score, history)


def _apply(score: LeadScore, result: ScoreResult, rescored_at: dt.datetime) -> None:
    for name, value in rows.score_values(result).items():
        setattr(score, name, value)
    score.updated_at = rescored_at  # bulk_update does not run auto_now


def _write(rescored: Sequence[_Rescored]) -> None:
    if not rescored:
        return
    scores = [outcome.score for outcome in rescored]
    LeadScore.objects.bulk_update(scores, fields=list(rows.score_columns()))
    moved = [outcome for outcome in rescored if outcome.history is not None]
    if moved:
        # The (company, scan_token) constraint absorbs a row a retried batch already wrote.
        history = [outcome.history for outcome in moved if outcome.history is not None]
        ScoreChangeHistory.objects.bulk_create(history, ignore_conflicts=True)
        _retag(moved)


def _retag(moved: Sequence[_Rescored]) -> None:
    """Re-decide the system tags of leads whose score moved, with the scans' own rule."""
    current = company_tags_read([outcome.signals.company_id for outcome in moved])
    add: list[Tag] = []
    remove_ids: list[int] = []
    for outcome in moved:
        to_add, to_remove = _tag_writes(outcome, current.get(outcome.signals.company_id, []))
        add += to_add
        remove_ids += to_remove
    system_tags_replace(add=add, remove_ids=remove_ids)


def _tag_writes(outcome: _Rescored, current: CompanyTags) -> tuple[list[Tag], list[int]]:
    state = rows.snapshot_from_rows(outcome.signals, outcome.score) or change_rules.Snapshot()
    return system_tags_plan(
        state,
        outcome.signals.company,
        current,
        today=timezone.localdate(outcome.score.updated_at),
        migration_ready_score=settings.HUNTER_MIGRATION_READY_SCORE,
        expire_soon_days=settings.HUNTER_EXPIRE_SOON_DAYS,
        created_at=outcome.score.updated_at,
    )
