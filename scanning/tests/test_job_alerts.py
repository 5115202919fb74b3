"""A finished scan job hands its alerts to a worker at once, without waiting for beat."""

from __future__ import annotations

import pytest

from hunter.testing.celery_worker import CeleryWorkerProcess
from hunter.testing.http_receiver import HttpReceiver
from leads.choices import AlertStatus
from leads.tests.conftest import loopback_receivers_allowed
from leads.tests.test_alert_tasks import pending_alert_with_webhook, receiver, wait_until_sent
from scanning.models import JobStatus, ScanJob
from scanning.services import jobs

# Fixtures shared with the lead tests: the webhook receiver, and (autouse) the allow-list that
# lets alerts reach it on loopback.
__all__ = ["loopback_receivers_allowed", "receiver"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_finished_scan_job_has_its_alerts_delivered_without_waiting_for_beat(
    receiver: HttpReceiver, celery_worker_process: CeleryWorkerProcess
) -> None:
    alert = pending_alert_with_webhook(receiver)
    job = ScanJob.objects.create(status=JobStatus.RUNNING, total=0)  # no chunks left to run

    finished = jobs.scan_job_finish_if_done(job_id=job.id)

    assert finished is True
    assert wait_until_sent(alert.id).status == AlertStatus.SENT
    assert len(receiver.requests("/hook")) == 1
