"""Alert delivery against real PostgreSQL, a real loopback HTTP receiver and Django's locmem
e-mail backend: immediate sends, any-success, bounded retries, digests and concurrency."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from hunter.testing.http_receiver import HttpReceiver
from leads.choices import AlertFrequency, AlertStatus, AlertType, NotificationMethod
from leads.models import Alert, AlertConfig
from leads.services import alerts as alerts_module
from leads.services.alerts import (
    AlertOutcome,
    AlertReport,
    alerts_process_pending,
    alerts_send_digest,
)
from leads.tests.factories import AlertConfigFactory, AlertFactory, CompanyFactory, UserFactory

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MX_MESSAGE = "MX root changed from yandex.net to outlook.com"

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as server:
        yield server


@pytest.fixture(autouse=True)
def alert_settings(settings: Any) -> Any:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "hunter@partner.example"
    settings.HUNTER_ALERT_MAX_ATTEMPTS = 3
    settings.HUNTER_ALERT_RETRY_DELAY = 300
    settings.HUNTER_ALERT_WEBHOOK_TIMEOUT = 5.0
    return settings


def mx_alert(domain: str = "contoso.com.tr", **fields: Any) -> Alert:
    company = CompanyFactory.create(domain=domain)
    return AlertFactory.create(company=company, alert_message=MX_MESSAGE, **fields)


def webhook_config(url: str, **fields: Any) -> AlertConfig:
    fields.setdefault("notification_method", NotificationMethod.WEBHOOK)
    return AlertConfigFactory.create(webhook_url=url, email_address="", **fields)


def refreshed(alert: Alert) -> Alert:
    alert.refresh_from_db()
    return alert


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The SQL sent, without the savepoints of the test's own transaction."""
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def outcomes(report: AlertReport) -> dict[str, int]:
    return {name: count for name, count in report.outcomes.items() if count}


# --- immediate delivery ----------------------------------------------------------------------


def test_webhook_receives_the_alert_as_json_and_the_alert_is_marked_sent(
    receiver: HttpReceiver,
) -> None:
    alert = mx_alert(created_at=NOW - timedelta(minutes=3))
    webhook_config(receiver.url("/hook"))

    report = alerts_process_pending(now=NOW)

    (request,) = receiver.requests("/hook")
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "alert_id": alert.id,
        "domain": "contoso.com.tr",
        "alert_type": "mx_changed",
        "message": MX_MESSAGE,
        "created_at": "2026-03-02T08:57:00+00:00",
    }
    alert = refreshed(alert)
    assert (alert.status, alert.notification_method, alert.sent_at) == ("sent", "webhook", NOW)
    assert (alert.attempts, alert.error, alert.digest_due) == (0, "", False)
    assert outcomes(report) == {"sent": 1}


def test_a_webhook_answering_500_fails_the_alert_and_schedules_a_retry(
    receiver: HttpReceiver,
) -> None:
    alert = mx_alert()
    webhook_config(receiver.url("/hook"))
    receiver.set_status("/hook", 500)

    report = alerts_process_pending(now=NOW)

    alert = refreshed(alert)
    assert (alert.status, alert.error, alert.attempts) == ("failed", "webhook: HTTP 500", 1)
    assert alert.next_attempt_at == NOW + timedelta(seconds=300)
    assert alert.sent_at is None
    assert outcomes(report) == {"retrying": 1}


def test_a_failed_alert_is_retried_when_its_time_comes_and_then_sent(
    receiver: HttpReceiver,
) -> None:
    alert = mx_alert()
    webhook_config(receiver.url("/hook"))
    receiver.set_status("/hook", 500)
    alerts_process_pending(now=NOW)
    receiver.reset("/hook")

    too_early = alerts_process_pending(now=NOW + timedelta(seconds=299))
    due = alerts_process_pending(now=NOW + timedelta(seconds=300))

    assert too_early.processed == 0
    assert outcomes(due) == {"sent": 1}
    assert len(receiver.requests("/hook")) == 2
    alert = refreshed(alert)
    assert (alert.status, alert.notification_method, alert.next_attempt_at) == (
        "sent",
        "webhook",
        None,
    )
    assert alert.sent_at == NOW + timedelta(seconds=300)


