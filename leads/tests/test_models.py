"""The lead models' database guarantees, checked against the real database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model

from leads import choices, models
from leads.tests import factories

pytestmark = pytest.mark.django_db


def _rejected(create: Callable[[], Any]) -> bool:
    """True when the database refuses the write (the savepoint keeps the test usable)."""
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


# --- one row per company ------------------------------------------------------------------------


def test_second_signal_row_for_a_company_is_rejected(scanned_company: models.Company) -> None:
    assert _rejected(lambda: models.DomainSignals.objects.create(company=scanned_company))


def test_second_score_row_for_a_company_is_rejected(scanned_company: models.Company) -> None:
    assert _rejected(lambda: models.LeadScore.objects.create(company=scanned_company))


def test_bulk_upsert_updates_the_signal_row_in_place(scanned_company: models.Company) -> None:
    original = scanned_company.signals
    fresh = models.DomainSignals(
        company=scanned_company,
        status=choices.DnsStatus.OK,
        provider=choices.Provider.M365,
        mx_root="outlook.com",
        mx_records=[{"preference": 0, "host": "company-com.mail.protection.outlook.com"}],
        spf=False,
    )
    models.DomainSignals.objects.bulk_create(
        [fresh],
        update_conflicts=True,
        unique_fields=["company"],
        update_fields=["status", "provider", "mx_root", "mx_records", "spf"],
    )
    stored = models.DomainSignals.objects.get(company=scanned_company)
    assert models.DomainSignals.objects.count() == 1
    assert stored.pk == original.pk
    assert (stored.provider, stored.mx_root, stored.spf) == ("M365", "outlook.com", False)
    assert stored.mx_records[0]["host"] == "company-com.mail.protection.outlook.com"


def test_bulk_upsert_of_a_score_refreshes_updated_at(scanned_company: models.Company) -> None:
    before = scanned_company.score
    models.LeadScore.objects.filter(pk=before.pk).update(
        updated_at=before.updated_at - timedelta(days=1)
    )
    fresh = models.LeadScore(company=scanned_company, score=None, segment=None)
    models.LeadScore.objects.bulk_create(
        [fresh],
        update_conflicts=True,
        unique_fields=["company"],
        update_fields=["score", "segment", "updated_at"],
    )
    stored = models.LeadScore.objects.get(company=scanned_company)
    assert stored.pk == before.pk
    assert (stored.score, stored.segment) == (None, None)
    assert stored.updated_at > before.updated_at - timedelta(hours=1)


def test_company_upsert_keeps_the_row_and_overwrites_the_name() -> None:
    company = factories.CompanyFactory.create(domain="acme.com.tr", canonical_name="acme.com.tr")
    models.Company.objects.bulk_create(
        [models.Company(domain="acme.com.tr", canonical_name="Acme A.Ş.")],
        update_conflicts=True,
        unique_fields=["domain"],
        update_fields=["canonical_name"],
    )
    assert list(models.Company.objects.values_list("pk", "canonical_name")) == [
        (company.pk, "Acme A.Ş.")
    ]


# --- data integrity -----------------------------------------------------------------------------


def test_uppercase_or_empty_domain_is_rejected() -> None:
    assert _rejected(lambda: models.Company.objects.create(domain="Acme.com", canonical_name="A"))
    assert _rejected(lambda: models.Company.objects.create(domain="", canonical_name="A"))


def test_score_outside_0_to_100_is_rejected(scanned_company: models.Company) -> None:
    assert _rejected(lambda: models.LeadScore.objects.update(score=101))
    assert _rejected(lambda: models.LeadScore.objects.update(score=-1))


def test_deleting_a_company_removes_its_lead_data(scanned_company: models.Company) -> None:
    factories.TagFactory.create(company=scanned_company)
    factories.AlertFactory.create(company=scanned_company)
    scanned_company.delete()
    assert not models.DomainSignals.objects.exists()
    assert not models.LeadScore.objects.exists()
    assert not models.Tag.objects.exists()
    assert not models.Alert.objects.exists()


# --- tags, favourites, alert configs ------------------------------------------------------------


def test_duplicate_tag_on_one_company_is_rejected() -> None:
    tag = factories.TagFactory.create(tag="security-risk")
    assert _rejected(lambda: factories.TagFactory.create(company=tag.company, tag="security-risk"))


def test_same_tag_on_another_company_is_allowed() -> None:
    factories.TagFactory.create(tag="local-mx")
    factories.TagFactory.create(tag="local-mx")
    assert models.Tag.objects.filter(tag="local-mx").count() == 2


def test_duplicate_favourite_is_rejected() -> None:
    favorite = factories.FavoriteFactory.create()
    assert _rejected(
        lambda: factories.FavoriteFactory.create(user=favorite.user, company=favorite.company)
    )


def test_duplicate_alert_config_is_rejected() -> None:
    config = factories.AlertConfigFactory.create()
    assert _rejected(lambda: factories.AlertConfigFactory.create(user=config.user))


def test_alert_config_with_unknown_type_is_rejected_by_the_database() -> None:
    factories.AlertConfigFactory.create()
    assert _rejected(lambda: models.AlertConfig.objects.update(alert_type="bogus"))
    assert _rejected(lambda: models.AlertConfig.objects.update(frequency="hourly"))


def test_webhook_alert_config_without_url_fails_validation() -> None:
    config = factories.AlertConfigFactory.build(
        user=factories.UserFactory.create(), notification_method=choices.NotificationMethod.WEBHOOK
    )
    with pytest.raises(ValidationError, match="need a webhook URL"):
        config.full_clean()
    assert _rejected(config.save)


def test_email_alert_config_without_address_is_rejected() -> None:
    assert _rejected(lambda: factories.AlertConfigFactory.create(email_address=""))


# --- append-only logs are idempotent per scan ---------------------------------------------------


@pytest.mark.parametrize(
    "factory",
    [
        factories.ProviderChangeHistoryFactory,
        factories.SignalChangeHistoryFactory,
        factories.ScoreChangeHistoryFactory,
        factories.AlertFactory,
    ],
)
def test_a_redelivered_scan_writes_each_change_once(factory: Any) -> None:
    company, token = factories.CompanyFactory.create(), uuid.uuid4()
    model = factory._meta.model
    for _delivery in range(2):
        row = factory.build(company=company, scan_token=token)
        model.objects.bulk_create([row], ignore_conflicts=True)
    assert model.objects.filter(company=company).count() == 1


@pytest.mark.parametrize(
    "factory", [factories.ProviderChangeHistoryFactory, factories.AlertFactory]
)
def test_rows_without_a_scan_token_are_never_deduplicated(factory: Any) -> None:
    company = factories.CompanyFactory.create()
    factory(company=company, scan_token=None)
    factory(company=company, scan_token=None)
    assert factory._meta.model.objects.filter(company=company).count() == 2


def test_one_scan_may_change_several_signals_of_a_company() -> None:
    company, token = factories.CompanyFactory.create(), uuid.uuid4()
    for signal in (choices.SignalType.SPF, choices.SignalType.MX):
        factories.SignalChangeHistoryFactory.create(
            company=company, signal_type=signal, scan_token=token
        )
    assert company.signal_changes.count() == 2


# --- computed values and factories --------------------------------------------------------------


@pytest.mark.parametrize(
    ("segment", "score", "priority"),
    [
        ("Migration", 85, 1),
        ("Existing", 75, 3),
        ("Cold", 45, 5),
        ("Skip", 90, 7),
        (None, None, None),
    ],
)
def test_the_factory_stores_the_priority_a_scan_would(
    segment: str | None, score: int | None, priority: int | None
) -> None:
    lead_score = factories.LeadScoreFactory.create(segment=segment, score=score)
    assert lead_score.priority_score == priority


def test_signals_count_as_resolved_only_when_dns_answered(scanned_company: models.Company) -> None:
    signals = scanned_company.signals
    assert signals.resolved
    signals.status = choices.DnsStatus.UNRESOLVED
    assert not signals.resolved


@pytest.mark.parametrize(
    "factory",
    [
        factories.CompanyFactory,
        factories.RawLeadFactory,
        factories.DomainSignalsFactory,
        factories.LeadScoreFactory,
        factories.ProviderChangeHistoryFactory,
        factories.SignalChangeHistoryFactory,
        factories.ScoreChangeHistoryFactory,
        factories.AlertFactory,
        factories.AlertConfigFactory,
        factories.TagFactory,
        factories.NoteFactory,
        factories.FavoriteFactory,
    ],
)
def test_factories_build_rows_that_pass_model_validation(factory: Any) -> None:
    row: Model = factory()
    row.full_clean()
    assert type(row)._default_manager.filter(pk=row.pk).exists()
