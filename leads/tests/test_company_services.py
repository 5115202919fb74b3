"""leads.services.companies: bulk company upserts, the raw ingest log, contact enrichment."""

from __future__ import annotations

from typing import Any

import pytest

from leads.choices import RawLeadSource
from leads.models import Company, RawLead
from leads.services.companies import (
    CompanyInput,
    RawLeadInput,
    companies_upsert,
    company_contacts_update,
    raw_leads_record,
)
from leads.tests.factories import CompanyFactory
from scanning.engine.normalize import normalize_domain

pytestmark = pytest.mark.django_db


def names() -> dict[str, str]:
    return dict(Company.objects.values_list("domain", "canonical_name"))


def test_new_company_without_a_name_is_named_after_its_domain() -> None:
    result = companies_upsert(rows=[CompanyInput("acme.com")])
    assert names() == {"acme.com": "acme.com"}
    assert result.created == {"acme.com"}
    assert result["acme.com"].pk == Company.objects.get().pk


def test_supplied_name_overwrites_and_an_empty_one_keeps_the_stored_name() -> None:
    CompanyFactory.create(domain="acme.com", canonical_name="Old Name")
    CompanyFactory.create(domain="beta.com", canonical_name="Beta Ltd")
    result = companies_upsert(
        rows=[CompanyInput("acme.com", "  Acme A.Ş. "), CompanyInput("beta.com", "   ")]
    )
    assert names() == {"acme.com": "Acme A.Ş.", "beta.com": "Beta Ltd"}
    assert result.created == frozenset()
    assert result["acme.com"].canonical_name == "Acme A.Ş."


def test_a_domain_repeated_in_one_batch_is_written_once_with_the_last_given_name() -> None:
    result = companies_upsert(
        rows=[
            CompanyInput("acme.com", "First"),
            CompanyInput("acme.com", "Second"),
            CompanyInput("acme.com", ""),
        ]
    )
    assert names() == {"acme.com": "Second"}
    assert list(result) == ["acme.com"]


def test_upsert_refreshes_updated_at_of_existing_rows() -> None:
    company = CompanyFactory.create(domain="acme.com")
    before = company.updated_at
    companies_upsert(rows=[CompanyInput("acme.com")])
    company.refresh_from_db()
    assert company.updated_at > before


def test_upsert_keeps_scan_columns_it_does_not_own() -> None:
    CompanyFactory.create(domain="acme.com", provider="M365", country="TR")
    companies_upsert(rows=[CompanyInput("acme.com", "Acme")])
    assert Company.objects.values_list("provider", "country").get() == ("M365", "TR")


def test_upsert_query_count_does_not_grow_with_rows(
    django_assert_max_num_queries: Any,
) -> None:
    CompanyFactory.create(domain="existing.com")
    rows = [CompanyInput(f"d{n}.com", f"D{n}" if n % 2 else "") for n in range(200)]
    with django_assert_max_num_queries(4):
        result = companies_upsert(rows=[*rows, CompanyInput("existing.com")])
    assert len(result.created) == 200
    assert Company.objects.count() == 201


def test_nothing_to_upsert_costs_no_query(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        assert companies_upsert(rows=[]) == {}


def test_a_domain_that_is_not_normalized_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="normalized"):
        companies_upsert(rows=[CompanyInput("WWW.Acme.com")])
    assert not Company.objects.exists()


@pytest.mark.parametrize(
    "typed",
    [
        "www.www.acme.test",
        "WWW.www.acme.test",
        "https://www.www.beta.test/",
        "\uff57\uff57\uff57.\uff57\uff57\uff57.gamma.test\u3002",  # full-width www, twice
        "Şirket-Örnek.test",
    ],
)
def test_the_writer_accepts_every_domain_normalisation_produced(typed: str) -> None:
    domain = normalize_domain(typed)
    upserted = companies_upsert(rows=[CompanyInput(domain)])
    assert list(upserted) == [domain]


def test_overlong_name_is_clipped_to_the_column_width() -> None:
    companies_upsert(rows=[CompanyInput("acme.com", "A" * 400)])
    assert names()["acme.com"] == "A" * 255


def test_raw_leads_are_appended_in_one_insert_with_duplicates_kept(
    django_assert_num_queries: Any,
) -> None:
    entry = RawLeadInput(
        RawLeadSource.CSV,
        "acme.com",
        company_name="Acme",
        email="x" * 300,
        payload={"original_domain": "ACME.com", "row_index": 1},
    )
    with django_assert_num_queries(1):
        assert raw_leads_record(entries=[entry, entry]) == 2
    leads = list(RawLead.objects.all())
    assert len(leads) == 2
    assert leads[0].payload == {"original_domain": "ACME.com", "row_index": 1}
    assert len(leads[0].email) == 255
    assert leads[0].website == ""


def test_contact_update_stores_normalized_emails_score_and_pattern() -> None:
    company = CompanyFactory.create(domain="example.com")
    emails = [
        " John.Doe@example.com",
        "jane.roe@example.com",
        "x@other.com",
        "john.doe@EXAMPLE.com",
    ]
    enrichment = company_contacts_update(company=company, contact_emails=emails)
    assert enrichment.contact_quality_score == 56
    stored = Company.objects.get(pk=company.pk)
    assert stored.contact_emails == ["john.doe@example.com", "jane.roe@example.com", "x@other.com"]
    assert stored.contact_quality_score == 56
    assert stored.linkedin_pattern == "firstname.lastname"
    assert company.contact_quality_score == 56  # the caller's instance is kept in step


def test_contact_update_with_no_recognisable_pattern_stores_an_empty_pattern() -> None:
    company = CompanyFactory.create(domain="example.com", linkedin_pattern="firstname")
    company_contacts_update(company=company, contact_emails=["123@example.com"])
    stored = Company.objects.get(pk=company.pk)
    assert stored.linkedin_pattern == ""
    assert stored.contact_quality_score == 50
