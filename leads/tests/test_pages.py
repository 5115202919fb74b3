"""The sales team's lead pages: dashboard, lead lists, lead detail, alerts and exports."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from openpyxl import load_workbook

from leads import models
from leads.caching import DASHBOARD_LAG, dashboard_cache_key
from leads.tests.factories import (
    AlertFactory,
    CompanyFactory,
    DomainSignalsFactory,
    FavoriteFactory,
    LeadScoreFactory,
    NoteFactory,
    ProviderChangeHistoryFactory,
    ScoreChangeHistoryFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _lead(
    domain: str,
    *,
    segment: str = "Migration",
    score: int = 85,
    provider: str = "Google",
    category: str = "P2",
    **fields: Any,
) -> models.Company:
    company = CompanyFactory.create(domain=domain, provider=provider)
    DomainSignalsFactory.create(company=company, provider=provider)
    LeadScoreFactory.create(
        company=company,
        segment=segment,
        score=score,
        priority_category=category,
        **fields,
    )
    return company


def _body(response) -> str:
    return response.content.decode()


# --- URL space and sign-in ----------------------------------------------------------------


def test_the_home_page_sends_a_signed_in_user_to_the_dashboard(sales_client):
    response = sales_client.get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:dashboard") == "/app/"


@pytest.mark.parametrize(
    "path",
    ["/app/", "/app/leads/", "/app/leads/migration/", "/app/leads/x.com/", "/app/alerts/"],
)
def test_every_lead_page_asks_an_anonymous_visitor_to_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- dashboard ----------------------------------------------------------------------------


def test_the_dashboards_high_priority_threshold_is_the_apis_setting(sales_client, settings):
    settings.HUNTER_HIGH_PRIORITY_SCORE = 60
    _lead("a.com", score=85)
    _lead("b.com", score=65, category="P1", provider="Hosting")

    kpis = sales_client.get(reverse("leads:dashboard")).context["kpis"]

    assert kpis["high_priority"] == 2


def test_dashboard_shows_the_kpis_over_scanned_leads(sales_client):
    _lead("a.com", score=85)
    _lead("b.com", score=65, category="P1", provider="Hosting")
    _lead("c.com", segment="Existing", score=40, provider="M365", category="P3")
    CompanyFactory.create(domain="unscanned.com")

    response = sales_client.get(reverse("leads:dashboard"))

    kpis = response.context["kpis"]
    assert kpis["total_leads"] == 3
    assert kpis["migration_leads"] == 2
    assert kpis["high_priority"] == 1
    assert kpis["max_score"] == 85
    assert kpis["avg_score"] == round((85 + 65 + 40) / 3, 1)
    assert kpis["scans_today"] == 3
    assert 'data-kpi="high_priority">1<' in _body(response)


def test_dashboard_charts_count_leads_by_segment_provider_and_category(sales_client):
    _lead("a.com")
    _lead("b.com")
    _lead("c.com", segment="Existing", provider="M365", category="P4")

    data = sales_client.get(reverse("leads:dashboard")).context["chart_data"]

    assert data["segment"]["values"] == [2, 1]
    assert data["provider"]["labels"] == ["Google Workspace", "Microsoft 365"]
    assert data["priority_category"]["labels"][0].startswith("P2 ")
    assert sum(data["scans_per_day"]["values"]) == 3
    assert len(data["scans_per_day"]["labels"]) == 14


def _age_dashboard_figures(seconds: float) -> None:
    held = cache.get(dashboard_cache_key())
    held["at"] -= seconds
    cache.set(dashboard_cache_key(), held)


def test_dashboard_aggregates_are_cached_until_a_later_scan_is_past_the_lag(sales_client):
    _lead("a.com")
    assert sales_client.get("/app/").context["kpis"]["total_leads"] == 1

    second = _lead("b.com")  # a newer scan, just stored: the held figures still serve
    assert sales_client.get("/app/").context["kpis"]["total_leads"] == 1
    _age_dashboard_figures(DASHBOARD_LAG + 1)  # the lag has passed: the next view recomputes
    assert sales_client.get("/app/").context["kpis"]["total_leads"] == 2

    models.LeadScore.objects.filter(company=second).update(score=None)  # no scan
    _age_dashboard_figures(DASHBOARD_LAG + 1)
    assert sales_client.get("/app/").context["kpis"]["total_leads"] == 2  # same data version


def test_during_a_bulk_scan_views_read_the_held_figures_not_every_lead(
    sales_client, django_assert_num_queries
):
    _lead("a.com")
    sales_client.get("/app/")
    _lead("b.com")  # a chunk of a bulk scan stored

    # session, user, data version, latest alerts: no aggregate over the leads
    with django_assert_num_queries(4):
        sales_client.get("/app/")


def test_an_empty_dashboard_tells_a_new_user_to_upload_domains(sales_client):
    body = _body(sales_client.get("/app/"))

    assert "Henüz taranmış müşteri adayı yok" in body
    assert reverse("scanning:upload") in body
    assert "chart.umd.js" not in body


def test_dashboard_query_count_is_fixed(sales_client, django_assert_num_queries):
    for number in range(5):
        _lead(f"lead{number}.com")
        AlertFactory.create(company=models.Company.objects.get(domain=f"lead{number}.com"))
    sales_client.get("/app/")  # fills the cache

    # session, user, data version (latest scan time), latest alerts (companies joined)
    with django_assert_num_queries(4):
        sales_client.get("/app/")


# --- lead lists ---------------------------------------------------------------------------


def test_segment_list_shows_only_that_segment_with_badges_and_tooltips(sales_client):
    _lead("mig.com")
    _lead("old.com", segment="Existing", provider="M365", category="P4")

    response = sales_client.get(reverse("leads:segment", args=["migration"]))
    body = _body(response)

    assert response.status_code == 200
    assert "mig.com" in body
    assert "old.com" not in body
    assert 'class="badge badge-p2"' in body
    assert "Rekabetçi Devralma" in body  # the P2 label, in Turkish
    assert "puan 60 veya üzeri" in body  # Migration's rule from rules.json, as a tooltip
    assert 'name="segment"' not in body  # the segment is fixed on a segment page


def test_every_filter_input_has_a_label(sales_client):
    body = _body(sales_client.get(reverse("leads:list")))

    for name in ("segment", "provider", "min_score", "priority_category", "favorite", "search"):
        assert f'<label for="id_{name}">' in body


def test_filter_state_lives_in_the_url_and_filters_the_rows(sales_client):
    _lead("g.com", provider="Google")
    _lead("h.com", provider="Hosting", category="P1")

    response = sales_client.get(reverse("leads:list"), {"provider": "Hosting"})

    assert [lead.domain for lead in response.context["page"]] == ["h.com"]
    assert "provider=Hosting" in response.context["export_query"]


def test_column_headers_sort_through_the_filterset_and_keep_the_filters(sales_client):
    _lead("low.com", score=61)
    _lead("high.com", score=95)

    url = reverse("leads:segment", args=["migration"])
    response = sales_client.get(url, {"sort_by": "readiness_score", "sort_order": "asc"})
    body = _body(response)

    rows = [lead.domain for lead in response.context["page"]]
    assert rows == ["low.com", "high.com"]
    assert 'aria-sort="ascending"' in body
    assert "sort_by=readiness_score&amp;sort_order=desc" in body


def test_invalid_filters_are_named_in_plain_language_not_a_server_error(sales_client):
    response = sales_client.get(reverse("leads:list"), {"min_score": "lots"})

    assert response.status_code == 200
    assert 'class="field-error"' in _body(response)
    assert response.context["page"].paginator.count == 0


@pytest.mark.parametrize("page", ["99999999999999999999", "-3", "abc"])
def test_an_out_of_range_page_number_shows_a_page_not_an_error(sales_client, page):
    _lead("only.com")

    response = sales_client.get(reverse("leads:list"), {"page": page})

    assert response.status_code == 200
    assert response.context["page"].number == 1
    assert "only.com" in _body(response)


def test_a_page_past_the_end_shows_the_last_page(sales_client, settings):
    for number in range(55):
        _lead(f"lead{number:02}.com", score=60 + number % 40)

    response = sales_client.get(reverse("leads:list"), {"page": 7})

    assert response.context["page"].number == 2
    assert len(response.context["page"].object_list) == 5


def test_an_unknown_segment_page_is_a_plain_not_found(sales_client):
    assert sales_client.get("/app/leads/nonsense/").status_code == 404


def test_an_empty_list_tells_a_new_user_what_to_do(sales_client):
    body = _body(sales_client.get(reverse("leads:list")))

    assert "Henüz müşteri adayı yok" in body
    assert reverse("scanning:upload") in body


def test_lead_list_query_count_does_not_grow_with_rows(sales_client, django_assert_num_queries):
    for number in range(30):
        _lead(f"lead{number}.com")

    # session, user, count, the page's ids, the page's rows with signals and score joined
    with django_assert_num_queries(5):
        sales_client.get(reverse("leads:list"))


# --- exports ------------------------------------------------------------------------------


def test_csv_export_has_exactly_the_filtered_rows_in_the_shown_order(sales_client):
    _lead("a.com", score=70)
    _lead("b.com", score=90)
    _lead("c.com", segment="Existing", provider="M365", category="P4")

    response = sales_client.get(
        reverse("leads:export", args=["csv"]),
        {"segment": "Migration", "sort_by": "readiness_score", "sort_order": "desc"},
    )

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert response["Content-Type"].startswith("text/csv")
    assert [row[2] for row in rows[1:]] == ["b.com", "a.com"]
    assert rows[1][:2] == ["P2", "Rekabetçi Devralma"]


def test_xlsx_export_opens_in_excel_with_the_same_rows(sales_client):
    _lead("a.com")

    response = sales_client.get(reverse("leads:export", args=["xlsx"]))

    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    values = [[cell.value for cell in row] for row in workbook.active.iter_rows()]
    assert values[0][2] == "Alan adı"
    assert [values[1][2], values[1][4], values[1][5], values[1][6]] == [
        "a.com",
        "Google",
        "Migration",
        85,
    ]


def test_an_export_with_invalid_filters_says_so_in_plain_language(sales_client):
    response = sales_client.get(reverse("leads:export", args=["csv"]), {"min_score": "lots"})

    assert response.status_code == 400
    assert "Bu dışa aktarmanın filtreleri geçersiz" in _body(response)


def test_export_neutralises_cells_a_spreadsheet_would_run_as_formulas(sales_client):
    company = _lead("evil.com")
    company.canonical_name = "=HYPERLINK(1)"
    company.save()

    response = sales_client.get(reverse("leads:export", args=["csv"]))

    assert "'=HYPERLINK(1)" in b"".join(response.streaming_content).decode("utf-8-sig")


# --- lead detail --------------------------------------------------------------------------


def test_lead_detail_explains_the_score_reason_by_reason(sales_client):
    breakdown = [
        {"rule": "base_score", "points": 10},
        {"rule": "provider.Google", "points": 50},
        {"rule": "signal.spf", "points": 10},
        {"rule": "risk.dmarc_none", "points": -10},
    ]
    _lead("why.com", score=60, reasons=breakdown)

    body = _body(sales_client.get(reverse("leads:detail", args=["why.com"])))

    assert "Bu puan neden" in body
    assert "Posta sağlayıcı: Google Workspace" in body
    assert "+50" in body
    assert "-10" in body
    assert "Zorunlu sıfır" not in body


def test_lead_detail_shows_the_hard_fail_when_it_applies(sales_client):
    breakdown = [
        {"rule": "base_score", "points": 10},
        {"rule": "hard_fail.mx_missing", "points": -10},
    ]
    _lead("nomx.com", segment="Skip", score=0, category="P6", reasons=breakdown, hard_fail=True)

    body = _body(sales_client.get(reverse("leads:detail", args=["nomx.com"])))

    assert "MX kaydı yok" in body
    assert "alert-warning" in body


def test_lead_detail_shows_evidence_history_alerts_tags_and_notes(sales_client):
    company = _lead("full.com")
    ProviderChangeHistoryFactory.create(company=company)
    ScoreChangeHistoryFactory.create(company=company)
    AlertFactory.create(company=company)
    TagFactory.create(company=company, tag="competitor-google")
    NoteFactory.create(company=company)

    body = _body(sales_client.get(reverse("leads:detail", args=["full.com"])))

    assert "v=spf1 include:_spf.google.com ~all" in body
    assert "smtp.google.com" in body
    assert "Example Registrar" in body
    assert "45 → 85" in body
    assert "MX root changed from yandex.net to google.com" in body
    assert "competitor-google" in body
    assert "renewal is in March" in body
    assert reverse("scanning:rescan", args=["full.com"]) in body


def test_an_unknown_lead_is_a_plain_language_not_found(sales_client):
    response = sales_client.get(reverse("leads:detail", args=["nobody.com"]))

    assert response.status_code == 404
    assert "nobody.com" in _body(response)
    assert "Traceback" not in _body(response)


def test_lead_detail_query_count_is_fixed(sales_client, django_assert_num_queries):
    company = _lead("q.com")
    for _ in range(3):
        ProviderChangeHistoryFactory.create(company=company)
        AlertFactory.create(company=company, scan_token=None)
        TagFactory.create(company=company)

    # session, user, company+signals+score, tags, notes, 3 histories, alerts
    with django_assert_num_queries(9):
        sales_client.get(reverse("leads:detail", args=["q.com"]))


# --- alerts -------------------------------------------------------------------------------


def test_alerts_page_lists_alerts_newest_first_with_their_lead(sales_client):
    AlertFactory.create(company=_lead("one.com"), alert_message="first")
    AlertFactory.create(company=_lead("two.com"), alert_message="second")

    body = _body(sales_client.get(reverse("leads:alerts")))

    assert body.index("second") < body.index("first")
    assert reverse("leads:detail", args=["two.com"]) in body


def test_the_favourites_box_filters_the_list_and_its_export_alike(sales_client, sales_user):
    starred = _lead("star.com")
    _lead("plain.com")
    FavoriteFactory.create(user=sales_user, company=starred)

    response = sales_client.get(reverse("leads:list"), {"favorite": "true"})
    export = sales_client.get(
        f"{reverse('leads:export', args=['csv'])}?{response.context['export_query']}"
    )

    assert [lead.domain for lead in response.context["page"]] == ["star.com"]
    assert 'type="checkbox" name="favorite" value="true"' in _body(response)
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "star.com" in text
    assert "plain.com" not in text


def test_lead_detail_shows_the_sales_summary_and_links_its_pdf(sales_client):
    _lead("sales.com", segment="Migration", score=85, provider="Google")

    body = _body(sales_client.get("/app/leads/sales.com/"))

    assert "Gibibyte" in body  # the call script's opening names the partner
    assert 'href="/app/leads/sales.com/summary.pdf"' in body


def test_the_pdf_summary_downloads_with_its_file_name(sales_client):
    _lead("sales.com", segment="Migration", score=85, provider="Google")

    response = sales_client.get("/app/leads/sales.com/summary.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="sales.com_summary.pdf"'
    assert response.content.startswith(b"%PDF")


def test_the_pdf_of_an_unknown_lead_is_a_plain_404(sales_client):
    response = sales_client.get("/app/leads/nobody.com/summary.pdf")

    assert response.status_code == 404
    assert "nobody.com" in _body(response)


def test_an_invalid_sort_in_a_hand_edited_link_is_named_on_the_page(sales_client: Any) -> None:
    response = sales_client.get("/app/leads/?sort_order=sideways")
    assert response.status_code == 200
    text = response.content.decode()
    alert = text[text.index('class="alert alert-error"') :].split("</div>", 1)[0]
    assert "sideways" in alert  # the hidden field's error, not just "fix the fields marked"


def test_the_filter_form_speaks_the_readers_language_each_time(sales_client: Any) -> None:
    # The form class is built once per process; its labels must still follow each reader.
    assert "Minimum score" not in sales_client.get("/app/leads/").content.decode()
    sales_client.post(reverse("set_language"), {"language": "en", "next": "/app/"})
    english = sales_client.get("/app/leads/").content.decode()
    assert "Minimum score" in english
    assert "Sort order" not in english  # a hidden field: no label shown