def test_retries_back_off_and_stop_after_the_last_allowed_attempt(receiver: HttpReceiver) -> None:
    alert = mx_alert()
    webhook_config(receiver.url("/hook"))
    receiver.set_status("/hook", 503)

    first = alerts_process_pending(now=NOW)
    second_at = refreshed(alert).next_attempt_at
    assert second_at is not None
    alerts_process_pending(now=second_at)
    third_at = refreshed(alert).next_attempt_at
    assert third_at is not None
    last = alerts_process_pending(now=third_at)
    later = alerts_process_pending(now=NOW + timedelta(days=30))

    assert (second_at - NOW, third_at - second_at) == (timedelta(minutes=5), timedelta(minutes=10))
    assert (outcomes(first), outcomes(last), later.processed) == (
        {"retrying": 1},
        {"gave_up": 1},
        0,
    )
    alert = refreshed(alert)
    assert (alert.status, alert.attempts, alert.next_attempt_at) == ("failed", 3, None)
    assert len(receiver.requests("/hook")) == 3


def test_a_silent_receiver_times_out_and_fails_the_alert(
    receiver: HttpReceiver, alert_settings: Any
) -> None:
    alert_settings.HUNTER_ALERT_WEBHOOK_TIMEOUT = 0.3
    alert = mx_alert()
    webhook_config(receiver.url("/hook"))
    receiver.set_silent("/hook")

    alerts_process_pending(now=NOW)

    alert = refreshed(alert)
    assert (alert.status, alert.error, alert.attempts) == ("failed", "webhook: timed out", 1)
    assert len(receiver.requests("/hook")) == 1


def test_a_webhook_url_httpx_cannot_use_fails_the_alert_instead_of_raising() -> None:
    alert = mx_alert()
    webhook_config("ftp://files.example/hook")

    alerts_process_pending(now=NOW)

    alert = refreshed(alert)
    assert (alert.status, alert.error) == ("failed", "webhook: refused, not an http(s) URL")


def test_an_alert_is_sent_when_any_channel_succeeded_and_names_the_first_that_did(
    receiver: HttpReceiver,
) -> None:
    alert = mx_alert()
    webhook_config(receiver.url("/slack"), notification_method=NotificationMethod.SLACK)
    webhook_config(receiver.url("/hook"))
    AlertConfigFactory.create(email_address="ayse@partner.example")
    receiver.set_status("/slack", 500)

    alerts_process_pending(now=NOW)

    alert = refreshed(alert)
    assert (alert.status, alert.notification_method) == ("sent", "webhook")
    assert alert.error == "slack: HTTP 500"
    assert len(receiver.requests("/hook")) == 1
    assert len(mail.outbox) == 1


def test_every_channel_failing_fails_the_alert_with_all_their_errors(
    receiver: HttpReceiver,
) -> None:
    alert = mx_alert()
    webhook_config(receiver.url("/hook"))
    webhook_config(receiver.url("/slack"), notification_method=NotificationMethod.SLACK)
    receiver.set_status("/hook", 404)
    receiver.set_status("/slack", 500)

    alerts_process_pending(now=NOW)

    alert = refreshed(alert)
    assert (alert.status, alert.error) == ("failed", "webhook: HTTP 404; slack: HTTP 500")


def test_an_alert_nobody_configured_is_marked_sent_with_nothing_to_send() -> None:
    alert = mx_alert()
    AlertConfigFactory.create(alert_type=AlertType.EXPIRE_SOON)  # another type does not count

    report = alerts_process_pending(now=NOW)

    alert = refreshed(alert)
    assert (alert.status, alert.notification_method, alert.sent_at) == ("sent", "", NOW)
    assert outcomes(report) == {"nothing_to_send": 1}
    assert mail.outbox == []


def test_a_disabled_config_is_ignored(receiver: HttpReceiver) -> None:
    alert = mx_alert()
    webhook_config(receiver.url("/hook"), enabled=False)

    report = alerts_process_pending(now=NOW)

    assert receiver.requests() == []
    assert outcomes(report) == {"nothing_to_send": 1}
    assert refreshed(alert).notification_method == ""


