"""Scan job admin: progress and failures on the job page, N+1-free lists, read-only rows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db.models import Model
from django.test import Client

from hunter.testing.admin import admin_url, changelist_query_count
from scanning import models
from scanning.tests.factories import ScanChunkFactory, ScanJobFactory, ScanOutcomeFactory

pytestmark = pytest.mark.django_db

ROW_BUILDERS: dict[type[Model], Callable[[], Model]] = {
    models.ScanJob: ScanJobFactory.create,
    models.ScanChunk: ScanChunkFactory.create,
    models.ScanOutcome: ScanOutcomeFactory.create,
}


@pytest.mark.parametrize("model", ROW_BUILDERS, ids=lambda model: model.__name__)
def test_changelist_and_change_page_render_for_a_superuser(
    admin_client: Client, model: type[Model]
) -> None:
    row = ROW_BUILDERS[model]()
    changelist = admin_client.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == 1
    assert admin_client.get(admin_url(model, "change", row.pk)).status_code == 200


@pytest.mark.parametrize("model", ROW_BUILDERS, ids=lambda model: model.__name__)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client: Client, model: type[Model]
) -> None:
    ROW_BUILDERS[model]()
    with_one_row = changelist_query_count(admin_client, model)
    for _ in range(19):
        ROW_BUILDERS[model]()
    assert changelist_query_count(admin_client, model) == with_one_row


@pytest.mark.parametrize("model", ROW_BUILDERS, ids=lambda model: model.__name__)
def test_job_rows_cannot_be_added_changed_or_deleted_in_admin(
    admin_client: Client, model: type[Model]
) -> None:
    row = ROW_BUILDERS[model]()
    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.post(admin_url(model, "change", row.pk), {}).status_code == 403
    assert admin_client.post(admin_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=row.pk).exists()


def test_job_page_shows_progress_and_only_the_failed_domains(admin_client: Client) -> None:
    job = ScanJobFactory.create(total=200, processed=50)
    ScanOutcomeFactory.create(
        job=job, domain="broken.com.tr", status="failed", error="SERVFAIL twice"
    )
    ScanOutcomeFactory.create(
        job=job, domain="poisoned.com", status="set_aside", error="deadlock x3"
    )
    ScanOutcomeFactory.create(job=job, domain="fine.com", status="committed")
    ScanChunkFactory.create(
        job=job, number=7, status="set_aside", attempts=3, last_error="deadlock"
    )
    page = admin_client.get(admin_url(models.ScanJob, "change", job.pk)).content.decode()
    assert '<progress max="100" value="25"' in page
    assert "broken.com.tr" in page
    assert "SERVFAIL twice" in page
    assert "poisoned.com" in page
    assert "fine.com" not in page
    assert "deadlock" in page


def test_job_list_shows_progress_percent(admin_client: Client) -> None:
    ScanJobFactory.create(total=4, processed=3)
    page = admin_client.get(admin_url(models.ScanJob, "changelist")).content.decode()
    assert "75%" in page


def test_outcomes_can_be_searched_by_domain(admin_client: Client) -> None:
    ScanOutcomeFactory.create(domain="needle.com")
    ScanOutcomeFactory.create(domain="hay.com")
    response = admin_client.get(admin_url(models.ScanOutcome, "changelist"), {"q": "needle"})
    assert [row.domain for row in response.context["cl"].result_list] == ["needle.com"]


def test_jobs_can_be_searched_by_public_id(admin_client: Client) -> None:
    wanted = ScanJobFactory.create()
    ScanJobFactory.create()
    response = admin_client.get(
        admin_url(models.ScanJob, "changelist"), {"q": str(wanted.public_id)}
    )
    assert [job.pk for job in response.context["cl"].result_list] == [wanted.pk]


def test_job_page_shows_its_chunks_and_failures_a_page_at_a_time(admin_client: Client) -> None:
    job = ScanJobFactory.create(total=6000, processed=6000)
    models.ScanChunk.objects.bulk_create(
        models.ScanChunk(job=job, number=n, status="committed") for n in range(1, 121)
    )
    models.ScanOutcome.objects.bulk_create(
        models.ScanOutcome(job=job, chunk_number=1, domain=f"bad{n:03}.com", status="failed")
        for n in range(120)
    )
    url = admin_url(models.ScanJob, "change", job.pk)

    first = admin_client.get(url).content.decode()
    third = admin_client.get(f"{url}?chunks-page=3&failures-page=3").content.decode()

    assert "bad000.com" in first
    assert "bad050.com" not in first  # past the first page of failures
    assert "bad100.com" in third
    assert "bad000.com" not in third
    assert "chunks-page=2" in first  # a link on to the next page of chunks
