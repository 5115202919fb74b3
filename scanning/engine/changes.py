"""What changed between two scans of a domain, and which system tags it should carry now.

Pure decisions over plain values: the lead services read the stored snapshot under a row
lock, build the new one, and ask this module for the change entries, the history rows and
alerts they imply, the provider update, and the system tag set. Nothing here
touches Django, so the rules can be tested exhaustively without a database.

``None`` in a snapshot means "not known" for the booleans (DNS did not answer) and "absent"
for the text values (no DMARC record, no MX root, no expiry date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from scanning.engine.rules import Rules
from scanning.engine.scoring import calculate_priority_score

DEFAULT_EXPIRE_SOON_DAYS = 30
DEFAULT_MIGRATION_READY_SCORE = 60
ENFORCING_DMARC = frozenset({"quarantine", "reject"})
UNKNOWN_PROVIDER = "Unknown"
ChangeValue = str | int | bool | dt.date | None

# Change type -> alert type; change types missing here raise no alert.
ALERT_TYPES: Mapping[str, str] = {
    "mx_changed": "mx_changed",
    "dmarc_added": "dmarc_added",
    "expire_soon": "expire_soon",
    "priority_score_changed": "score_changed",
    "segment_changed": "score_changed",
}
_MESSAGES: Mapping[str, str] = {
    "mx_changed": "MX root changed from {old} to {new}",
    "dmarc_added": "DMARC policy added: {new}",
    "expire_soon": "Domain expires in {days} days",
    "priority_score_changed": "Priority score changed from {old} to {new}",
    "segment_changed": "Segment changed from {old} to {new}",
}


@dataclass(frozen=True)
class Snapshot:
    """The change-relevant state of one domain: its latest signals and score."""

    spf: bool | None = None
    dkim: bool | None = None
    dmarc_policy: str | None = None
    mx_root: str | None = None
    expires_at: dt.date | None = None
    score: int | None = None
    segment: str | None = None
    # The day this state was scanned: an old expiry is judged as it stood then (None = today).
    scanned_on: dt.date | None = None


@dataclass(frozen=True)
class Change:
    """One change entry. ``signal_type`` names the signal history row it implies
    (None for expiry and score entries, whose history is elsewhere or absent)."""

    type: str
    old: ChangeValue = None
    new: ChangeValue = None
    signal_type: str | None = None
    days_until_expiry: int | None = None

    @property
    def alert_type(self) -> str | None:
        """The alert this change raises, or None (SPF/DKIM changes, unknown types)."""
        return ALERT_TYPES.get(self.type)

    @property
    def message(self) -> str | None:
        """The English alert text of the change, or None when the change raises no alert."""
        template = _MESSAGES.get(self.type)
        if template is None:
            return None
        return template.format(
            old=_shown(self.old), new=_shown(self.new), days=self.days_until_expiry
        )


@dataclass(frozen=True)
class ScoreHistory:
    """One score history row: written whenever readiness score or segment changed."""

    old_score: int
    new_score: int
    old_segment: str | None
    new_segment: str | None


@dataclass(frozen=True)
class AlertDraft:
    """An alert to insert with status pending."""

    alert_type: str
    message: str


@dataclass(frozen=True)
class Changes:
    """Everything one scan changed: change entries and the score history row, if any."""

    entries: tuple[Change, ...] = ()
    score_history: ScoreHistory | None = None

    @property
    def signal_history(self) -> tuple[Change, ...]:
        """The entries that write a signal history row (spf, dkim, dmarc, mx)."""
        return tuple(change for change in self.entries if change.signal_type)

    @property
    def alerts(self) -> tuple[AlertDraft, ...]:
        """The alerts these changes raise."""
        return alerts_for(self.entries)


@dataclass(frozen=True)
class ProviderUpdate:
    """Whether a scan updates the company's provider, and the history row it writes."""

    apply: bool
    record_history: bool


@dataclass(frozen=True)
class TagPlan:
    """System tags to add and to remove; manual tags never appear in either set."""

    add: frozenset[str]
    remove: frozenset[str]


# -- change detection ---------------------------------------------------------------------


def detect_changes(
    old: Snapshot | None,
    new: Snapshot,
    *,
    today: dt.date,
    rules: Rules,
    expire_soon_days: int = DEFAULT_EXPIRE_SOON_DAYS,
) -> Changes:
    """Compare the stored snapshot with the new one; nothing on a first scan."""
    if old is None:
        return Changes()
    entries = [*signal_changes(old, new)]
    if expiry := expire_soon_change(old, new, today=today, window_days=expire_soon_days):
        entries.append(expiry)
    history, score_entry = score_changes(old, new, rules)
    if score_entry:
        entries.append(score_entry)
    return Changes(entries=tuple(entries), score_history=history)


def signal_changes(old: Snapshot, new: Snapshot) -> tuple[Change, ...]:
    """SPF, DKIM, DMARC and MX changes; an unknown (None) SPF/DKIM on either side is no change."""
    changes = []
    for name in ("spf", "dkim"):
        before, after = getattr(old, name), getattr(new, name)
        if before is not None and after is not None and before != after:
            changes.append(Change(f"{name}_changed", before, after, signal_type=name))
    if (old.dmarc_policy or None) != (new.dmarc_policy or None):
        changes.append(_dmarc_change(old.dmarc_policy or None, new.dmarc_policy or None))
    if (old.mx_root or None) != (new.mx_root or None):
        changes.append(Change("mx_changed", old.mx_root, new.mx_root, signal_type="mx"))
    return tuple(changes)