def test_slack_receives_the_alert_as_incoming_webhook_text(receiver: HttpReceiver) -> None:
    alert = mx_alert()
    webhook_config(receiver.url("/slack"), notification_method=NotificationMethod.SLACK)

    alerts_process_pending(now=NOW)

    (request,) = receiver.requests("/slack")
    assert request.json() == {"text": f"contoso.com.tr: {MX_MESSAGE}"}
    assert refreshed(alert).notification_method == "slack"


def test_email_goes_to_the_configured_address_from_the_default_sender() -> None:
    alert = mx_alert()
    user = UserFactory.create(email="account@partner.example")
    AlertConfigFactory.create(user=user, email_address="alerts@partner.example")

    alerts_process_pending(now=NOW)

    (message,) = mail.outbox
    assert message.to == ["alerts@partner.example"]
    assert message.from_email == "hunter@partner.example"
    assert message.subject == f"[Hunter] contoso.com.tr: {MX_MESSAGE}"
    assert message.body == f"contoso.com.tr: {MX_MESSAGE}"
    assert refreshed(alert).notification_method == "email"


def closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_smtp_server_fails_the_alert_without_naming_the_address(
    alert_settings: Any,
) -> None:
    alert_settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    alert_settings.EMAIL_HOST = "127.0.0.1"
    alert_settings.EMAIL_PORT = closed_loopback_port()
    alert = mx_alert()
    AlertConfigFactory.create(email_address="ayse@partner.example")

    alerts_process_pending(now=NOW)

    alert = refreshed(alert)
    assert (alert.status, alert.error) == ("failed", "email: ConnectionRefusedError")


def test_every_user_who_asked_is_told_and_a_shared_webhook_gets_one_copy(
    receiver: HttpReceiver,
) -> None:
    mx_alert()
    webhook_config(receiver.url("/sales"))
    webhook_config(receiver.url("/sales"))  # a second user with the same team webhook
    webhook_config(receiver.url("/ops"))

    report = alerts_process_pending(now=NOW)

    assert Counter(request.path for request in receiver.requests()) == {"/sales": 1, "/ops": 1}
    assert report.messages == 2


def test_sent_and_given_up_alerts_are_never_processed_again(receiver: HttpReceiver) -> None:
    mx_alert("sent.com", status=AlertStatus.SENT)
    mx_alert("gaveup.com", status=AlertStatus.FAILED, attempts=3, next_attempt_at=None)
    webhook_config(receiver.url("/hook"))

    report = alerts_process_pending(now=NOW)

    assert report.processed == 0
    assert receiver.requests() == []


def test_a_batch_handles_at_most_limit_alerts_oldest_first(receiver: HttpReceiver) -> None:
    alerts = [mx_alert(f"company{n}.com") for n in range(5)]
    webhook_config(receiver.url("/hook"))

    first = alerts_process_pending(now=NOW, limit=2)
    rest = alerts_process_pending(now=NOW, limit=2, max_batches=5)

    assert (first.processed, rest.processed) == (2, 3)
    received = [request.json()["alert_id"] for request in receiver.requests()]
    assert received == [alert.id for alert in alerts]


def test_a_batch_costs_three_queries_and_one_outcome_write_per_alert(
    receiver: HttpReceiver,
) -> None:
    webhook_config(receiver.url("/hook"))
    AlertConfigFactory.create(email_address="ayse@partner.example")
    for n in range(2):
        mx_alert(f"small{n}.com")
    with CaptureQueriesContext(connection) as small:
        alerts_process_pending(now=NOW)
    for n in range(12):
        mx_alert(f"large{n}.com")

    with CaptureQueriesContext(connection) as large:
        alerts_process_pending(now=NOW)

    # Lock and lease, configs, then each outcome as soon as it is known (a run killed
    # mid-batch re-sends only the alert in flight): no lookups per alert.
    assert (len(statements(small)), len(statements(large))) == (3 + 2, 3 + 12)
    assert Alert.objects.filter(status=AlertStatus.SENT).count() == 14


# --- digests ---------------------------------------------------------------------------------


def test_an_alert_with_only_digest_configs_waits_for_the_digest(receiver: HttpReceiver) -> None:
    alert = mx_alert()
    webhook_config(receiver.url("/digest"), frequency=AlertFrequency.DAILY_DIGEST)

    first = alerts_process_pending(now=NOW)
    second = alerts_process_pending(now=NOW + timedelta(hours=1))

    assert (outcomes(first), second.processed) == ({"waiting_for_digest": 1}, 0)
    alert = refreshed(alert)
    assert (alert.status, alert.digest_due) == ("pending", True)
    assert receiver.requests() == []


