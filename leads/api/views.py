"""Lead API views: thin adapters from HTTP to leads.selectors / leads.services.

The same views answer ``/api/v1/...`` and the legacy paths; responses use the field names
old clients read (see leads.api.fields).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hunter.api.domains import domain_param
from hunter.api.exceptions import DomainNotFound
from hunter.api.negotiation import FileDownloadNegotiation
from hunter.api.pagination import PageParams, paginate
from leads import selectors
from leads.api import crm, export, sales
from leads.api.breakdown import score_breakdown_record
from leads.api.fields import LIST_COLUMNS, LeadSchema, lead_list_record, lead_record
from leads.api.serializers import (
    AlertConfigSchema,
    AlertConfigSerializer,
    AlertQuery,
    AlertSchema,
    DashboardSchema,
    EmailChecksSchema,
    EmailListSchema,
    EmailRequest,
    EmailValidateRequest,
    EnrichRequest,
    EnrichResponse,
    KpiSchema,
    NoteSchema,
    TagSchema,
    alert_config_record,
    alert_record,
    lead_filter_parameters,
    note_record,
    tag_record,
)
from leads.emails import check_email, generic_emails
from leads.models import Company
from leads.services.alert_configs import alert_config_upsert
from leads.services.companies import company_contacts_update

DOMAIN = OpenApiParameter("domain", str, OpenApiParameter.PATH, description="Company domain")


def scanned_company(raw_domain: str) -> Company:
    """The scanned lead for a path domain: 400 if it is not a domain, 404 if not scanned."""
    company = ingested_company(raw_domain)
    if not selectors.company_is_scored(company):
        raise DomainNotFound(f"Lead not scanned yet: {company.domain}")
    return company


def ingested_company(raw_domain: str) -> Company:
    """The company for a path domain: 400 if it is not a domain, 404 if never ingested."""
    domain = domain_param(raw_domain)
    company = selectors.company_get(domain=domain)
    if company is None:
        raise DomainNotFound(f"Domain not found: {domain}")
    return company


LeadPage = inline_serializer(
    "LeadPage",
    {
        "leads": LeadSchema(many=True),
        "total": serializers.IntegerField(),
        "page": serializers.IntegerField(),
        "page_size": serializers.IntegerField(),
        "total_pages": serializers.IntegerField(),
    },
)


class LeadListView(APIView):
    """Scanned leads, filtered, sorted and paginated in SQL."""

    @extend_schema(
        operation_id="leads_list",
        parameters=[*lead_filter_parameters(), PageParams],
        responses=LeadPage,
    )
    def get(self, request: Request) -> Response:
        wanted = PageParams(data=request.query_params)
        page_errors = {} if wanted.is_valid() else dict(wanted.errors)
        try:
            leads = selectors.lead_list(
                filters=request.query_params, user=request.user, columns=LIST_COLUMNS
            )
        except DjangoValidationError as error:
            # Every wrong parameter in one answer, the page's too.
            raise serializers.ValidationError({**error.message_dict, **page_errors}) from error
        if page_errors:
            raise serializers.ValidationError(page_errors)
        page = paginate(leads, **wanted.validated_data)
        rows = [lead_list_record(lead) for lead in page.rows]
        return Response(page.body("leads", rows))


class LeadExportView(APIView):
    """The filtered lead list as a CSV (UTF-8 with BOM) or XLSX download."""

    content_negotiation_class = FileDownloadNegotiation

    @extend_schema(
        parameters=[export.ExportQuery],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, (200, export.XLSX): OpenApiTypes.BINARY},
    )
    def get(self, request: Request) -> HttpResponseBase:
        query = export.ExportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = {k: v for k, v in request.query_params.items() if k in export.FILTER_KEYS}
        leads = selectors.lead_list(filters=filters, user=request.user)
        return export.export_response(leads, query.validated_data["format"])


class LeadDetailView(APIView):
    @extend_schema(parameters=[DOMAIN], responses=LeadSchema)
    def get(self, request: Request, domain: str) -> Response:
        return Response(lead_record(scanned_company(domain)))


class ScoreBreakdownView(APIView):
    """How the stored signals add up to the score, with the P-model classification."""

    @extend_schema(parameters=[DOMAIN], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, domain: str) -> Response:
        return Response(score_breakdown_record(scanned_company(domain)))


class SalesSummaryView(APIView):
    """What to offer a lead and how to approach it, from its stored signals and score."""

    @extend_schema(parameters=[DOMAIN], responses=sales.SalesSummarySchema)
    def get(self, request: Request, domain: str) -> Response:
        return Response(sales.sales_summary_response(request, domain))


class SummaryPdfView(APIView):
    """The one-page PDF account summary of a scanned lead."""

    content_negotiation_class = FileDownloadNegotiation

    @extend_schema(parameters=[DOMAIN], responses={(200, sales.PDF): OpenApiTypes.BINARY})
    def get(self, request: Request, domain: str) -> HttpResponseBase:
        return sales.summary_pdf_response(domain)


class LeadEnrichView(APIView):
    """Store contact e-mails for a company and derive the quality score and name pattern."""

    @extend_schema(parameters=[DOMAIN], request=EnrichRequest, responses=EnrichResponse)
    def post(self, request: Request, domain: str) -> Response:
        company = ingested_company(domain)
        body = EnrichRequest(data=request.data)
        body.is_valid(raise_exception=True)
        result = company_contacts_update(
            company=company, contact_emails=body.validated_data["contact_emails"]
        )
        return Response(
            {
                "domain": company.domain,
                "contact_emails": list(result.contact_emails),
                "contact_quality_score": result.contact_quality_score,
                "linkedin_pattern": result.linkedin_pattern,
                "message": "Contact enrichment completed",
            }
        )


class NotesView(APIView):
    @extend_schema(parameters=[DOMAIN], responses=NoteSchema(many=True))
    def get(self, request: Request, domain: str) -> Response:
        company = ingested_company(domain)
        return Response([note_record(n, company) for n in selectors.lead_notes(company=company)])

    @extend_schema(parameters=[DOMAIN], request=crm.NoteBody, responses={410: crm.GoneSchema})
    def post(self, request: Request, domain: str) -> Response:
        return crm.gone(request, "POST /leads/{domain}/notes", domain, crm.NoteBody)


class NoteDetailView(APIView):
    NOTE_ID = OpenApiParameter("note_id", int, OpenApiParameter.PATH)

    @extend_schema(
        parameters=[DOMAIN, NOTE_ID], request=crm.NoteBody, responses={410: crm.GoneSchema}
    )
    def put(self, request: Request, domain: str, note_id: int) -> Response:
        return crm.gone(request, "PUT /leads/{domain}/notes/{note_id}", domain, crm.NoteBody)

    @extend_schema(parameters=[DOMAIN, NOTE_ID], responses={410: crm.GoneSchema})
    def delete(self, request: Request, domain: str, note_id: int) -> Response:
        return crm.gone(request, "DELETE /leads/{domain}/notes/{note_id}", domain)


class TagsView(APIView):
    @extend_schema(parameters=[DOMAIN], responses=TagSchema(many=True))
    def get(self, request: Request, domain: str) -> Response:
        company = ingested_company(domain)
        return Response([tag_record(t, company) for t in selectors.lead_tags(company=company)])

    @extend_schema(parameters=[DOMAIN], request=crm.TagBody, responses={410: crm.GoneSchema})
    def post(self, request: Request, domain: str) -> Response:
        return crm.gone(request, "POST /leads/{domain}/tags", domain, crm.TagBody)


class TagDetailView(APIView):
    TAG_ID = OpenApiParameter("tag_id", int, OpenApiParameter.PATH)

    @extend_schema(parameters=[DOMAIN, TAG_ID], responses={410: crm.GoneSchema})
    def delete(self, request: Request, domain: str, tag_id: int) -> Response:
        return crm.gone(request, "DELETE /leads/{domain}/tags/{tag_id}", domain)


class FavoriteView(APIView):
    @extend_schema(parameters=[DOMAIN], request=None, responses={410: crm.GoneSchema})
    def post(self, request: Request, domain: str) -> Response:
        return crm.gone(request, "POST /leads/{domain}/favorite", domain)

    @extend_schema(parameters=[DOMAIN], responses={410: crm.GoneSchema})
    def delete(self, request: Request, domain: str) -> Response:
        return crm.gone(request, "DELETE /leads/{domain}/favorite", domain)


class DashboardView(APIView):
    @extend_schema(responses=DashboardSchema)
    def get(self, request: Request) -> Response:
        stats = selectors.dashboard_stats(high_priority_score=settings.HUNTER_HIGH_PRIORITY_SCORE)
        keys = ("total_leads", "migration", "existing", "cold", "skip", "avg_score", "max_score")
        return Response({**{k: stats[k] for k in keys}, "high_priority": stats["high_priority"]})


class KpiView(APIView):
    @extend_schema(responses=KpiSchema)
    def get(self, request: Request) -> Response:
        stats = selectors.dashboard_stats(high_priority_score=settings.HUNTER_HIGH_PRIORITY_SCORE)
        return Response(
            {
                "total_leads": stats["total_leads"],
                "migration_leads": stats["migration"],
                "high_priority": stats["high_priority"],
                "max_score": stats["max_score"],
            }
        )


class AlertListView(APIView):
    @extend_schema(parameters=[AlertQuery], responses=AlertSchema(many=True))
    def get(self, request: Request) -> Response:
        query = AlertQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = dict(query.validated_data)
        limit = filters.pop("limit")
        alerts = selectors.alert_list(**filters)[:limit]
        return Response([alert_record(alert) for alert in alerts])


class AlertConfigView(APIView):
    """The signed-in user's alert configurations (an API key acts for its owner)."""

    @extend_schema(responses=AlertConfigSchema(many=True))
    def get(self, request: Request) -> Response:
        user_id = request.user.pk
        if user_id is None:
            return Response([])
        return Response(
            [alert_config_record(c) for c in selectors.alert_configs_of(user_id=user_id)]
        )

    @extend_schema(request=AlertConfigSerializer, responses={201: AlertConfigSchema})
    def post(self, request: Request) -> Response:
        if request.user.pk is None:
            raise serializers.ValidationError(
                {"detail": "Alert configurations belong to a user: use a session or an owned key."}
            )
        body = AlertConfigSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        config = alert_config_upsert(user_id=request.user.pk, **body.validated_data)
        return Response(alert_config_record(config), status=201)


class EmailGenerateView(APIView):
    """The generic mailbox addresses of a domain (info@, sales@, ...)."""

    @extend_schema(request=EmailRequest, responses=EmailListSchema)
    def post(self, request: Request) -> Response:
        body = EmailRequest(data=request.data)
        body.is_valid(raise_exception=True)
        domain = domain_param(body.validated_data["domain"])
        return Response({"domain": domain, "emails": generic_emails(domain)})


class EmailValidateView(APIView):
    """Generic addresses with syntax and MX checks from the last scan; SMTP is never probed."""

    @extend_schema(request=EmailValidateRequest, responses=EmailChecksSchema)
    def post(self, request: Request) -> Response:
        body = EmailValidateRequest(data=request.data)
        body.is_valid(raise_exception=True)
        domain = domain_param(body.validated_data["domain"])
        has_mx = selectors.company_accepts_mail(domain=domain)
        checks = [vars(check_email(email, has_mx=has_mx)) for email in generic_emails(domain)]
        return Response({"domain": domain, "emails": checks})
