"""leads.sales.selectors: the sales engine's input and the PDF data from stored rows."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pytest_django import DjangoAssertNumQueries

from leads import models
from leads.sales.selectors import (
    lead_account_summary,
    lead_sales_input,
    lead_sales_summary,
)
from leads.tests.factories import CompanyFactory, DomainSignalsFactory, LeadScoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scanned() -> models.Company:
    company = CompanyFactory.create(
        domain="igdirseker.com.tr",
        canonical_name="Iğdır Şeker Üretim A.Ş.",
        provider="Local",
        tenant_size="",
        contact_quality_score=40,
    )
    DomainSignalsFactory.create(
        company=company,
        provider="Local",
        local_provider="Natro",
        mx_root="natro.com",
        spf=True,
        dkim=False,
        dmarc_policy="",
        dmarc_coverage=None,
        expires_at=date(2030, 1, 2),
    )
    LeadScoreFactory.create(company=company, score=0, segment="Skip", reason="Hard-fail")
    return company


def test_sales_input_maps_stored_rows_and_blank_text_to_none(scanned: models.Company) -> None:
    inp = lead_sales_input(domain=scanned.domain)
    assert inp is not None
    assert (inp.provider, inp.local_provider, inp.mx_root) == ("Local", "Natro", "natro.com")
    assert (inp.spf, inp.dkim, inp.dmarc_policy, inp.dmarc_coverage) == (True, False, None, None)
    assert (inp.tenant_size, inp.contact_quality_score) == (None, 40)
    assert inp.expires_at == date(2030, 1, 2)
    assert (inp.ip_country, inp.is_proxy, inp.infrastructure_summary) == (None, False, None)


def test_a_stored_score_of_zero_stays_zero_with_its_computed_priority(
    scanned: models.Company,
) -> None:
    inp = lead_sales_input(domain=scanned.domain)
    assert inp is not None
    assert (inp.segment, inp.readiness_score, inp.priority_score) == ("Skip", 0, 7)


def test_unscanned_company_gets_an_input_of_unknowns() -> None:
    company = CompanyFactory.create(provider="")
    inp = lead_sales_input(domain=company.domain)
    assert inp is not None
    assert (inp.provider, inp.spf, inp.segment, inp.priority_score) == (None, None, None, None)


def test_unknown_domain_gives_none() -> None:
    assert lead_sales_input(domain="nowhere.example") is None
    assert lead_sales_summary(domain="nowhere.example") is None
    assert lead_account_summary(domain="nowhere.example") is None


def test_sales_input_runs_one_query(
    scanned: models.Company, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1):
        lead_sales_input(domain=scanned.domain)


def test_sales_summary_runs_one_query_and_reads_the_tuning_factor(
    scanned: models.Company,
    django_assert_num_queries: DjangoAssertNumQueries,
    settings: Any,
) -> None:
    with django_assert_num_queries(1):
        plain = lead_sales_summary(domain=scanned.domain)
    settings.HUNTER_SALES_ENGINE_OPPORTUNITY_FACTOR = 2.0
    doubled = lead_sales_summary(domain=scanned.domain)
    assert plain is not None
    assert doubled is not None
    # Skip 5 + score 0 → 0 + priority 7 → 2 + unknown size 3 + contact 40 → 2
    assert plain.opportunity_potential == 12
    assert doubled.opportunity_potential == 24
    assert doubled.opportunity_rationale.tuning_factor == 2.0


def test_account_summary_runs_one_query_and_carries_the_pdf_fields(
    scanned: models.Company, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1):
        summary = lead_account_summary(domain=scanned.domain)
    assert summary is not None
    assert summary.company_name == "Iğdır Şeker Üretim A.Ş."
    assert (summary.readiness_score, summary.segment, summary.priority_score) == (0, "Skip", 7)
    assert summary.nameservers == ("ns1.example.net", "ns2.example.net")
    assert (summary.dmarc_policy, summary.reason) == (None, "Hard-fail")


def test_company_without_signals_has_no_account_summary() -> None:
    company = CompanyFactory.create()
    assert lead_account_summary(domain=company.domain) is None


def test_scanned_company_without_a_score_row_gets_priority_7() -> None:
    signals = DomainSignalsFactory.create()
    summary = lead_account_summary(domain=signals.company.domain)
    assert summary is not None
    assert (summary.readiness_score, summary.priority_score) == (None, 7)


@pytest.mark.django_db
def test_the_sales_input_carries_the_stored_posture_records() -> None:
    company = CompanyFactory.create(domain="posture.com")
    DomainSignalsFactory.create(company=company, mta_sts="valid", tls_rpt="absent", dnssec=True)
    LeadScoreFactory.create(company=company)

    inp = lead_sales_input(domain="posture.com")

    assert inp is not None
    assert (inp.mta_sts, inp.tls_rpt, inp.bimi, inp.dnssec) == ("valid", "absent", None, True)
