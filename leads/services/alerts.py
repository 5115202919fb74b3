"""Alert delivery: every due alert to the users who asked for its type.

``alerts_process_pending`` (beat, every 5 minutes, and after each finished scan job) sends each
due alert to every enabled *immediate* alert config of its type, across users: the recipients
are the users who asked. An alert is ``sent`` when ANY channel delivered it (its method is
the first that did, in config order; the errors of the others are kept in ``error``).
When every channel failed it becomes ``failed`` with the joined errors and a ``next_attempt_at``
that doubles from HUNTER_ALERT_RETRY_DELAY; after HUNTER_ALERT_MAX_ATTEMPTS failures it stays
``failed`` with no next attempt (given up). An alert nobody configured is marked ``sent`` with
no method: there was nothing to send.

Daily digests: an alert whose type has enabled ``daily_digest`` configs is flagged
``digest_due``. If only digest configs exist it stays ``pending`` (the 5-minute run skips it)
until ``alerts_send_digest`` sends one message per digest config listing its owed alerts.

No database transaction is open while a webhook, Slack or SMTP server is talked to (that can
take minutes, and locks held that long stall everything else). A run instead *leases* its
batch: a short transaction locks the due rows (``SELECT ... FOR UPDATE SKIP LOCKED``), stamps
them ``claimed_until`` with a fresh ``claim_token`` and commits; then it sends, and records each
alert's outcome as soon as it is known, only where the token is still its own. So two runs
never send one alert twice (the other run skips leased rows), and a run killed mid-send leaves
at most the alert in flight sent twice: the rest of its lease expires and the next run sends
them. The lease lasts the task's hard time limit (CELERY_TASK_TIME_LIMIT, from
HUNTER_TASK_TIME_LIMIT): no run outlives it.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from leads.choices import AlertFrequency, AlertStatus
from leads.models import Alert, AlertConfig
from leads.notifications import Channel, Notice, notify

logger = structlog.get_logger("hunter.alerts")

UPDATED_FIELDS = [
    "status",
    "notification_method",
    "error",
    "sent_at",
    "attempts",
    "next_attempt_at",
    "digest_due",
]
ERROR_MAX_CHARS = 2000
MAX_RETRY_DELAY = timedelta(days=1)
DIGEST_MAX_ALERTS = 1000  # per run: a longer backlog goes out in the next digest


class AlertOutcome(StrEnum):
    """What one processing run did with one alert."""

    SENT = "sent"  # delivered (now, or in a digest when it waited for one)
    DIGESTED = "digested"  # already handled immediately; now also in the digest
    RETRYING = "retrying"  # every channel failed; tried again at next_attempt_at
    GAVE_UP = "gave_up"  # every channel failed on the last allowed attempt
    NOTHING_TO_SEND = "nothing_to_send"  # no enabled config of its type
    WAITING_FOR_DIGEST = "waiting_for_digest"  # only digest configs: left for the digest


@dataclass
class AlertReport:
    """Counts of one run: alerts processed, their outcomes and the messages attempted."""

    processed: int = 0
    messages: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def count(self, outcome: AlertOutcome) -> None:
        self.processed += 1
        self.outcomes[outcome.value] += 1

    def merge(self, other: AlertReport) -> None:
        self.processed += other.processed
        self.messages += other.messages
        self.outcomes.update(other.outcomes)

    def as_dict(self) -> dict[str, int]:
        """JSON-friendly: every outcome named, zero when it did not happen."""
        counts = {outcome.value: self.outcomes[outcome.value] for outcome in AlertOutcome}
        return {"processed": self.processed, "messages": self.messages, **counts}


# --- immediate delivery --------------------------------------------------------------------


def alerts_process_pending(
    *,
    now: datetime | None = None,
    limit: int | None = None,
    max_batches: int = 1,
    time_budget: float | None = None,
) -> AlertReport:
    """Deliver due alerts in batches of ``limit`` (each claimed in one short transaction).

    Stops after ``max_batches``, when a batch was not full, or once ``time_budget`` seconds
    (default: half the task soft time limit) are spent, so a run of hung receivers ends
    cleanly and hands back its unsent alerts instead of being killed with them leased.
    """
    now = now or timezone.now()
    size = limit or settings.HUNTER_ALERT_BATCH_SIZE
    deadline = time.monotonic() + (time_budget or settings.CELERY_TASK_SOFT_TIME_LIMIT / 2)
    report = AlertReport()
    for _ in range(max_batches):
        batch = _process_batch(now, size, deadline)
        report.merge(batch)
        if batch.processed < size or time.monotonic() > deadline:
            break
    if report.processed:
        logger.info("alerts_processed", **report.as_dict())
    return report


def _process_batch(now: datetime, size: int, deadline: float) -> AlertReport:
    report = AlertReport()
    alerts, token = _claim(_due_alerts(now), now, size)
    configs = _configs_by_type((alert.alert_type for alert in alerts), frequency=None)
    for position, alert in enumerate(alerts):
        if time.monotonic() > deadline:
            _release(alerts[position:], token)  # the next run sends them, not a lease later
            break
        report.count(_deliver_now(alert, configs.get(alert.alert_type, []), now, report))
        _record([alert], token)
    return report


def _due_alerts(now: datetime) -> QuerySet[Alert]:
    """New alerts not left for a digest, and failed ones whose retry time has come."""
    new = Q(status=AlertStatus.PENDING, digest_due=False)
    retry = Q(status=AlertStatus.FAILED, next_attempt_at__lte=now)
    return Alert.objects.filter(new | retry)


def _claim(alerts: QuerySet[Alert], now: datetime, size: int) -> tuple[list[Alert], uuid.UUID]:
    """Lease up to ``size`` of these alerts that no live run holds, oldest first, and commit."""
    token = uuid.uuid4()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    with transaction.atomic():
        # of=("self",): lock the alert rows only, never the companies scans are writing.
        claimed = list(
            alerts.filter(free)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("company")
            .order_by("id")[:size]
        )
        lease_end = now + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        Alert.objects.filter(id__in=[alert.id for alert in claimed]).update(
            claimed_until=lease_end, claim_token=token
        )
    return claimed, token


def _record(alerts: list[Alert], token: uuid.UUID) -> None:
    """Store the outcomes and end the lease, only on rows this run still holds."""
    for alert in alerts:
        alert.claimed_until = None
        alert.claim_token = None
    written = Alert.objects.filter(claim_token=token).bulk_update(
        alerts, [*UPDATED_FIELDS, "claimed_until", "claim_token"]
    )
    if written < len(alerts):  # the lease ran out and another run took them over
        logger.warning("alert_lease_lost", alerts=len(alerts) - written)


def _release(alerts: list[Alert], token: uuid.UUID) -> None:
    ids = [alert.id for alert in alerts]
    Alert.objects.filter(id__in=ids, claim_token=token).update(claimed_until=None, claim_token=None)


def _configs_by_type(
    alert_types: Iterable[str], *, frequency: str | None
) -> dict[str, list[AlertConfig]]:
    """Enabled configs of these alert types (of one frequency, or all), in id order."""
    configs = AlertConfig.objects.filter(enabled=True, alert_type__in=set(alert_types))
    if frequency is not None:
        configs = configs.filter(frequency=frequency)
    by_type: dict[str, list[AlertConfig]] = defaultdict(list)
    for config in configs.order_by("id"):
        by_type[config.alert_type].append(config)
    return by_type


def _deliver_now(
    alert: Alert, configs: list[AlertConfig], now: datetime, report: AlertReport
) -> AlertOutcome:
    """Send one alert to its type's immediate configs and record the outcome on the row."""
    immediate = [c for c in configs if c.frequency == AlertFrequency.IMMEDIATE]
    if alert.status == AlertStatus.PENDING:
        alert.digest_due = len(immediate) < len(configs)
    if not immediate:
        if alert.digest_due:
            return AlertOutcome.WAITING_FOR_DIGEST
        _mark_sent(alert, method="", errors=[], now=now)
        return AlertOutcome.NOTHING_TO_SEND
    # Two users with the same webhook URL or address get one message, not two copies.
    channels = list(dict.fromkeys(channel_of(config) for config in immediate))
    report.messages += len(channels)
    delivered, errors = _send(alert, channels, [notice_of(alert)])
    if delivered:
        _mark_sent(alert, method=delivered[0], errors=errors, now=now)
        return AlertOutcome.SENT
    return _mark_failed(alert, errors, now)