def _dmarc_change(old: str | None, new: str | None) -> Change:
    added = old in (None, "none") and new in ENFORCING_DMARC
    return Change("dmarc_added" if added else "dmarc_changed", old, new, signal_type="dmarc")


def expire_soon_change(
    old: Snapshot, new: Snapshot, *, today: dt.date, window_days: int = DEFAULT_EXPIRE_SOON_DAYS
) -> Change | None:
    """``expire_soon`` when the new expiry is in the window and the old one was not ."""
    if not is_expiring_soon(new.expires_at, today=today, window_days=window_days):
        return None
    # Judged on the old scan's own day, so an unchanged expiry date that crossed into the
    # window between two scans raises the alert (measured today, it would never fire).
    old_days = days_until(old.expires_at, today=old.scanned_on or today)
    if old_days is not None and old_days < window_days:
        return None  # already announced (or already past): one alert per approach, not per scan
    days = days_until(new.expires_at, today=today)
    return Change("expire_soon", old.expires_at, new.expires_at, days_until_expiry=days)


def score_changes(
    old: Snapshot, new: Snapshot, rules: Rules
) -> tuple[ScoreHistory | None, Change | None]:
    """The score history row and the priority/segment change entry, if any.

    An unscored side (an unresolved scan) is no change: there is nothing to compare.
    """
    if old.score is None or new.score is None:
        return None, None
    if old.score == new.score and old.segment == new.segment:
        return None, None
    history = ScoreHistory(old.score, new.score, old.segment, new.segment)
    old_priority = calculate_priority_score(old.segment, old.score, rules)
    new_priority = calculate_priority_score(new.segment, new.score, rules)
    if old_priority != new_priority:
        return history, Change("priority_score_changed", old_priority, new_priority)
    if old.segment != new.segment:
        return history, Change("segment_changed", old.segment, new.segment)
    return history, None


def alerts_for(changes: Iterable[Change]) -> tuple[AlertDraft, ...]:
    """One pending alert per alert type, in change order; unknown change types are ignored."""
    drafts: dict[str, AlertDraft] = {}
    for change in changes:
        alert_type, message = change.alert_type, change.message
        if alert_type and message and alert_type not in drafts:
            drafts[alert_type] = AlertDraft(alert_type, message)
    return tuple(drafts.values())


def _shown(value: object) -> str:
    return "(none)" if value is None or value == "" else str(value)


def history_text(value: ChangeValue) -> str:
    """A value as the history tables store it: booleans as "True"/"False", absent as ""."""
    return "" if value is None else str(value)


# -- expiry ----------------------------------------------------------------------------------


def days_until(expires_at: dt.date | None, *, today: dt.date) -> int | None:
    """Whole days from ``today`` to the expiry date (negative when past), None without one."""
    if not isinstance(expires_at, dt.date):
        return None
    return (expires_at - today).days


def is_expiring_soon(
    expires_at: dt.date | None, *, today: dt.date, window_days: int = DEFAULT_EXPIRE_SOON_DAYS
) -> bool:
    """True when the expiry is 1 to ``window_days - 1`` days away (0 < days < window)."""
    days = days_until(expires_at, today=today)
    return days is not None and 0 < days < window_days


# -- provider --------------------------------------------------------------------------------


def provider_update(stored: str | None, scanned: str | None) -> ProviderUpdate:
    """An Unknown (or missing) scan result never replaces the stored
    provider; a history row only when a stored provider existed and differs."""
    if not scanned or scanned == UNKNOWN_PROVIDER:
        return ProviderUpdate(apply=False, record_history=False)
    return ProviderUpdate(apply=True, record_history=bool(stored) and stored != scanned)


# -- auto-tags -------------------------------------------------------------------------------


def system_tags(
    state: Snapshot,
    provider: str | None,
    *,
    today: dt.date,
    migration_ready_score: int = DEFAULT_MIGRATION_READY_SCORE,
    expire_soon_days: int = DEFAULT_EXPIRE_SOON_DAYS,
) -> frozenset[str]:
    """The system tags a lead should carry now; ``provider`` is the company's provider."""
    conditions = {
        "security-risk": state.spf is False and state.dkim is False,
        "migration-ready": state.segment == "Migration"
        and state.score is not None
        and state.score >= migration_ready_score,
        "expire-soon": is_expiring_soon(
            state.expires_at, today=today, window_days=expire_soon_days
        ),
        "weak-spf": state.spf is True and state.dmarc_policy == "none",
        "google-workspace": provider == "Google",
        "local-mx": provider == "Local",
    }
    return frozenset(tag for tag, holds in conditions.items() if holds)


def tag_plan(
    wanted: frozenset[str], system_now: Iterable[str], manual_now: Iterable[str]
) -> TagPlan:
    """Recompute the system tag set: add what is missing, drop what no longer holds.

    A tag a person already added by hand is left alone, so it is neither duplicated nor removed.
    """
    system, manual = frozenset(system_now), frozenset(manual_now)
    return TagPlan(add=wanted - system - manual, remove=system - wanted)