def test_the_digest_sends_one_message_per_config_listing_its_alerts(
    receiver: HttpReceiver,
) -> None:
    alerts = [mx_alert(f"company{n}.com") for n in range(3)]
    webhook_config(receiver.url("/digest"), frequency=AlertFrequency.DAILY_DIGEST)
    AlertConfigFactory.create(
        email_address="ayse@partner.example", frequency=AlertFrequency.DAILY_DIGEST
    )
    alerts_process_pending(now=NOW)

    report = alerts_send_digest(now=NOW + timedelta(hours=5))

    (request,) = receiver.requests("/digest")
    body = request.json()
    assert (body["digest"], body["count"]) == (True, 3)
    assert [item["alert_id"] for item in body["alerts"]] == [alert.id for alert in alerts]
    (message,) = mail.outbox
    assert message.subject == "[Hunter] Daily digest: 3 lead alerts"
    assert message.body.splitlines()[1:] == [f"- company{n}.com: {MX_MESSAGE}" for n in range(3)]
    assert (report.messages, outcomes(report)) == (2, {"sent": 3})
    assert set(Alert.objects.values_list("status", "notification_method", "digest_due")) == {
        ("sent", "webhook", False)
    }
    assert alerts_send_digest(now=NOW + timedelta(days=1)).processed == 0


def test_an_alert_sent_immediately_is_also_in_the_digest_of_digest_users(
    receiver: HttpReceiver,
) -> None:
    alert = mx_alert()
    webhook_config(receiver.url("/now"))
    AlertConfigFactory.create(
        email_address="ayse@partner.example", frequency=AlertFrequency.DAILY_DIGEST
    )

    alerts_process_pending(now=NOW)
    assert (refreshed(alert).status, refreshed(alert).digest_due, mail.outbox) == ("sent", True, [])
    report = alerts_send_digest(now=NOW + timedelta(hours=5))

    assert outcomes(report) == {"digested": 1}
    assert mail.outbox[0].body == f"contoso.com.tr: {MX_MESSAGE}"
    alert = refreshed(alert)
    assert (alert.status, alert.notification_method, alert.sent_at) == ("sent", "webhook", NOW)
    assert alert.digest_due is False


def test_a_failed_digest_is_owed_again_in_the_next_digest(receiver: HttpReceiver) -> None:
    alert = mx_alert()
    webhook_config(
        receiver.url("/slack"),
        notification_method=NotificationMethod.SLACK,
        frequency=AlertFrequency.DAILY_DIGEST,
    )
    alerts_process_pending(now=NOW)
    receiver.set_status("/slack", 500)

    failed = alerts_send_digest(now=NOW)
    receiver.reset("/slack")
    delivered = alerts_send_digest(now=NOW + timedelta(days=1))

    assert (outcomes(failed), outcomes(delivered)) == ({"retrying": 1}, {"sent": 1})
    assert receiver.requests("/slack")[1].json() == {"text": f"contoso.com.tr: {MX_MESSAGE}"}
    alert = refreshed(alert)
    assert (alert.status, alert.notification_method, alert.attempts) == ("sent", "slack", 1)
    assert alert.digest_due is False


def test_a_digest_failing_every_allowed_time_fails_the_waiting_alert(
    receiver: HttpReceiver, alert_settings: Any
) -> None:
    alert_settings.HUNTER_ALERT_MAX_ATTEMPTS = 1
    alert = mx_alert()
    webhook_config(receiver.url("/digest"), frequency=AlertFrequency.DAILY_DIGEST)
    alerts_process_pending(now=NOW)
    receiver.set_status("/digest", 500)

    report = alerts_send_digest(now=NOW)

    alert = refreshed(alert)
    assert outcomes(report) == {"gave_up": 1}
    assert (alert.status, alert.error, alert.digest_due) == ("failed", "webhook: HTTP 500", False)


# --- two workers at once ---------------------------------------------------------------------


