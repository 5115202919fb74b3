"""Ingest, scan and job endpoints: status codes, shapes, and nothing written on rejection."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.db import connection
from rest_framework.test import APIClient

from hunter.api.models import APIKey
from hunter.testing.celery_worker import CeleryWorkerProcess
from hunter.testing.dns_server import DnsServer
from leads.models import Company, RawLead
from leads.tests.factories import CompanyFactory, DomainSignalsFactory, LeadScoreFactory
from scanning.models import JobKind, JobStatus, OutcomeStatus, ScanJob, ScanOutcome
from scanning.services import jobs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_waiting(settings: Any) -> None:
    # Jobs enqueue on commit, which a test transaction never reaches: answer at once.
    settings.HUNTER_API_SCAN_WAIT_SECONDS = 0


def test_ingest_domain_is_201_and_idempotent(key_client: APIClient) -> None:
    first = key_client.post("/ingest/domain", {"domain": "https://www.Acme.com/x"}, format="json")
    again = key_client.post("/api/v1/ingest/domain", {"domain": "acme.com"}, format="json")
    assert first.status_code == 201
    assert set(first.json()) == {"domain", "company_id", "message"}
    assert first.json()["domain"] == "acme.com"
    assert again.json()["company_id"] == first.json()["company_id"]
    assert RawLead.objects.filter(domain="acme.com").count() == 2


def test_ingest_of_an_invalid_domain_is_400_with_the_reason_and_writes_nothing(
    key_client: APIClient,
) -> None:
    response = key_client.post("/ingest/domain", {"domain": "not a domain"}, format="json")
    assert response.status_code == 400
    assert response.json()["reason"]
    assert not Company.objects.exists()
    assert not RawLead.objects.exists()


def _upload(client: APIClient, path: str, content: bytes, name: str = "leads.csv") -> Any:
    file = io.BytesIO(content)
    file.name = name
    return client.post(path, {"file": file}, format="multipart")


def test_csv_upload_imports_rows_and_on_the_legacy_path_starts_a_scan_job(
    key_client: APIClient,
) -> None:
    response = _upload(
        key_client, "/ingest/csv", b"domain,company_name\nacme.com,Acme\nbad domain,X\n"
    )
    body = response.json()
    assert response.status_code == 202
    assert (body["ingested"], body["scanned"], body["total_rows"]) == (1, 1, 2)
    assert len(body["errors"]) == 1
    assert ScanJob.objects.get(public_id=body["scan_job_id"]).kind == JobKind.SCAN


def test_csv_upload_on_v1_does_not_scan_unless_asked(key_client: APIClient) -> None:
    body = _upload(key_client, "/api/v1/ingest/csv", b"domain\nacme.com\n").json()
    asked = _upload(key_client, "/api/v1/ingest/csv?auto_scan=true", b"domain\nb.com\n").json()
    assert body["scan_job_id"] is None
    assert asked["scanned"] == 1


def test_an_upload_without_a_domain_column_is_400(key_client: APIClient) -> None:
    response = _upload(key_client, "/ingest/csv", b"name,city\nAcme,Izmir\n")
    assert response.status_code == 400
    assert "file" in response.json()
    assert not Company.objects.exists()


def test_an_upload_over_the_size_limit_is_413(key_client: APIClient, settings: Any) -> None:
    settings.HUNTER_UPLOAD_MAX_BYTES = 1024
    response = _upload(key_client, "/ingest/csv", b"domain\n" + b"acme.com\n" * 200)
    assert response.status_code == 413
    assert not Company.objects.exists()


def test_webhook_needs_an_api_key_even_for_staff(staff_client: APIClient) -> None:
    response = staff_client.post("/ingest/webhook", {"domain": "acme.com"}, format="json")
    assert response.status_code == 403


def test_webhook_ingests_and_enriches(key_client: APIClient) -> None:
    body = {"domain": "acme.com", "contact_emails": ["ali.veli@acme.com"]}
    response = key_client.post("/ingest/webhook", body, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "success"
    assert response.json()["enriched"] is True


def test_webhook_drops_blank_contact_emails_instead_of_refusing_the_lead(
    key_client: APIClient,
) -> None:
    body = {"domain": "acme.com", "contact_emails": ["", "  ", "ali.veli@acme.com"]}
    response = key_client.post("/ingest/webhook", body, format="json")
    assert response.status_code == 201
    assert Company.objects.get(domain="acme.com").contact_emails == ["ali.veli@acme.com"]


@contextmanager
def _companies_locked_elsewhere() -> Iterator[None]:
    """Another connection holds the company table; this one gives up waiting after 200 ms."""
    params = connection.settings_dict
    with psycopg.connect(
        dbname=params["NAME"], user=params["USER"], host=params["HOST"], port=params["PORT"]
    ) as other:
        other.execute("LOCK TABLE leads_company IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")


@pytest.mark.django_db(transaction=True)
def test_webhook_while_the_database_cannot_answer_is_503_and_stores_nothing(
    key_client: APIClient,
) -> None:
    body = {"domain": "acme.com", "contact_emails": ["a@acme.com"]}
    with _companies_locked_elsewhere():
        response = key_client.post(
            "/ingest/webhook", body, format="json", headers={"Accept-Language": "en"}
        )
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "Try again" in response.json()["detail"]
    assert not Company.objects.filter(domain="acme.com").exists()
    assert not RawLead.objects.exists()
    again = key_client.post("/ingest/webhook", body, format="json")  # the client retries
    assert again.status_code == 201


def test_webhook_with_an_invalid_domain_is_400(key_client: APIClient) -> None:
    response = key_client.post("/ingest/webhook", {"domain": "x"}, format="json")
    assert response.status_code == 400


def test_scanning_a_domain_never_ingested_is_404(key_client: APIClient) -> None:
    response = key_client.post("/scan/domain", {"domain": "acme.com"}, format="json")
    assert response.status_code == 404
    assert not ScanJob.objects.exists()


def test_a_scan_not_finished_in_time_answers_202_with_the_job(key_client: APIClient) -> None:
    CompanyFactory.create(domain="acme.com")
    response = key_client.post("/scan/domain", {"domain": "acme.com"}, format="json")
    assert response.status_code == 202
    assert ScanJob.objects.get(public_id=response.json()["job_id"]).total == 1


def test_bulk_scan_refuses_domains_not_ingested_and_starts_nothing(key_client: APIClient) -> None:
    CompanyFactory.create(domain="acme.com")
    body = {"domain_list": ["acme.com", "missing.com"]}
    response = key_client.post("/scan/bulk", body, format="json")
    assert response.status_code == 400
    assert "missing.com" in response.json()["domain_list"][0]
    assert not ScanJob.objects.exists()


def test_bulk_scan_of_only_invalid_entries_is_400(key_client: APIClient) -> None:
    response = key_client.post("/scan/bulk", {"domain_list": ["??", ""]}, format="json")
    assert response.status_code == 400


def test_bulk_scan_over_1000_entries_is_400(key_client: APIClient) -> None:
    response = key_client.post("/scan/bulk", {"domain_list": ["a.com"] * 1001}, format="json")
    assert response.status_code == 400


def test_bulk_scan_starts_a_job(key_client: APIClient) -> None:
    CompanyFactory.create(domain="acme.com")
    response = key_client.post("/api/v1/scan/bulk", {"domain_list": ["acme.com"]}, format="json")
    assert response.status_code == 200
    assert set(response.json()) >= {"job_id", "message", "total"}


def test_bulk_rescan_is_not_shadowed_by_the_domain_rescan_route(key_client: APIClient) -> None:
    for prefix in ("", "/api/v1"):
        response = key_client.post(f"{prefix}/scan/bulk/rescan?domain_list=a.com,b.com")
        assert response.status_code == 200
        assert response.json()["total"] == 2
    assert set(ScanJob.objects.values_list("kind", flat=True)) == {JobKind.RESCAN}


def test_bulk_rescan_without_domains_is_400(key_client: APIClient) -> None:
    assert key_client.post("/scan/bulk/rescan").status_code == 400
    assert key_client.post("/scan/bulk/rescan?domain_list=,,").status_code == 400


def _finished_job(domain: str) -> ScanJob:
    company = CompanyFactory.create(domain=domain)
    DomainSignalsFactory.create(company=company)
    LeadScoreFactory.create(company=company)
    job = jobs.scan_job_start(domains=[domain, "failed.com"], enqueue=False)
    ScanOutcome.objects.create(
        job=job, chunk_number=1, domain=domain, status=OutcomeStatus.COMMITTED
    )
    ScanOutcome.objects.create(
        job=job, chunk_number=1, domain="failed.com", status=OutcomeStatus.FAILED, error="timeout"
    )
    ScanJob.objects.filter(pk=job.pk).update(
        status=JobStatus.COMPLETED, processed=2, succeeded=1, failed=1
    )
    return ScanJob.objects.get(pk=job.pk)


def test_bulk_job_status_results_and_job_read_the_job_rows(key_client: APIClient) -> None:
    job = _finished_job("acme.com")
    status = key_client.get(f"/scan/bulk/{job.public_id}").json()
    results = key_client.get(f"/api/v1/scan/bulk/{job.public_id}/results").json()
    detail = key_client.get(f"/jobs/{job.public_id}").json()
    assert (status["progress"], status["succeeded"], status["failed"]) == (100, 1, 1)
    assert status["errors"][0]["domain"] == "failed.com"
    assert [r["domain"] for r in results["results"]] == ["acme.com"]
    assert results["results"][0]["score"] == 85
    assert detail["progress_percent"] == 100.0
    assert detail["successful"] == 1
    assert detail["errors"] == ["failed.com: timeout"]


def test_results_of_an_unfinished_job_are_400_and_an_unknown_job_404(key_client: APIClient) -> None:
    CompanyFactory.create(domain="acme.com")
    job = jobs.scan_job_start(domains=["acme.com"], enqueue=False)
    assert key_client.get(f"/scan/bulk/{job.public_id}/results").status_code == 400
    assert key_client.get(f"/jobs/{uuid.uuid4()}").status_code == 404
    assert key_client.get("/jobs/not-a-uuid").status_code == 404


def test_email_generate_lists_the_nine_generic_mailboxes(key_client: APIClient) -> None:
    body = key_client.post("/email/generate", {"domain": " Acme.com "}, format="json").json()
    assert body["domain"] == "acme.com"
    assert len(body["emails"]) == 9
    assert body["emails"] == sorted(body["emails"])


def test_email_validation_reads_mx_from_the_last_scan_and_never_probes_smtp(
    key_client: APIClient,
) -> None:
    company = CompanyFactory.create(domain="acme.com")
    DomainSignalsFactory.create(company=company)
    body = {"domain": "acme.com", "use_smtp": True}
    emails = key_client.post("/api/v1/email/generate-and-validate", body, format="json").json()
    unknown = key_client.post("/email/generate-and-validate", {"domain": "new.com"}, format="json")
    assert {e["status"] for e in emails["emails"]} == {"valid"}
    assert {e["checks"]["smtp"] for e in emails["emails"]} == {"skipped"}
    assert {e["status"] for e in unknown.json()["emails"]} == {"unknown"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_single_scan_waits_for_the_worker_and_answers_the_result(
    app_dns_server: DnsServer,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    request: pytest.FixtureRequest,
    key_client: APIClient,
) -> None:
    monkeypatch.setenv("HUNTER_REGISTRATION_ENABLED", "false")
    settings.HUNTER_API_SCAN_WAIT_SECONDS = 60
    worker: CeleryWorkerProcess = request.getfixturevalue("celery_worker_process")
    assert worker is not None  # started after the environment points it at the test DNS
    key_client.post("/ingest/domain", {"domain": "contoso.com"}, format="json")
    response = key_client.post("/scan/domain", {"domain": "contoso.com"}, format="json")
    rescan = key_client.post("/api/v1/scan/contoso.com/rescan")
    assert response.status_code == 200
    assert response.json()["provider"] == "M365"
    assert response.json()["scan_status"] == "success"
    assert rescan.status_code == 200
    assert rescan.json()["success"] is True
    assert rescan.json()["changes_detected"] is False


def test_webhook_records_the_key_id_and_name_with_the_raw_lead(
    api_key: tuple[APIKey, str], key_client: APIClient
) -> None:
    key_client.post("/ingest/webhook", {"domain": "acme.com"}, format="json")
    payload = RawLead.objects.get(domain="acme.com").payload
    assert payload["api_key_id"] == api_key[0].prefix
    assert payload["api_key_name"] == "integrator"
    assert api_key[0].hashed_key not in str(payload)
