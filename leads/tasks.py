"""Celery tasks for alert delivery: thin wrappers around leads.services.alerts.

Both run from beat (hunter/settings.py CELERY_BEAT_SCHEDULE, editable in admin);
process_pending_alerts is also enqueued when a scan job finishes, so alerts that a rescan
raised go out within seconds instead of at the next 5-minute tick.
"""

from __future__ import annotations

from celery import shared_task

from leads.services import alerts

# Batches one run may deliver before leaving the rest to the next tick (each batch is one
# transaction of HUNTER_ALERT_BATCH_SIZE alerts); the service also stops at a time budget.
MAX_BATCHES_PER_RUN = 20


@shared_task(name="leads.process_pending_alerts")
def process_pending_alerts() -> dict[str, int]:
    """Deliver due alerts (new ones and failed ones whose retry time has come)."""
    return alerts.alerts_process_pending(max_batches=MAX_BATCHES_PER_RUN).as_dict()


@shared_task(name="leads.send_alert_digest")
def send_alert_digest() -> dict[str, int]:
    """Send the daily digests: one message per daily-digest alert config."""
    return alerts.alerts_send_digest().as_dict()
