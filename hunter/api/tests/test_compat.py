"""Old clients keep working: every legacy route answers the documented status and fields,
and every route answers the same through both trees, legacy with deprecation headers."""

from __future__ import annotations

import uuid
from io import BytesIO
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver
from rest_framework.test import APIClient

from hunter.api.urls import urlpatterns as api_urlpatterns
from leads.tests.factories import (
    AlertFactory,
    CompanyFactory,
    DomainSignalsFactory,
    LeadScoreFactory,
    NoteFactory,
    TagFactory,
)
from scanning.models import JobStatus, ScanJob
from scanning.services import jobs

pytestmark = pytest.mark.django_db

LEAD_FIELDS = {
    "company_id", "canonical_name", "domain", "provider", "tenant_size", "local_provider",
    "country", "contact_emails", "contact_quality_score", "linkedin_pattern", "spf", "dkim",
    "dmarc_policy", "dmarc_coverage", "mx_root", "registrar", "expires_at", "nameservers",
    "scan_status", "scanned_at", "readiness_score", "segment", "reason", "priority_score",
    "technical_heat", "commercial_segment", "commercial_heat", "priority_category",
    "priority_label", "infrastructure_summary",
}  # fmt: skip
SCAN_RESULT_FIELDS = {
    "domain", "score", "segment", "reason", "provider", "local_provider", "tenant_size",
    "mx_root", "spf", "dkim", "dmarc_policy", "dmarc_coverage", "scan_status",
}  # fmt: skip
GONE = {"detail"}


@pytest.fixture
def world(db: None, settings: Any) -> dict[str, Any]:
    """One scanned lead with notes, tags and alerts, and a finished bulk job."""
    settings.HUNTER_API_SCAN_WAIT_SECONDS = 0
    company = CompanyFactory.create(domain="acme.com", contact_emails=["ali@acme.com"])
    DomainSignalsFactory.create(company=company)
    LeadScoreFactory.create(company=company)
    NoteFactory.create(company=company)
    TagFactory.create(company=company)
    AlertFactory.create(company=company)
    job = jobs.scan_job_start(domains=["acme.com"], enqueue=False)
    ScanJob.objects.filter(pk=job.pk).update(status=JobStatus.COMPLETED, processed=1, succeeded=1)
    return {"job": job.public_id}


def _keys(body: Any) -> set[str]:
    item = body[0] if isinstance(body, list) and body else body
    return set(item) if isinstance(item, dict) else set()


