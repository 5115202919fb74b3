"""Writes of companies and the raw ingest log.

Bulk by design: an upload batch of 500 rows costs a handful of queries, never one per row.
Callers pass domains already normalized by ``scanning.engine.normalize``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from leads.choices import RawLeadSource
from leads.enrichment import ContactEnrichment, enrich_contacts
from leads.models import Company, RawLead
from scanning.engine.normalize import normalize_domain

TEXT_MAX = 255  # every text column written here is varchar(255)


@dataclass(frozen=True)
class CompanyInput:
    """One company to create or refresh: its normalized domain and the name given, if any."""

    domain: str
    canonical_name: str = ""


@dataclass(frozen=True)
class RawLeadInput:
    """One ingested record for the append-only raw_leads log, as received."""

    source: RawLeadSource | str
    domain: str
    company_name: str = ""
    email: str = ""
    website: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


class UpsertedCompanies(dict[str, Company]):
    """Companies by domain, plus which of those domains were new (``created``)."""

    def __init__(self, companies: dict[str, Company], created: Iterable[str]) -> None:
        super().__init__(companies)
        self.created = frozenset(created)


def _clip(text: str | None) -> str:
    return (text or "").strip()[:TEXT_MAX]


def _names_by_domain(rows: Sequence[CompanyInput]) -> dict[str, str]:
    """One entry per domain (an upsert may not touch a row twice); the last given name wins."""
    names: dict[str, str] = {}
    for row in rows:
        if row.domain != normalize_domain(row.domain):
            raise ValueError(f"companies_upsert needs normalized domains, got {row.domain!r}")
        name = _clip(row.canonical_name)
        names[row.domain] = name or names.get(row.domain, "")
    return names


def _upsert(companies: list[Company], update_fields: list[str]) -> None:
    if companies:
        Company.objects.bulk_create(
            companies, update_conflicts=True, unique_fields=["domain"], update_fields=update_fields
        )


def companies_upsert(*, rows: Sequence[CompanyInput]) -> UpsertedCompanies:
    """Create or refresh companies in bulk; returns them by domain with the new ones marked.

    canonical_name: a non-empty name overwrites, an empty one keeps the stored
    name, and a new company without a name is named after its domain. That is two upserts
    (named and unnamed rows take different conflict updates) plus one read before and after,
    whatever the number of rows.
    """
    names = _names_by_domain(rows)
    if not names:
        return UpsertedCompanies({}, ())
    existing = set(Company.objects.filter(domain__in=names).values_list("domain", flat=True))
    named = [Company(domain=d, canonical_name=n) for d, n in names.items() if n]
    unnamed = [Company(domain=d, canonical_name=d) for d, n in names.items() if not n]
    _upsert(named, ["canonical_name", "updated_at"])
    _upsert(unnamed, ["updated_at"])
    companies = Company.objects.in_bulk(list(names), field_name="domain")
    return UpsertedCompanies(companies, names.keys() - existing)


def raw_leads_record(*, entries: Sequence[RawLeadInput]) -> int:
    """Append ingested records to raw_leads in one insert; returns how many were written."""
    leads = [
        RawLead(
            source=entry.source,
            domain=entry.domain,
            company_name=_clip(entry.company_name),
            email=_clip(entry.email),
            website=_clip(entry.website),
            payload=entry.payload,
        )
        for entry in entries
    ]
    return len(RawLead.objects.bulk_create(leads))


def company_contacts_update(
    *, company: Company, contact_emails: Sequence[str]
) -> ContactEnrichment:
    """Store the enrichment of ``contact_emails`` on ``company`` and return it.

    The update is one statement on the row, so concurrent scans writing provider columns of
    the same company are not overwritten with stale values.
    """
    enrichment = enrich_contacts(contact_emails, company.domain)
    values = {
        "contact_emails": list(enrichment.contact_emails),
        "contact_quality_score": enrichment.contact_quality_score,
        "linkedin_pattern": enrichment.linkedin_pattern or "",
    }
    Company.objects.filter(pk=company.pk).update(**values, updated_at=timezone.now())
    for name, value in values.items():
        setattr(company, name, value)
    return enrichment
