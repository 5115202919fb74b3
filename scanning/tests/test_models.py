"""Scan job rows: progress arithmetic and the constraints that make chunk retries idempotent."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from leads.tests.factories import UserFactory
from scanning import models
from scanning.tests.factories import ScanChunkFactory, ScanJobFactory, ScanOutcomeFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "total", "processed", "percent"),
    [
        ("pending", 0, 0, 0),
        ("running", 200, 0, 0),
        ("running", 200, 50, 25),
        ("running", 3, 2, 66),
        ("running", 10, 12, 100),
        ("completed", 10, 10, 100),
        ("completed", 0, 0, 100),
        ("failed", 0, 0, 100),
    ],
)
def test_progress_percent_is_processed_share_clamped_to_100(
    status: str, total: int, processed: int, percent: int
) -> None:
    job = models.ScanJob(status=status, total=total, processed=processed)
    assert job.progress_percent == percent


def test_only_completed_or_failed_jobs_are_finished() -> None:
    assert not models.ScanJob(status=models.JobStatus.RUNNING).is_finished
    assert models.ScanJob(status=models.JobStatus.FAILED).is_finished


def test_counters_can_be_incremented_atomically_with_f_expressions() -> None:
    job = ScanJobFactory.create(processed=0, succeeded=0, failed=0)
    for _chunk in range(3):
        models.ScanJob.objects.filter(pk=job.pk).update(
            processed=F("processed") + 50, succeeded=F("succeeded") + 49, failed=F("failed") + 1
        )
    job.refresh_from_db()
    assert (job.processed, job.succeeded, job.failed) == (150, 147, 3)


def test_each_job_gets_its_own_public_id() -> None:
    assert ScanJobFactory.create().public_id != ScanJobFactory.create().public_id


def test_redelivered_outcomes_of_the_same_attempt_are_logged_once() -> None:
    job = ScanJobFactory.create()
    for _delivery in range(2):
        outcome = models.ScanOutcome(
            job=job, chunk_number=1, domain="a.com", attempt=1, status="failed", error="timeout"
        )
        models.ScanOutcome.objects.bulk_create([outcome], ignore_conflicts=True)
    assert job.outcomes.count() == 1


def test_a_retry_attempt_logs_beside_the_earlier_failure() -> None:
    failure = ScanOutcomeFactory.create(
        domain="a.com", attempt=1, status="failed", error="deadlock"
    )
    ScanOutcomeFactory.create(job=failure.job, domain="a.com", attempt=2, status="committed")
    assert list(failure.job.outcomes.values_list("attempt", "status")) == [
        (1, "failed"),
        (2, "committed"),
    ]


def test_second_chunk_with_the_same_number_is_rejected() -> None:
    chunk = ScanChunkFactory.create(number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScanChunkFactory.create(job=chunk.job, number=1)


def test_deleting_a_job_removes_its_chunks_and_outcomes() -> None:
    chunk = ScanChunkFactory.create()
    ScanOutcomeFactory.create(job=chunk.job)
    chunk.job.delete()
    assert not models.ScanChunk.objects.exists()
    assert not models.ScanOutcome.objects.exists()


def test_deleting_the_creator_keeps_the_job() -> None:
    creator = UserFactory.create()
    job = ScanJobFactory.create(created_by=creator)
    creator.delete()
    job.refresh_from_db()
    assert job.created_by is None


@pytest.mark.parametrize("factory", [ScanJobFactory, ScanChunkFactory, ScanOutcomeFactory])
def test_factories_build_rows_that_pass_model_validation(factory: Any) -> None:
    row = factory()
    row.full_clean()
    assert type(row)._default_manager.filter(pk=row.pk).exists()
