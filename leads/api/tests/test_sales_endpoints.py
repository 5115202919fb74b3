"""The sales summary and the PDF account summary over HTTP, in both trees."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from pypdf import PdfReader
from rest_framework.test import APIClient

from leads import models
from leads.tests.factories import CompanyFactory, DomainSignalsFactory, LeadScoreFactory

pytestmark = pytest.mark.django_db

TREES = ["/api/v1", ""]
PDF = "application/pdf"
SUMMARY_FIELDS = {
    "domain", "one_liner", "segment_explanation", "provider_reasoning", "security_reasoning",
    "call_script", "discovery_questions", "offer_tier", "opportunity_potential",
    "opportunity_rationale", "urgency", "next_step", "metadata",
}  # fmt: skip
OFFER_FIELDS = {
    "tier", "license", "price_per_user_per_month", "migration_fee",
    "defender_price_per_user_per_month", "consulting_fee", "recommendation",
}  # fmt: skip
NEXT_STEP_FIELDS = {"action", "timeline", "priority", "message", "internal_note"}
METADATA_FIELDS = {
    "domain", "provider", "segment", "readiness_score", "priority_score", "tenant_size",
    "local_provider", "generated_at",
}  # fmt: skip


def _scanned(domain: str, **company: Any) -> models.Company:
    lead = CompanyFactory.create(domain=domain, tenant_size="large", **company)
    DomainSignalsFactory.create(company=lead, dmarc_policy="")
    LeadScoreFactory.create(company=lead)
    return lead


def _logged(caplog: pytest.LogCaptureFixture, event: str) -> list[dict[str, Any]]:
    lines = [record.msg for record in caplog.records if isinstance(record.msg, dict)]
    return [line for line in lines if line.get("event") == event]


@pytest.mark.parametrize("tree", TREES)
def test_sales_summary_answers_the_frozen_contract_shape(key_client: APIClient, tree: str) -> None:
    _scanned("acme.com.tr")
    response = key_client.get(f"{tree}/leads/acme.com.tr/sales-summary")
    body = response.json()
    assert response.status_code == 200
    assert set(body) == SUMMARY_FIELDS
    assert set(body["offer_tier"]) == OFFER_FIELDS
    assert set(body["next_step"]) == NEXT_STEP_FIELDS
    assert set(body["metadata"]) == METADATA_FIELDS
    assert set(body["opportunity_rationale"]) == {"total", "factors", "tuning_factor", "summary"}
    assert set(body["security_reasoning"]) == {
        "risk_level", "summary", "details", "sales_angle", "recommended_action",
    }  # fmt: skip
    assert isinstance(body["call_script"], list)
    assert isinstance(body["opportunity_potential"], int)


def test_sales_summary_reads_the_stored_lead(key_client: APIClient) -> None:
    _scanned("acme.com.tr")
    body = key_client.get("/api/v1/leads/acme.com.tr/sales-summary").json()
    assert body["domain"] == "acme.com.tr"
    assert body["offer_tier"]["tier"] == "Enterprise"  # the large tenant
    assert body["metadata"]["segment"] == "Migration"
    assert body["metadata"]["readiness_score"] == 85
    assert body["security_reasoning"]["risk_level"] == "high"  # no DMARC policy stored
    assert body["urgency"] == "high"  # Migration at 85


def test_sales_summary_of_an_unscanned_company_uses_the_defaults(key_client: APIClient) -> None:
    CompanyFactory.create(domain="fresh.com")
    body = key_client.get("/api/v1/leads/fresh.com/sales-summary").json()
    assert body["security_reasoning"] is None
    assert body["metadata"]["segment"] is None


def test_sales_summary_normalises_the_path_domain(key_client: APIClient) -> None:
    _scanned("acme.com.tr")
    response = key_client.get("/api/v1/leads/WWW.Acme.com.tr/sales-summary")
    assert response.status_code == 200
    assert response.json()["domain"] == "acme.com.tr"


@pytest.mark.parametrize("tree", TREES)
def test_sales_summary_of_an_invalid_domain_is_a_400_naming_the_reason(
    key_client: APIClient, tree: str
) -> None:
    response = key_client.get(f"{tree}/leads/not_a_domain/sales-summary")
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "reason"}
    assert response.json()["reason"]


@pytest.mark.parametrize("tree", TREES)
def test_sales_summary_of_an_unknown_domain_is_a_404(key_client: APIClient, tree: str) -> None:
    assert key_client.get(f"{tree}/leads/unknown.com/sales-summary").status_code == 404


def test_sales_summary_logs_the_view_with_categories_and_no_personal_data(
    key_client: APIClient, api_key: Any, caplog: pytest.LogCaptureFixture, django_user_model: Any
) -> None:
    owner = django_user_model.objects.create_user(username="seller", email="seller@partner.test")
    models.Company.objects.filter(pk=_scanned("acme.com.tr").pk).update(
        contact_emails=["ali@acme.com.tr"]
    )
    type(api_key[0]).objects.filter(pk=api_key[0].pk).update(owner=owner)
    key_client.get("/api/v1/leads/acme.com.tr/sales-summary")
    [line] = _logged(caplog, "sales_summary_viewed")
    assert line["domain"] == "acme.com.tr"
    assert line["user_id"] == owner.pk
    assert (line["segment"], line["offer_tier"], line["urgency"]) == (
        "Migration",
        "Enterprise",
        "high",
    )
    assert (line["tenant_size"], line["provider"]) == ("large", "Google")
    assert isinstance(line["opportunity"], int)
    assert "@" not in repr(line)
    assert "A.Ş." not in repr(line)  # the company name stays out of the log


def test_sales_summary_needs_a_key_or_a_session(anonymous_client: APIClient) -> None:
    _scanned("acme.com.tr")
    assert anonymous_client.get("/api/v1/leads/acme.com.tr/sales-summary").status_code == 401


@pytest.mark.parametrize("tree", TREES)
def test_summary_pdf_is_a_pdf_download_named_after_the_domain(
    key_client: APIClient, tree: str
) -> None:
    _scanned("acme.com.tr", canonical_name="Işıklı Çağdaş A.Ş.")
    response = key_client.get(f"{tree}/leads/acme.com.tr/summary.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="acme.com.tr_summary.pdf"'
    text = PdfReader(BytesIO(response.content)).pages[0].extract_text()
    assert "acme.com.tr" in text
    assert "Işıklı Çağdaş A.Ş." in text


def test_summary_pdf_is_served_to_a_client_that_accepts_only_pdf(key_client: APIClient) -> None:
    _scanned("acme.com.tr")
    response = key_client.get("/api/v1/leads/acme.com.tr/summary.pdf", HTTP_ACCEPT=PDF)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_summary_pdf_errors_are_json_even_to_a_client_that_accepts_only_pdf(
    key_client: APIClient,
) -> None:
    response = key_client.get("/api/v1/leads/unknown.com/summary.pdf", HTTP_ACCEPT=PDF)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("tree", TREES)
def test_summary_pdf_of_an_invalid_domain_is_a_400(key_client: APIClient, tree: str) -> None:
    response = key_client.get(f"{tree}/leads/-bad-.com/summary.pdf")
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "reason"}


def test_summary_pdf_of_a_company_never_scanned_is_a_404(key_client: APIClient) -> None:
    CompanyFactory.create(domain="fresh.com")
    assert key_client.get("/api/v1/leads/fresh.com/summary.pdf").status_code == 404
    assert key_client.get("/api/v1/leads/unknown.com/summary.pdf").status_code == 404