# (method, legacy path, JSON body, documented status, documented top-level fields).
CONTRACT: list[tuple[str, str, Any, int, set[str]]] = [
    ("post", "/ingest/domain", {"domain": "new.com"}, 201, {"domain", "company_id", "message"}),
    ("post", "/ingest/webhook", {"domain": "hook.com"}, 201,
     {"status", "domain", "ingested", "enriched", "message"}),
    ("post", "/scan/domain", {"domain": "acme.com"}, 202, {"job_id", "status", "total", "message"}),
    ("post", "/scan/bulk", {"domain_list": ["acme.com"]}, 200, {"job_id", "message", "total"}),
    ("get", "/scan/bulk/{job}", None, 200,
     {"job_id", "status", "progress", "total", "processed", "succeeded", "failed", "errors"}),
    ("get", "/scan/bulk/{job}/results", None, 200,
     {"job_id", "total", "succeeded", "failed", "results"}),
    ("post", "/scan/acme.com/rescan", None, 202, {"job_id", "status", "total", "message"}),
    ("post", "/scan/bulk/rescan?domain_list=acme.com", None, 200,
     {"job_id", "status", "total", "message"}),
    ("get", "/leads", None, 200, {"leads", "total", "page", "page_size", "total_pages"}),
    ("get", "/leads/acme.com", None, 200, LEAD_FIELDS),
    ("post", "/leads/acme.com/enrich", {"contact_emails": ["a@acme.com"]}, 200,
     {"domain", "contact_emails", "contact_quality_score", "linkedin_pattern", "message"}),
    ("get", "/leads/acme.com/score-breakdown", None, 200,
     {"base_score", "provider", "signal_points", "risk_points", "total_score", "tenant_size",
      "local_provider", "dmarc_coverage", "dmarc_policy", "ip_enrichment", "technical_heat",
      "commercial_segment", "commercial_heat", "priority_category", "priority_label"}),
    ("get", "/leads/acme.com/sales-summary", None, 200,
     {"domain", "one_liner", "segment_explanation", "provider_reasoning", "security_reasoning",
      "call_script", "discovery_questions", "offer_tier", "opportunity_potential",
      "opportunity_rationale", "urgency", "next_step", "metadata"}),
    ("get", "/leads/acme.com/notes", None, 200,
     {"id", "domain", "note", "created_at", "updated_at"}),
    ("post", "/leads/acme.com/notes", {"note": "x"}, 410, GONE),
    ("put", "/leads/acme.com/notes/1", {"note": "x"}, 410, GONE),
    ("delete", "/leads/acme.com/notes/1", None, 410, GONE),
    ("get", "/leads/acme.com/tags", None, 200, {"id", "domain", "tag", "created_at"}),
    ("post", "/leads/acme.com/tags", {"tag": "x"}, 410, GONE),
    ("delete", "/leads/acme.com/tags/1", None, 410, GONE),
    ("post", "/leads/acme.com/favorite", None, 410, GONE),
    ("delete", "/leads/acme.com/favorite", None, 410, GONE),
    ("get", "/dashboard", None, 200,
     {"total_leads", "migration", "existing", "cold", "skip", "avg_score", "max_score",
      "high_priority"}),
    ("get", "/dashboard/kpis", None, 200,
     {"total_leads", "migration_leads", "high_priority", "max_score"}),
    ("get", "/jobs/{job}", None, 200,
     {"job_id", "status", "total", "processed", "successful", "failed", "progress_percent",
      "remaining", "errors", "message", "started_at", "completed_at"}),
    ("post", "/email/generate", {"domain": "acme.com"}, 200, {"domain", "emails"}),
    ("post", "/email/generate-and-validate", {"domain": "acme.com"}, 200, {"domain", "emails"}),
    ("get", "/alerts", None, 200,
     {"id", "domain", "alert_type", "alert_message", "status", "notification_method", "sent_at",
      "created_at"}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "status", "fields"), CONTRACT)
def test_each_legacy_route_answers_its_documented_status_and_fields(
    world: dict[str, Any],
    key_client: APIClient,
    method: str,
    path: str,
    body: Any,
    status: int,
    fields: set[str],
) -> None:
    response = getattr(key_client, method)(path.format(**world), body, format="json")
    assert response.status_code == status, response.content
    assert fields <= _keys(response.json())


def test_the_legacy_export_is_a_csv_file(world: dict[str, Any], key_client: APIClient) -> None:
    response = key_client.get("/leads/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_the_legacy_csv_upload_answers_202_with_the_documented_fields(
    world: dict[str, Any], key_client: APIClient
) -> None:
    file = BytesIO(b"domain\nnew.com\n")
    file.name = "x.csv"
    response = key_client.post("/ingest/csv", {"file": file}, format="multipart")
    assert response.status_code == 202
    assert {"job_id", "message", "ingested", "scanned", "total_rows", "errors"} <= set(
        response.json()
    )


