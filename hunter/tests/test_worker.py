"""A real Celery worker process runs Hunter's tasks against the test database."""

from __future__ import annotations

import uuid

import pytest
import structlog
from celery.result import AsyncResult
from django.db import transaction
from django_celery_results.models import TaskResult

from hunter.request_context import REQUEST_ID_HEADER, attach_request_id
from hunter.tasks import ping
from hunter.testing.celery_worker import CeleryWorkerProcess

RESULT_TIMEOUT = 30


def test_publishing_inside_a_request_puts_its_id_in_the_message_headers() -> None:
    headers: dict[str, object] = {}

    with structlog.contextvars.bound_contextvars(request_id="req-1"):
        attach_request_id(headers=headers)

    assert headers[REQUEST_ID_HEADER] == "req-1"


def test_publishing_outside_a_request_adds_no_header() -> None:
    structlog.contextvars.clear_contextvars()
    headers: dict[str, object] = {}

    attach_request_id(headers=headers)

    assert REQUEST_ID_HEADER not in headers


def test_eager_task_keeps_the_request_id_of_the_code_that_runs_it() -> None:
    with structlog.contextvars.bound_contextvars(request_id="outer"):
        answer = ping.apply().get()
        context_after = structlog.contextvars.get_contextvars()

    assert answer["request_id"] == "outer"
    assert context_after == {"request_id": "outer"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_ping_task_makes_a_round_trip_through_the_worker(
    celery_worker_process: CeleryWorkerProcess,
) -> None:
    result = ping.delay()

    answer = result.get(timeout=RESULT_TIMEOUT)

    assert answer["pong"] == "pong"
    assert TaskResult.objects.get(task_id=result.id).status == "SUCCESS"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_request_id_bound_when_enqueueing_arrives_in_the_task(
    celery_worker_process: CeleryWorkerProcess,
) -> None:
    with structlog.contextvars.bound_contextvars(request_id="abc123"):
        result = ping.delay()

    assert result.get(timeout=RESULT_TIMEOUT)["request_id"] == "abc123"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_task_enqueued_without_request_id_gets_a_fresh_one_in_the_worker(
    celery_worker_process: CeleryWorkerProcess,
) -> None:
    structlog.contextvars.clear_contextvars()

    first = ping.delay().get(timeout=RESULT_TIMEOUT)["request_id"]
    second = ping.delay().get(timeout=RESULT_TIMEOUT)["request_id"]

    assert first
    assert second
    assert first != second


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_task_enqueued_on_commit_of_a_rolled_back_transaction_never_runs(
    celery_worker_process: CeleryWorkerProcess,
) -> None:
    doomed_id = str(uuid.uuid4())
    with transaction.atomic():
        transaction.on_commit(lambda: ping.apply_async(task_id=doomed_id))
        transaction.set_rollback(True)

    # The worker runs one task at a time in queue order: once a later task is done,
    # the doomed one would have run too had it ever been sent.
    ping.delay().get(timeout=RESULT_TIMEOUT)

    assert not TaskResult.objects.filter(task_id=doomed_id).exists()
    assert AsyncResult(doomed_id).state == "PENDING"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_task_enqueued_on_commit_of_a_committed_transaction_runs(
    celery_worker_process: CeleryWorkerProcess,
) -> None:
    sent: list[str] = []
    with transaction.atomic():
        transaction.on_commit(lambda: sent.append(ping.delay().id))
        assert sent == []

    assert AsyncResult(sent[0]).get(timeout=RESULT_TIMEOUT)["pong"] == "pong"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_can_be_killed_and_restarted(celery_worker_process: CeleryWorkerProcess) -> None:
    first_pid = celery_worker_process.pid

    exit_code = celery_worker_process.kill()
    celery_worker_process.restart()

    assert exit_code == -9
    assert celery_worker_process.pid != first_pid
    assert ping.delay().get(timeout=RESULT_TIMEOUT)["pong"] == "pong"