def _send(
    alert: Alert, channels: Sequence[Channel], notices: Sequence[Notice]
) -> tuple[list[str], list[str]]:
    """The methods that delivered, and the errors of those that did not."""
    delivered: list[str] = []
    errors: list[str] = []
    for channel in channels:
        result = notify(channel, notices)
        if result.ok:
            delivered.append(channel.method)
        else:
            errors.append(result.error)
            # Method and error only: addresses and webhook URLs stay out of the logs.
            logger.warning(
                "alert_delivery_failed",
                alert_id=alert.id,
                method=channel.method,
                error=result.error,
            )
    return delivered, errors


def _mark_sent(alert: Alert, *, method: str, errors: list[str], now: datetime) -> None:
    alert.status = AlertStatus.SENT
    alert.notification_method = method
    alert.sent_at = now
    alert.error = _join(errors)
    alert.next_attempt_at = None


def _mark_failed(alert: Alert, errors: list[str], now: datetime) -> AlertOutcome:
    """Count the failed attempt; schedule the next one, or give up after the last."""
    alert.attempts += 1
    alert.status = AlertStatus.FAILED
    alert.error = _join(errors)
    if alert.attempts >= settings.HUNTER_ALERT_MAX_ATTEMPTS:
        alert.next_attempt_at = None
        return AlertOutcome.GAVE_UP
    alert.next_attempt_at = now + retry_delay(alert.attempts)
    return AlertOutcome.RETRYING


