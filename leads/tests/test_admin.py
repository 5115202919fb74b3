"""Lead admin pages render for staff, stay N+1-free and keep scan results read-only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db.models import Model
from django.test import Client

from hunter.testing.admin import admin_url, changelist_query_count
from leads import models
from leads.tests import factories

pytestmark = pytest.mark.django_db


def _scanned_company() -> models.Company:
    score = factories.LeadScoreFactory.create()
    factories.DomainSignalsFactory.create(company=score.company)
    return score.company


# One builder per registered model: each call adds one row with its related rows.
ROW_BUILDERS: dict[type[Model], Callable[[], Model]] = {
    models.Company: _scanned_company,
    models.RawLead: factories.RawLeadFactory.create,
    models.DomainSignals: factories.DomainSignalsFactory.create,
    models.LeadScore: factories.LeadScoreFactory.create,
    models.ProviderChangeHistory: factories.ProviderChangeHistoryFactory.create,
    models.SignalChangeHistory: factories.SignalChangeHistoryFactory.create,
    models.ScoreChangeHistory: factories.ScoreChangeHistoryFactory.create,
    models.Alert: factories.AlertFactory.create,
    models.AlertConfig: factories.AlertConfigFactory.create,
    models.Tag: factories.TagFactory.create,
    models.Note: factories.NoteFactory.create,
    models.Favorite: factories.FavoriteFactory.create,
}
HISTORY_MODELS = [
    models.RawLead,
    models.DomainSignals,
    models.LeadScore,
    models.ProviderChangeHistory,
    models.SignalChangeHistory,
    models.ScoreChangeHistory,
    models.Alert,
]


@pytest.mark.parametrize("model", ROW_BUILDERS, ids=lambda model: model.__name__)
def test_changelist_and_change_page_render_for_a_superuser(
    admin_client: Client, model: type[Model]
) -> None:
    row = ROW_BUILDERS[model]()
    changelist = admin_client.get(admin_url(model, "changelist"))
    change_page = admin_client.get(admin_url(model, "change", row.pk))
    assert changelist.status_code == 200
    assert change_page.status_code == 200
    assert changelist.context["cl"].result_count == 1


@pytest.mark.parametrize("model", ROW_BUILDERS, ids=lambda model: model.__name__)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client: Client, model: type[Model]
) -> None:
    ROW_BUILDERS[model]()
    with_one_row = changelist_query_count(admin_client, model)
    for _ in range(19):
        ROW_BUILDERS[model]()
    assert changelist_query_count(admin_client, model) == with_one_row


@pytest.mark.parametrize("model", HISTORY_MODELS, ids=lambda model: model.__name__)
def test_scan_results_and_history_cannot_be_added_or_changed(
    admin_client: Client, model: type[Model]
) -> None:
    row = ROW_BUILDERS[model]()
    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.post(admin_url(model, "change", row.pk), {}).status_code == 403
    assert admin_client.post(admin_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=row.pk).exists()


def test_company_page_shows_signals_score_tags_and_notes(admin_client: Client) -> None:
    company = _scanned_company()
    factories.TagFactory.create(company=company, tag="migration-ready")
    factories.NoteFactory.create(company=company, note="Decision maker is the CFO")
    page = admin_client.get(admin_url(models.Company, "change", company.pk)).content.decode()
    assert "v=spf1 include:_spf.google.com ~all" in page
    assert "Competitive Takeover" in page
    assert "migration-ready" in page
    assert "Decision maker is the CFO" in page


def test_company_list_shows_score_and_priority_and_tolerates_unscanned_rows(
    admin_client: Client,
) -> None:
    _scanned_company()
    factories.CompanyFactory.create(domain="never-scanned.com")
    response = admin_client.get(admin_url(models.Company, "changelist"))
    rows = response.context["cl"].result_list
    assert response.status_code == 200
    assert {company.domain for company in rows} >= {"never-scanned.com"}
    assert '<td class="field-priority">1</td>' in response.content.decode()


def test_company_search_finds_by_domain(admin_client: Client) -> None:
    factories.CompanyFactory.create(domain="findme.com.tr")
    factories.CompanyFactory.create(domain="other.com")
    response = admin_client.get(admin_url(models.Company, "changelist"), {"q": "findme"})
    assert [company.domain for company in response.context["cl"].result_list] == ["findme.com.tr"]


def test_staff_can_add_a_manual_tag(admin_client: Client) -> None:
    company = factories.CompanyFactory.create()
    response = admin_client.post(
        admin_url(models.Tag, "add"), {"company": company.pk, "tag": "vip", "source": "manual"}
    )
    assert response.status_code == 302
    assert company.tags.get().tag == "vip"


def test_alert_config_form_reports_a_missing_webhook_url(admin_client: Client) -> None:
    user = factories.UserFactory.create()
    response = admin_client.post(
        admin_url(models.AlertConfig, "add"),
        {
            "user": user.pk,
            "alert_type": "mx_changed",
            "notification_method": "webhook",
            "frequency": "immediate",
            "enabled": "on",
        },
    )
    assert response.status_code == 200
    assert "need a webhook URL" in response.content.decode()
    assert not models.AlertConfig.objects.exists()
