"""The alert tasks: their beat schedule as admin shows it, and real runs through a worker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from hunter.celery import app
from hunter.testing.celery_worker import CeleryWorkerProcess
from hunter.testing.http_receiver import HttpReceiver
from leads import tasks
from leads.choices import AlertStatus, NotificationMethod
from leads.models import Alert
from leads.services import alerts
from leads.tests.factories import AlertConfigFactory, AlertFactory, CompanyFactory

RESULT_TIMEOUT = 60


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as server:
        yield server


def pending_alert_with_webhook(receiver: HttpReceiver) -> Alert:
    alert = AlertFactory.create(company=CompanyFactory.create(domain="contoso.com.tr"))
    AlertConfigFactory.create(
        notification_method=NotificationMethod.WEBHOOK,
        webhook_url=receiver.url("/hook"),
        email_address="",
    )
    return alert


def wait_until_sent(alert_id: int, seconds: float = RESULT_TIMEOUT) -> Alert:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alert = Alert.objects.get(id=alert_id)
        if alert.status != AlertStatus.PENDING:
            return alert
        time.sleep(0.2)
    pytest.fail(f"alert {alert_id} was never processed")


def test_alert_tasks_are_registered_under_stable_names() -> None:
    assert tasks.process_pending_alerts.name == "leads.process_pending_alerts"
    assert tasks.send_alert_digest.name == "leads.send_alert_digest"
    assert {"leads.process_pending_alerts", "leads.send_alert_digest"} <= set(app.tasks)


def test_beat_processes_pending_alerts_every_five_minutes_and_drops_late_runs() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["process-pending-alerts"]

    assert entry["task"] == "leads.process_pending_alerts"
    assert entry["schedule"] == 300.0
    assert entry["options"] == {"expire_seconds": 60}


# transaction=True: the scheduler closes the database connection, as beat does between ticks.
@pytest.mark.django_db(transaction=True)
def test_the_alert_schedules_are_synced_into_admin_rows_by_the_beat_scheduler() -> None:
    DatabaseScheduler(app=app)

    pending = PeriodicTask.objects.get(name="process-pending-alerts")
    digest = PeriodicTask.objects.get(name="send-alert-digest")
    assert (pending.task, pending.expire_seconds) == ("leads.process_pending_alerts", 60)
    assert pending.interval is not None
    assert (pending.interval.every, pending.interval.period) == (300, "seconds")
    assert (digest.task, digest.expire_seconds) == ("leads.send_alert_digest", 3_600)
    assert digest.interval is not None
    assert digest.interval.every == 86_400


@pytest.mark.django_db
def test_the_task_run_in_process_reports_every_outcome(receiver: HttpReceiver) -> None:
    pending_alert_with_webhook(receiver)

    answer = tasks.process_pending_alerts.apply().get()

    assert (answer["processed"], answer["sent"], answer["retrying"]) == (1, 1, 0)
    assert len(receiver.requests("/hook")) == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_pending_alerts(
    receiver: HttpReceiver, celery_worker_process: CeleryWorkerProcess
) -> None:
    alert = pending_alert_with_webhook(receiver)

    answer = tasks.process_pending_alerts.delay().get(timeout=RESULT_TIMEOUT)

    assert (answer["processed"], answer["sent"]) == (1, 1)
    assert receiver.requests("/hook")[0].json()["alert_id"] == alert.id
    assert Alert.objects.get(id=alert.id).notification_method == "webhook"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_alert_whose_worker_is_killed_mid_send_is_sent_by_a_later_run_after_its_lease(
    receiver: HttpReceiver, celery_worker_process: CeleryWorkerProcess
) -> None:
    alert = pending_alert_with_webhook(receiver)
    receiver.set_silent("/hook")  # the send hangs until the worker is killed
    tasks.process_pending_alerts.delay()
    deadline = time.monotonic() + RESULT_TIMEOUT
    while not receiver.requests("/hook"):
        assert time.monotonic() < deadline, "the worker never tried to send the alert"
        time.sleep(0.05)

    celery_worker_process.kill()

    leased = Alert.objects.get(id=alert.id)
    assert (leased.status, leased.claimed_until is not None) == (AlertStatus.PENDING, True)
    receiver.reset("/hook")
    assert alerts.alerts_process_pending().processed == 0  # still leased to the dead run
    assert leased.claimed_until is not None
    after_lease = leased.claimed_until + timedelta(seconds=1)
    report = alerts.alerts_process_pending(now=after_lease)

    assert (report.processed, report.outcomes["sent"]) == (1, 1)
    assert Alert.objects.get(id=alert.id).status == AlertStatus.SENT
    assert len(receiver.requests("/hook")) == 2  # the one in flight, and the retry