def retry_delay(attempts: int) -> timedelta:
    """HUNTER_ALERT_RETRY_DELAY, doubled for each failure after the first, at most a day."""
    seconds = settings.HUNTER_ALERT_RETRY_DELAY * 2 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), MAX_RETRY_DELAY)


def _join(errors: Sequence[str]) -> str:
    return "; ".join(errors)[:ERROR_MAX_CHARS]


def channel_of(config: AlertConfig) -> Channel:
    """Where a config sends (only the address its method uses, so duplicates compare equal)."""
    if config.notification_method == "email":
        return Channel(config.notification_method, email_address=config.email_address)
    return Channel(config.notification_method, webhook_url=config.webhook_url)


def notice_of(alert: Alert) -> Notice:
    """The alert's content for the channels (its message was written when it was raised)."""
    return Notice(
        alert_id=alert.id,
        domain=alert.company.domain,
        alert_type=alert.alert_type,
        message=alert.alert_message,
        created_at=alert.created_at,
    )


# --- daily digest --------------------------------------------------------------------------


def alerts_send_digest(
    *, now: datetime | None = None, limit: int = DIGEST_MAX_ALERTS
) -> AlertReport:
    """Send one message per enabled daily-digest config, listing its type's owed alerts.

    An owed alert is settled when any digest containing it was delivered; otherwise it is
    owed again tomorrow, until HUNTER_ALERT_MAX_ATTEMPTS failed deliveries in all.
    """
    now = now or timezone.now()
    report = AlertReport()
    alerts, token = _claim(Alert.objects.filter(digest_due=True), now, limit)
    configs = _configs_by_type(
        (alert.alert_type for alert in alerts), frequency=AlertFrequency.DAILY_DIGEST
    )
    delivered, errors = _send_digests(alerts, configs, report)
    for alert in alerts:
        report.count(_settle_digest(alert, delivered[alert.id], errors[alert.id], now))
    _record(alerts, token)
    if report.processed:
        logger.info("alert_digest_sent", **report.as_dict())
    return report


def _send_digests(
    alerts: list[Alert], configs: dict[str, list[AlertConfig]], report: AlertReport
) -> tuple[defaultdict[int, list[str]], defaultdict[int, list[str]]]:
    """Send each config its digest; per alert, the methods that delivered it and the errors."""
    by_type: dict[str, list[Alert]] = defaultdict(list)
    for alert in alerts:
        by_type[alert.alert_type].append(alert)
    delivered: defaultdict[int, list[str]] = defaultdict(list)
    errors: defaultdict[int, list[str]] = defaultdict(list)
    for alert_type, type_configs in configs.items():
        group = by_type[alert_type]
        for config in type_configs:
            report.messages += 1
            result = notify(channel_of(config), [notice_of(alert) for alert in group])
            if result.ok:
                target, value = delivered, config.notification_method
            else:
                target, value = errors, result.error
                logger.warning("alert_digest_failed", config_id=config.id, error=result.error)
            for alert in group:
                target[alert.id].append(value)
    return delivered, errors


def _settle_digest(
    alert: Alert, delivered: list[str], errors: list[str], now: datetime
) -> AlertOutcome:
    """Record one owed alert's digest outcome; a pending alert gets its final status here."""
    waited = alert.status == AlertStatus.PENDING  # only digest configs: this is its delivery
    if not delivered and errors:
        alert.error = _join(errors)
        alert.attempts += 1
        if alert.attempts < settings.HUNTER_ALERT_MAX_ATTEMPTS:
            return AlertOutcome.RETRYING  # still owed: in tomorrow's digest again
        alert.digest_due = False
        if waited:
            alert.status = AlertStatus.FAILED
        return AlertOutcome.GAVE_UP
    alert.digest_due = False
    if not waited:
        return AlertOutcome.DIGESTED if delivered else AlertOutcome.NOTHING_TO_SEND
    _mark_sent(alert, method=delivered[0] if delivered else "", errors=errors, now=now)
    return AlertOutcome.SENT if delivered else AlertOutcome.NOTHING_TO_SEND
