"""Lead endpoints: list shape and query count, detail, breakdown, export, CRM-lite, dashboard."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.cache import cache, caches
from openpyxl import load_workbook
from rest_framework.test import APIClient

from leads import models
from leads.tests.factories import (
    AlertConfigFactory,
    AlertFactory,
    CompanyFactory,
    DomainSignalsFactory,
    LeadScoreFactory,
    NoteFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


def _lead(
    domain: str, *, segment: str = "Migration", score: int = 85, **company: Any
) -> models.Company:
    lead = CompanyFactory.create(domain=domain, **company)
    DomainSignalsFactory.create(company=lead)
    LeadScoreFactory.create(company=lead, segment=segment, score=score)
    return lead


def test_list_answers_the_paged_shape_with_leads_in_priority_order(key_client: APIClient) -> None:
    _lead("low.com", segment="Cold", score=45)
    _lead("high.com", score=90)
    body = key_client.get("/api/v1/leads").json()
    assert set(body) == {"leads", "total", "page", "page_size", "total_pages"}
    assert [lead["domain"] for lead in body["leads"]] == ["high.com", "low.com"]
    assert (body["total"], body["page"], body["page_size"], body["total_pages"]) == (2, 1, 50, 1)


def test_list_leaves_the_contact_fields_null(key_client: APIClient) -> None:
    _lead("a.com", contact_emails=["x@a.com"], contact_quality_score=50)
    lead = key_client.get("/api/v1/leads").json()["leads"][0]
    assert lead["contact_emails"] is None
    assert lead["contact_quality_score"] is None


def test_list_query_count_does_not_grow_with_page_size(
    key_client: APIClient, django_assert_num_queries: Any
) -> None:
    for number in range(30):
        _lead(f"lead{number}.com", score=60 + number)
    key_client.get("/api/v1/leads?page_size=1")  # the key's first use loads and caches its row
    cache.clear()
    caches["process"].clear()
    # The data version, the COUNT, the page's rows ...
    with django_assert_num_queries(3):
        assert len(key_client.get("/api/v1/leads?page_size=1").json()["leads"]) == 1
    # ... and with the total cached until the next scan, the version and the rows.
    with django_assert_num_queries(2):
        assert len(key_client.get("/api/v1/leads?page_size=30").json()["leads"]) == 30


def test_pages_split_the_list_and_a_page_past_the_end_is_empty(key_client: APIClient) -> None:
    for number in range(5):
        _lead(f"lead{number}.com", score=60 + number)
    first = key_client.get("/api/v1/leads?page=1&page_size=2").json()
    third = key_client.get("/api/v1/leads?page=3&page_size=2").json()
    beyond = key_client.get("/api/v1/leads?page=9&page_size=2").json()
    assert first["total_pages"] == 3
    assert [lead["domain"] for lead in first["leads"]] == ["lead4.com", "lead3.com"]
    assert [lead["domain"] for lead in third["leads"]] == ["lead0.com"]
    assert beyond["leads"] == []
    assert beyond["total"] == 5


@pytest.mark.parametrize(
    "query",
    ["page=0", "page_size=0", "page_size=201", "min_score=101", "min_score=x", "sort_order=up"],
)
def test_out_of_range_list_parameters_are_400_naming_the_field(
    key_client: APIClient, query: str
) -> None:
    response = key_client.get(f"/api/v1/leads?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_every_wrong_list_parameter_is_named_in_one_answer(key_client: APIClient) -> None:
    response = key_client.get("/api/v1/leads?page_size=500&min_score=x&sort_order=up")
    assert response.status_code == 400
    assert set(response.json()) == {"page_size", "min_score", "sort_order"}


def test_detail_includes_contact_fields(key_client: APIClient) -> None:
    _lead("acme.com", contact_emails=["ali@acme.com"], contact_quality_score=50)
    lead = key_client.get("/api/v1/leads/ACME.com").json()
    assert lead["domain"] == "acme.com"
    assert lead["contact_emails"] == ["ali@acme.com"]
    assert lead["priority_score"] == 1


def test_detail_of_an_unknown_domain_is_404_and_of_a_non_domain_400(key_client: APIClient) -> None:
    assert key_client.get("/api/v1/leads/unknown.com").status_code == 404
    response = key_client.get("/api/v1/leads/not_a_domain")
    assert response.status_code == 400
    assert response.json()["reason"]


def test_detail_of_an_ingested_but_unscanned_domain_is_404(key_client: APIClient) -> None:
    CompanyFactory.create(domain="fresh.com")
    assert key_client.get("/api/v1/leads/fresh.com").status_code == 404


def test_score_breakdown_groups_the_stored_reasons(key_client: APIClient) -> None:
    lead = _lead("acme.com")
    models.LeadScore.objects.filter(company=lead).update(
        score=0,
        reasons=[
            {"rule": "base_score", "points": 30},
            {"rule": "provider.Google", "points": 50},
            {"rule": "signal.spf", "points": 10},
            {"rule": "risk.no_dkim", "points": -10},
            {"rule": "hard_fail.mx_missing", "points": -80},
        ],
    )
    body = key_client.get("/api/v1/leads/acme.com/score-breakdown").json()
    assert body["base_score"] == 30
    assert body["provider"] == {"name": "Google", "points": 50}
    assert body["signal_points"] == {"spf": 10}
    assert body["risk_points"] == {"no_dkim": -10}
    assert body["hard_fail"] == {"rule": "mx_missing", "points": -80}
    assert body["total_score"] == 0
    assert body["priority_category"] == "P2"


def _csv(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_csv_export_has_bom_header_and_the_filtered_rows(key_client: APIClient) -> None:
    _lead("acme.com", score=90)
    _lead("cold.com", segment="Cold", score=45)
    response = key_client.get("/api/v1/leads/export?segment=Migration")
    rows = _csv(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment; filename=leads_" in response["Content-Disposition"]
    assert rows[0][:3] == ["domain", "company_name", "provider"]
    assert [row[0] for row in rows[1:]] == ["acme.com"]
    assert rows[1][7:10] == ["Yes", "Yes", "quarantine"]


def test_an_empty_export_still_has_the_header_row(key_client: APIClient) -> None:
    rows = _csv(key_client.get("/leads/export"))
    assert len(rows) == 1
    assert rows[0][0] == "domain"


def test_xlsx_export_has_a_leads_sheet(key_client: APIClient) -> None:
    _lead("acme.com")
    response = key_client.get("/api/v1/leads/export?format=excel")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    sheet = workbook["Leads"]
    assert sheet["A2"].value == "acme.com"


def test_an_unknown_export_format_is_400(key_client: APIClient) -> None:
    assert key_client.get("/api/v1/leads/export?format=pdf").status_code == 400


def test_notes_and_tags_are_read_newest_first(key_client: APIClient) -> None:
    lead = _lead("acme.com")
    NoteFactory.create(company=lead, note="first")
    NoteFactory.create(company=lead, note="second")
    TagFactory.create(company=lead, tag="migration-ready")
    notes = key_client.get("/api/v1/leads/acme.com/notes").json()
    tags = key_client.get("/leads/acme.com/tags").json()
    assert [n["note"] for n in notes] == ["second", "first"]
    assert set(notes[0]) == {"id", "domain", "note", "created_at", "updated_at"}
    assert [(t["domain"], t["tag"]) for t in tags] == [("acme.com", "migration-ready")]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/leads/acme.com/notes", {"note": "x"}),
        ("put", "/leads/acme.com/notes/1", {"note": "x"}),
        ("delete", "/leads/acme.com/notes/1", None),
        ("post", "/leads/acme.com/tags", {"tag": "x"}),
        ("delete", "/leads/acme.com/tags/1", None),
        ("post", "/leads/acme.com/favorite", None),
        ("delete", "/leads/acme.com/favorite", None),
    ],
)
def test_crm_writes_are_gone_and_change_nothing(
    key_client: APIClient, method: str, path: str, body: Any
) -> None:
    lead = _lead("acme.com")
    for prefix in ("", "/api/v1"):
        response = getattr(key_client, method)(prefix + path, body, format="json")
        assert response.status_code == 410
        assert response.json()["detail"]["migration_guide"] == "/docs/migration/notes-to-dynamics"
    assert not models.Note.objects.filter(company=lead).exists()


def test_a_crm_write_with_a_bad_body_is_400_before_410(key_client: APIClient) -> None:
    assert key_client.post("/leads/acme.com/notes", {"note": ""}, format="json").status_code == 400
    assert (
        key_client.post("/leads/acme.com/tags", {"tag": "x" * 101}, format="json").status_code
        == 400
    )


def test_dashboard_and_kpis_count_scanned_leads(key_client: APIClient) -> None:
    _lead("m1.com", score=90)
    _lead("m2.com", score=60)
    _lead("e1.com", segment="Existing", score=75)
    CompanyFactory.create(domain="unscanned.com")
    dashboard = key_client.get("/dashboard").json()
    kpis = key_client.get("/api/v1/dashboard/kpis").json()
    assert dashboard == {
        "total_leads": 3,
        "migration": 2,
        "existing": 1,
        "cold": 0,
        "skip": 0,
        "avg_score": 75.0,
        "max_score": 90,
        "high_priority": 1,
    }
    assert kpis == {"total_leads": 3, "migration_leads": 2, "high_priority": 1, "max_score": 90}


def test_dashboard_of_an_empty_database(key_client: APIClient) -> None:
    body = key_client.get("/api/v1/dashboard").json()
    assert (body["total_leads"], body["avg_score"], body["max_score"]) == (0, 0.0, None)


def test_alerts_filter_by_domain_and_type(key_client: APIClient) -> None:
    lead = _lead("acme.com")
    AlertFactory.create(company=lead, alert_type="mx_changed")
    AlertFactory.create(company=lead, alert_type="dmarc_added")
    AlertFactory.create(company=_lead("other.com"))
    body = key_client.get("/alerts?domain=acme.com&alert_type=dmarc_added").json()
    assert [(a["domain"], a["alert_type"]) for a in body] == [("acme.com", "dmarc_added")]


def test_alert_config_is_created_then_updated_for_the_user(staff_client: APIClient) -> None:
    body = {
        "alert_type": "mx_changed",
        "notification_method": "slack",
        "webhook_url": "https://h.example/x",
    }
    first = staff_client.post("/alerts/config", body, format="json").json()
    second = staff_client.post("/alerts/config", {**body, "enabled": False}, format="json").json()
    listed = staff_client.get("/alerts/config").json()
    assert first["id"] == second["id"]
    assert second["enabled"] is False
    assert [c["id"] for c in listed] == [first["id"]]


def test_alert_config_rejects_an_unknown_type_and_a_channel_without_address(
    staff_client: APIClient,
) -> None:
    bad_type = {"alert_type": "anything", "notification_method": "email", "email_address": "a@b.co"}
    no_url = {"alert_type": "mx_changed", "notification_method": "webhook"}
    assert "alert_type" in staff_client.post("/alerts/config", bad_type, format="json").json()
    assert "webhook_url" in staff_client.post("/alerts/config", no_url, format="json").json()


def test_alert_configs_of_other_users_are_not_listed(staff_client: APIClient) -> None:
    AlertConfigFactory.create()
    assert staff_client.get("/api/v1/alerts/config").json() == []


def test_enrich_stores_contacts_and_reports_the_quality(key_client: APIClient) -> None:
    _lead("acme.com")
    body = {"contact_emails": ["Ali.Veli@acme.com", "", "info@acme.com", "x@other.com"]}
    response = key_client.post("/api/v1/leads/acme.com/enrich", body, format="json")
    assert response.status_code == 200
    assert response.json()["contact_quality_score"] == 30 + 26
    assert models.Company.objects.get(domain="acme.com").contact_quality_score == 56


def test_enrich_without_emails_is_400_and_of_an_unknown_domain_404(key_client: APIClient) -> None:
    _lead("acme.com")
    assert (
        key_client.post("/leads/acme.com/enrich", {"contact_emails": []}, format="json").status_code
        == 400
    )
    assert (
        key_client.post(
            "/leads/nope.com/enrich", {"contact_emails": ["a@b.co"]}, format="json"
        ).status_code
        == 404
    )


def test_a_page_number_beyond_64_bits_is_an_empty_page_not_a_server_error(
    key_client: APIClient,
) -> None:
    _lead("lead.com")
    huge = 10**30
    response = key_client.get(f"/api/v1/leads?page={huge}")
    assert response.status_code == 200
    assert response.json()["leads"] == []
    assert response.json()["page"] == huge  # echoed as sent (orjson alone cannot write it)
