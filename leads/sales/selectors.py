"""Reads for the sales summary and the PDF account summary: stored rows in, plain values out.

This is the only module of ``leads.sales`` that knows model field names (Company,
DomainSignals, LeadScore), so a renamed column is fixed here and nowhere else. Each selector
runs one query: the company joined to its signal and score rows.

Domains are expected normalised (the caller validates input and answers 400 for an invalid
domain); an unknown domain gives None, which the caller answers with 404.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from leads.models import Company, DomainSignals, LeadScore
from leads.priority import priority_score
from leads.sales.engine import SalesInput, SalesSummary, sales_summary
from leads.sales.pdf import AccountSummary


def _company(domain: str) -> Company | None:
    """The company with its signal and score rows, in one query (both may be missing)."""
    return Company.objects.select_related("signals", "score").filter(domain=domain).first()


def _signals(company: Company) -> DomainSignals | None:
    return getattr(company, "signals", None)


def _score(company: Company) -> LeadScore | None:
    return getattr(company, "score", None)


def _text(value: str) -> str | None:
    """Stored text columns use "" for absent; the engine and the PDF use None."""
    return value or None


def _priority(score: LeadScore | None) -> int | None:
    # A lead that was never scored has no priority yet (the engine's missing-priority default),
    # rather than the 7 that priority_score gives to a missing score.
    if score is None or score.score is None:
        return None
    return priority_score(score.segment, score.score)


def sales_input_from_rows(
    company: Company, signals: DomainSignals | None, score: LeadScore | None
) -> SalesInput:
    """The sales engine's input from one company's stored rows.

    There is no IP enrichment data yet, so the IP context (country, proxy) and the
    infrastructure summary stay empty.
    """
    return SalesInput(
        domain=company.domain,
        provider=_text(company.provider),
        tenant_size=_text(company.tenant_size),
        local_provider=_text(signals.local_provider) if signals else None,
        mx_root=_text(signals.mx_root) if signals else None,
        spf=signals.spf if signals else None,
        dkim=signals.dkim if signals else None,
        dmarc_policy=_text(signals.dmarc_policy) if signals else None,
        dmarc_coverage=signals.dmarc_coverage if signals else None,
        expires_at=signals.expires_at if signals else None,
        segment=score.segment if score else None,
        readiness_score=score.score if score else None,
        priority_score=_priority(score),
        contact_quality_score=company.contact_quality_score,
        mta_sts=_text(signals.mta_sts) if signals else None,
        tls_rpt=_text(signals.tls_rpt) if signals else None,
        bimi=_text(signals.bimi) if signals else None,
        dnssec=signals.dnssec if signals else None,
    )


def lead_sales_input(*, domain: str) -> SalesInput | None:
    """The sales engine's input for a normalised domain; None when the company is unknown.

    A company that was never scanned still gets an input (its signal and score fields are
    None), so the sales summary falls back to its defaults. One query.
    """
    company = _company(domain)
    if company is None:
        return None
    return sales_input_from_rows(company, _signals(company), _score(company))


def lead_sales_summary(*, domain: str) -> SalesSummary | None:
    """The sales summary of a normalised domain, or None when the company is unknown.

    For ``GET /leads/{domain}/sales-summary``: answer ``summary.as_dict()`` (the frozen v1
    response), 404 on None. Tuned by ``HUNTER_SALES_ENGINE_OPPORTUNITY_FACTOR``. One query.
    """
    company = _company(domain)
    return company_sales_summary(company) if company is not None else None


def company_sales_summary(company: Company) -> SalesSummary:
    """The sales summary of a company read with its signals and score (no query of its own)."""
    inp = sales_input_from_rows(company, _signals(company), _score(company))
    factor = settings.HUNTER_SALES_ENGINE_OPPORTUNITY_FACTOR
    return sales_summary(inp, tuning_factor=factor, now=timezone.now())


def account_summary_from_rows(
    company: Company, signals: DomainSignals, score: LeadScore | None
) -> AccountSummary:
    """What the PDF account summary shows of one scanned company."""
    return AccountSummary(
        domain=company.domain,
        company_name=_text(company.canonical_name),
        provider=_text(company.provider),
        country=_text(company.country),
        spf=signals.spf,
        dkim=signals.dkim,
        dmarc_policy=_text(signals.dmarc_policy),
        readiness_score=score.score if score else None,
        segment=score.segment if score else None,
        priority_score=priority_score(score.segment, score.score) if score else 7,
        mx_root=_text(signals.mx_root),
        registrar=_text(signals.registrar),
        expires_at=signals.expires_at,
        nameservers=tuple(str(name) for name in signals.nameservers or ()),
        reason=_text(score.reason) if score else None,
    )


def lead_account_summary(*, domain: str) -> AccountSummary | None:
    """The PDF data of a normalised domain; None when it is unknown or was never scanned.

    For ``GET /leads/{domain}/summary.pdf``: ``render_summary_pdf(summary,
    generated_at=timezone.localtime())`` from ``leads.sales.pdf`` gives the bytes (media type
    application/pdf, labels in the active language), ``summary_pdf_filename(domain)`` the
    download name; 404 on None. One query.
    """
    company = _company(domain)
    signals = _signals(company) if company else None
    if company is None or signals is None:
        return None
    return account_summary_from_rows(company, signals, _score(company))
