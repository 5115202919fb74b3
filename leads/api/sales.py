"""The sales summary and the PDF account summary of one lead, as API responses.

The summary's field names are the engine's own (a frozen contract: fields may be added,
never renamed), so ``SalesSummary.as_dict()`` is the response; this module documents that
shape and logs each view without personal data.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request

from hunter.api.domains import domain_param
from hunter.api.exceptions import DomainNotFound
from leads.api.fields import schema_serializer
from leads.sales.engine import SalesSummary
from leads.sales.pdf import render_summary_pdf, summary_pdf_filename
from leads.sales.selectors import lead_account_summary, lead_sales_summary

logger = structlog.get_logger("hunter.api")
PDF = "application/pdf"


def _text(nullable: bool = False) -> serializers.CharField:
    return serializers.CharField(allow_null=nullable)


def _int(nullable: bool = False) -> serializers.IntegerField:
    return serializers.IntegerField(allow_null=nullable)


# A risk level and an urgency share these words: one named enum in the schema serves both.
LEVELS = ("low", "medium", "high")


def _texts() -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField())


_SecuritySchema = schema_serializer(
    "SalesSecurityReasoning",
    {
        "risk_level": serializers.ChoiceField(LEVELS),
        "summary": _text(),
        "details": _texts(),
        "sales_angle": _text(),
        "recommended_action": _text(),
    },
)
_OfferSchema = schema_serializer(
    "SalesOfferTier",
    {
        "tier": _text(),
        "license": _text(),
        "price_per_user_per_month": _int(),
        "migration_fee": _int(),
        "defender_price_per_user_per_month": _int(nullable=True),
        "consulting_fee": _int(nullable=True),
        "recommendation": _text(),
    },
)
_FactorSchema = schema_serializer(
    "SalesOpportunityFactor",
    {
        "name": _text(),
        "weight": serializers.FloatField(),
        # The factor's input as read: a segment or size name, a score, or nothing.
        "raw": serializers.JSONField(allow_null=True),
        "score": _int(),
        "comment": _text(),
    },
)
_RationaleSchema = schema_serializer(
    "SalesOpportunityRationale",
    {
        "total": _int(),
        "factors": _FactorSchema(many=True),
        "tuning_factor": serializers.FloatField(),
        "summary": _text(),
    },
)
_NextStepSchema = schema_serializer(
    "SalesNextStep",
    {
        "action": _text(),
        "timeline": _text(),
        "priority": _text(),
        "message": _text(),
        "internal_note": _text(),
    },
)
_MetadataSchema = schema_serializer(
    "SalesMetadata",
    {
        "domain": _text(),
        "provider": _text(nullable=True),
        "segment": _text(nullable=True),
        "readiness_score": _int(nullable=True),
        "priority_score": _int(nullable=True),
        "tenant_size": _text(nullable=True),
        "local_provider": _text(nullable=True),
        "generated_at": serializers.DateTimeField(),
    },
)
SalesSummarySchema = schema_serializer(
    "SalesSummary",
    {
        "domain": _text(),
        "one_liner": _text(),
        "segment_explanation": _text(),
        "provider_reasoning": _text(),
        "security_reasoning": _SecuritySchema(allow_null=True),
        "call_script": _texts(),
        "discovery_questions": _texts(),
        "offer_tier": _OfferSchema(),
        "opportunity_potential": serializers.IntegerField(min_value=0, max_value=100),
        "opportunity_rationale": _RationaleSchema(),
        "urgency": serializers.ChoiceField(LEVELS),
        "next_step": _NextStepSchema(),
        "metadata": _MetadataSchema(),
    },
)


def sales_summary_response(request: Request, raw_domain: str) -> dict[str, Any]:
    """The sales summary of a path domain: 400 if it is not a domain, 404 if never ingested."""
    domain = domain_param(raw_domain)
    summary = lead_sales_summary(domain=domain)
    if summary is None:
        raise DomainNotFound(f"Domain not found: {domain}")
    _log_viewed(request, summary)
    return summary.as_dict()


def _log_viewed(request: Request, summary: SalesSummary) -> None:
    # Who looked at which lead and what it was worth: ids and categories, no names or e-mails.
    logger.info(
        "sales_summary_viewed",
        domain=summary.domain,
        user_id=request.user.pk,
        segment=summary.metadata.segment,
        offer_tier=summary.offer_tier.tier,
        opportunity=summary.opportunity_potential,
        urgency=summary.urgency,
        tenant_size=summary.metadata.tenant_size,
        provider=summary.metadata.provider,
    )


def summary_pdf_response(raw_domain: str) -> HttpResponse:
    """The PDF account summary of a path domain: 400 invalid, 404 unknown or never scanned."""
    domain = domain_param(raw_domain)
    summary = lead_account_summary(domain=domain)
    if summary is None:
        raise DomainNotFound(f"Domain not found or not scanned yet: {domain}")
    body = render_summary_pdf(summary, generated_at=timezone.localtime())
    response = HttpResponse(body, content_type=PDF)
    response["Content-Disposition"] = f'attachment; filename="{summary_pdf_filename(domain)}"'
    return response
