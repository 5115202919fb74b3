"""Lead admin pages render for staff, stay N+1-free and keep scan results read-only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client

from hunter.testing.admin import admin_url, changelist_query_count
from leads import models
from leads.services.companies import CompanyInput, companies_upsert
from leads.tests import factories
from scanning.engine.normalize import normalize_domain

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


# --- company domains are stored as imports store them ----------------------------------------


@pytest.fixture
def english_admin(admin_client: Client) -> Client:
    """The admin in English, so the form errors below read as written here."""
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return admin_client


def save_company(client: Client, domain: str, *args: object) -> Any:
    """POST the Company add form (or, with a pk, its change form), inline forms included."""
    url = admin_url(models.Company, "change" if args else "add", *args)
    data: dict[str, Any] = {"domain": domain, "canonical_name": "Acme"}
    for inline in client.get(url).context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
    return client.post(url, data)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Şirket-Örnek.test", "xn--irket-rnek-jcb76j.test"),
        ("https://new.test/x", "new.test"),
        ("WWW.www.New.test.", "new.test"),
        ("sales@new.test", "new.test"),
    ],
)
def test_company_added_in_admin_stores_the_domain_an_import_would(
    english_admin: Client, typed: str, stored: str
) -> None:
    response = save_company(english_admin, typed)
    assert response.status_code == 302
    assert list(models.Company.objects.values_list("domain", flat=True)) == [stored]


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("co.uk", "public suffix"),
        ("exa_mple.com", "not a domain name"),
        ("xn--zz.com", "does not decode"),
        ("ftp://new.test", "only http and https"),
    ],
)
def test_invalid_company_domain_gets_the_import_reason_as_a_form_error(
    english_admin: Client, typed: str, reason: str
) -> None:
    response = save_company(english_admin, typed)
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["domain"]
    assert error.startswith(f"Invalid domain format '{typed}': ")
    assert reason in error
    assert not models.Company.objects.exists()


def test_admin_cannot_add_a_second_company_for_a_domain_written_differently(
    english_admin: Client,
) -> None:
    factories.CompanyFactory.create(domain="new.test")
    response = save_company(english_admin, "https://WWW.new.test/about")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["domain"] == [
        "A company with this domain already exists."
    ]
    assert models.Company.objects.count() == 1


def test_a_company_added_in_admin_is_the_one_a_later_import_refreshes(
    english_admin: Client,
) -> None:
    save_company(english_admin, "https://www.New.test/x")
    # What an import row "www.www.new.test" writes, through the writer imports use.
    upserted = companies_upsert(rows=[CompanyInput(normalize_domain("www.www.new.test"))])
    assert upserted.created == frozenset()
    assert models.Company.objects.count() == 1


def test_editing_a_company_normalises_the_new_domain(english_admin: Client) -> None:
    company = factories.CompanyFactory.create(domain="old.test")
    response = save_company(english_admin, "HTTP://www.Renamed.test/", company.pk)
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.domain == "renamed.test"


# --- alert URLs ------------------------------------------------------------------------------


def post_alert_config(client: Client, url: str) -> Any:
    user = factories.UserFactory.create()
    return client.post(
        admin_url(models.AlertConfig, "add"),
        {
            "user": user.pk,
            "alert_type": "mx_changed",
            "notification_method": "webhook",
            "frequency": "immediate",
            "enabled": "on",
            "webhook_url": url,
        },
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254, a link-local address"),
        ("http://localhost:6379/", "a loopback address"),
        ("http://[::1]/hook", "::1, a loopback address"),
        ("https://10.0.0.8/hook", "10.0.0.8, a private network address"),
    ],
)
def test_alert_config_form_says_why_an_internal_url_is_refused(
    english_admin: Client, settings: Any, url: str, why: str
) -> None:
    settings.HUNTER_ALERT_URL_ALLOWLIST = []
    response = post_alert_config(english_admin, url)
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["webhook_url"]
    assert why in error
    assert "HUNTER_ALERT_URL_ALLOWLIST" in error
    assert not models.AlertConfig.objects.exists()


def test_alert_config_form_accepts_an_allow_listed_internal_receiver(
    english_admin: Client, settings: Any
) -> None:
    settings.HUNTER_ALERT_URL_ALLOWLIST = ["10.0.0.0/8"]
    response = post_alert_config(english_admin, "https://10.0.0.8/hook")
    assert response.status_code == 302
    assert models.AlertConfig.objects.get().webhook_url == "https://10.0.0.8/hook"


def test_the_domain_form_error_reads_like_the_import_report_in_turkish(
    admin_client: Client,
) -> None:
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "tr"
    response = save_company(admin_client, "com.tr")
    [error] = response.context["adminform"].form.errors["domain"]
    assert error.startswith("Geçersiz domain formatı 'com.tr': ")