def test_the_legacy_summary_pdf_is_a_pdf_download(
    world: dict[str, Any], key_client: APIClient
) -> None:
    response = key_client.get("/leads/acme.com/summary.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="acme.com_summary.pdf"'


def test_alert_config_keeps_its_documented_fields(staff_client: APIClient) -> None:
    body = {"alert_type": "mx_changed", "notification_method": "email", "email_address": "a@b.co"}
    created = staff_client.post("/alerts/config", body, format="json")
    listed = staff_client.get("/alerts/config")
    fields = {
        "id", "user_id", "alert_type", "notification_method", "enabled", "frequency",
        "webhook_url", "email_address", "created_at", "updated_at",
    }  # fmt: skip
    assert created.status_code == 201
    assert set(created.json()) == fields
    assert _keys(listed.json()) == fields


def test_a_scan_result_keeps_its_documented_fields(
    world: dict[str, Any], key_client: APIClient
) -> None:
    body = key_client.get(f"/scan/bulk/{world['job']}/results").json()
    assert body["results"] == [] or set(body["results"][0]) == SCAN_RESULT_FIELDS


def _routes(patterns: list[Any], prefix: str = "") -> list[str]:
    routes = []
    for item in patterns:
        if isinstance(item, URLResolver):
            routes += _routes(item.url_patterns, prefix + str(item.pattern))
        elif isinstance(item, URLPattern):
            routes.append(prefix + str(item.pattern))
    return routes


ROUTES = _routes(api_urlpatterns)
SAMPLE = {
    "<str:domain>": "acme.com", "<int:note_id>": "1", "<int:tag_id>": "1", "<str:key_id>": "nope",
}  # fmt: skip


def _concrete(route: str, job: uuid.UUID) -> str:
    for placeholder, value in {**SAMPLE, "<uuid:job_id>": str(job)}.items():
        route = route.replace(placeholder, value)
    return route


VARYING = {"job_id", "company_id", "updated_at", "generated_at"}


def _comparable(body: Any) -> Any:
    # A new job gets a new id per call, a summary a new time; everything else must match.
    if isinstance(body, dict):
        return {k: _comparable(v) for k, v in body.items() if k not in VARYING}
    return body


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_answers_the_same_in_both_trees(
    world: dict[str, Any], key_client: APIClient, route: str
) -> None:
    path = _concrete(route, world["job"])
    allowed = _allowed(key_client, path)
    method = next((m for m in ("get", "patch") if m.upper() in allowed), "post")
    legacy = getattr(key_client, method)(f"/{path}", {}, format="json")
    current = getattr(key_client, method)(f"/api/v1/{path}", {}, format="json")
    assert legacy.status_code == current.status_code
    if legacy["Content-Type"].startswith("application/json"):
        assert _comparable(legacy.json()) == _comparable(current.json())
    assert legacy["Deprecation"].startswith("@")
    assert legacy["Sunset"].endswith("GMT")
    assert legacy["Link"] == f'</api/v1/{path}>; rel="successor-version"'
    assert "Deprecation" not in current


def _allowed(client: APIClient, path: str) -> str:
    return str(client.options(f"/api/v1/{path}").get("Allow", ""))


def test_the_walk_covers_every_documented_business_path() -> None:
    assert len(ROUTES) >= 24
    assert ROUTES.index("leads/export") < ROUTES.index("leads/<str:domain>")
    assert ROUTES.index("scan/bulk/rescan") < ROUTES.index("scan/<str:domain>/rescan")


def test_the_home_page_and_admin_stay_outside_the_api(client: Any) -> None:
    assert client.get("/").status_code == 302  # the signed-in home page, not JSON
    assert "Deprecation" not in client.get("/admin/login/")


def test_cors_allows_configured_origins_and_the_api_key_header(
    settings: Any, key_client: APIClient
) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    preflight = key_client.options(
        "/api/v1/leads",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-api-key",
    )
    other = key_client.get("/api/v1/leads", HTTP_ORIGIN="https://evil.example.com")
    assert preflight["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "x-api-key" in preflight["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in other


def test_the_successor_link_is_percent_encoded_whatever_the_path(key_client: APIClient) -> None:
    response = key_client.get("/leads/%0D%0Aset-cookie:x")
    assert response.status_code == 400
    assert response["Link"] == '</api/v1/leads/%0D%0Aset-cookie:x>; rel="successor-version"'
