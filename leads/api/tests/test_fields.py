"""A lead reads the same from its model rows (detail) and from its ``values()`` row (list)."""

from __future__ import annotations

import datetime as dt

import pytest

from leads import models
from leads.api.fields import LIST_COLUMNS, LIST_HIDDEN_FIELDS, lead_list_record, lead_record
from leads.selectors import lead_list
from leads.tests.factories import CompanyFactory, DomainSignalsFactory, LeadScoreFactory

pytestmark = pytest.mark.django_db


def _both_forms(domain: str) -> tuple[dict[str, object], dict[str, object]]:
    company = lead_list().get(domain=domain)
    values = lead_list().filter(domain=domain).values(*LIST_COLUMNS).get()
    return lead_record(company, with_contacts=False), lead_list_record(values)


def test_a_scanned_lead_reads_the_same_from_models_and_from_values() -> None:
    lead = CompanyFactory.create(
        domain="acme.com.tr", provider="Google", contact_emails=["info@acme.com.tr"]
    )
    DomainSignalsFactory.create(
        company=lead,
        spf=True,
        dmarc_policy="reject",
        nameservers=["ns1.acme.com.tr"],
        expires_at=dt.date(2027, 5, 1),
    )
    LeadScoreFactory.create(company=lead, segment="Migration", score=88)

    from_models, from_values = _both_forms("acme.com.tr")

    assert from_values == from_models
    assert from_values["expires_at"] == "2027-05-01"
    assert from_values["nameservers"] == ["ns1.acme.com.tr"]
    assert all(from_values[name] is None for name in LIST_HIDDEN_FIELDS)


def test_a_lead_without_signals_reads_as_pending_in_both_forms() -> None:
    lead = CompanyFactory.create(domain="bare.com.tr")
    LeadScoreFactory.create(company=lead, segment="Cold", score=40)
    assert not models.DomainSignals.objects.filter(company=lead).exists()

    from_models, from_values = _both_forms("bare.com.tr")

    assert from_values == from_models
    assert from_values["scan_status"] == "pending"
    assert from_values["spf"] is None