def process_in_thread(barrier: threading.Barrier, reports: list[AlertReport]) -> None:
    try:
        barrier.wait()
        reports.append(alerts_process_pending(now=NOW, limit=3, max_batches=20))
    finally:
        connection.close()  # each thread has its own connection; the test database must drop


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_never_deliver_an_alert_twice(receiver: HttpReceiver) -> None:
    alerts = [mx_alert(f"company{n}.com") for n in range(24)]
    webhook_config(receiver.url("/hook"))
    barrier = threading.Barrier(2)
    reports: list[AlertReport] = []
    threads = [
        threading.Thread(target=process_in_thread, args=(barrier, reports)) for _ in range(2)
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    delivered = Counter(request.json()["alert_id"] for request in receiver.requests("/hook"))
    assert delivered == Counter({alert.id: 1 for alert in alerts})
    assert sum(report.processed for report in reports) == 24
    assert Alert.objects.filter(status=AlertStatus.SENT).count() == 24


def test_report_names_every_outcome_for_the_task_result() -> None:
    report = AlertReport()
    report.count(AlertOutcome.SENT)

    assert report.as_dict() == {
        "processed": 1,
        "messages": 0,
        "sent": 1,
        "digested": 0,
        "retrying": 0,
        "gave_up": 0,
        "nothing_to_send": 0,
        "waiting_for_digest": 0,
    }


# --- leases: no transaction across a send, a killed run's alerts come back ---------------------


def open_transactions_elsewhere() -> int:
    """Sessions on the test database, other than ours, with a transaction open."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"
        )
        return int(cursor.fetchone()[0])


def wait_for_requests(receiver: HttpReceiver, path: str, count: int) -> None:
    deadline = time.monotonic() + 30
    while len(receiver.requests(path)) < count:
        assert time.monotonic() < deadline, f"the receiver never got {count} requests"
        time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_while_a_webhook_hangs_no_transaction_is_open_and_the_alert_row_is_not_locked(
    receiver: HttpReceiver, alert_settings: Any
) -> None:
    alert_settings.HUNTER_ALERT_WEBHOOK_TIMEOUT = 5.0
    alert = mx_alert()
    webhook_config(receiver.url("/hook"))
    receiver.set_silent("/hook")
    run = threading.Thread(target=process_in_thread, args=(threading.Barrier(1), []))
    run.start()
    try:
        wait_for_requests(receiver, "/hook", 1)  # the run is now waiting on the receiver

        assert open_transactions_elsewhere() == 0
        with transaction.atomic():  # NOWAIT: raises at once if the run held the row lock
            Alert.objects.select_for_update(nowait=True).get(id=alert.id)
        leased = refreshed(alert)
        assert (leased.status, leased.claim_token is not None) == ("pending", True)
    finally:
        run.join(30)

    alert = refreshed(alert)
    assert (alert.status, alert.claimed_until, alert.claim_token) == ("failed", None, None)


def test_an_alert_leased_by_another_run_is_skipped_until_the_lease_ends(
    receiver: HttpReceiver, settings: Any
) -> None:
    alert = mx_alert()
    webhook_config(receiver.url("/hook"))
    lease_end = NOW + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    # A run leased it and was killed before it could record anything.
    Alert.objects.filter(id=alert.id).update(claimed_until=lease_end, claim_token=uuid.uuid4())

    assert alerts_process_pending(now=NOW).processed == 0
    assert receiver.requests("/hook") == []

    report = alerts_process_pending(now=lease_end + timedelta(seconds=1))

    assert (report.processed, len(receiver.requests("/hook"))) == (1, 1)
    assert (refreshed(alert).status, refreshed(alert).claim_token) == ("sent", None)


def test_a_run_whose_lease_was_taken_over_does_not_overwrite_the_new_runs_outcome(
    receiver: HttpReceiver,
) -> None:
    alert = mx_alert()
    webhook_config(receiver.url("/hook"))
    receiver.set_status("/hook", 500)
    alerts, token = alerts_module._claim(Alert.objects.all(), NOW, 10)
    # Meanwhile the lease ran out, and a newer run took the alert and delivered it.
    Alert.objects.filter(id=alert.id).update(
        status=AlertStatus.SENT, claim_token=uuid.uuid4(), claimed_until=None
    )
    alerts[0].status = AlertStatus.FAILED

    alerts_module._record(alerts, token)

    assert refreshed(alert).status == AlertStatus.SENT
