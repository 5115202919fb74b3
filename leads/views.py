"""The sales team's lead pages: dashboard, lead lists per segment, lead detail, alerts, export.

Views only glue: selectors read, ``LeadFilterSet`` filters and sorts, ``leads.presentation``
words things, templates render. Rescans are started from ``scanning.views`` (the leads app
never imports scanning's Django modules).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from hunter.pagination import ClampingPaginator, IdFirstPaginator
from leads import presentation
from leads.choices import Segment
from leads.exports import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    leads_export_csv,
    leads_export_xlsx,
)
from leads.filtersets import LeadFilterSet
from leads.models import Company
from leads.sales.pdf import render_summary_pdf, summary_pdf_filename
from leads.sales.selectors import company_sales_summary, lead_account_summary
from leads.selectors import (
    alert_list,
    dashboard_figures,
    lead_detail_get,
    lead_list,
)
from leads.tables import LeadTable

LEADS_PER_PAGE = 50
ALERTS_PER_PAGE = 50
DASHBOARD_ALERTS = 5

# URL slug -> segment; "" is the list of every lead.
SEGMENT_PAGES: dict[str, tuple[str | None, Any]] = {
    "": (None, gettext_lazy("All leads")),
    "existing": (Segment.EXISTING, gettext_lazy("Existing customers")),
    "migration": (Segment.MIGRATION, gettext_lazy("Migration leads")),
    "cold": (Segment.COLD, gettext_lazy("Cold leads")),
    "skip": (Segment.SKIP, gettext_lazy("Skipped leads")),
}
EXPORTS = {
    "csv": (leads_export_csv, CSV_CONTENT_TYPE),
    "xlsx": (leads_export_xlsx, XLSX_CONTENT_TYPE),
}


# --- dashboard ------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    kpis, charts = dashboard_figures()
    context = {
        "kpis": kpis,
        "chart_data": _chart_data(charts),
        "latest_alerts": list(alert_list()[:DASHBOARD_ALERTS]),
    }
    return render(request, "leads/dashboard.html", context)


def _chart_data(charts: dict[str, list[tuple[str, int]]]) -> dict[str, Any]:
    """Labels and values per chart, labels translated for the reader."""
    data = {}
    for kind, rows in charts.items():
        keys = [key for key, _count in rows]
        data[kind] = {
            "labels": presentation.chart_labels(kind, keys),
            "values": [count for _key, count in rows],
        }
    return data


# --- lead lists -----------------------------------------------------------------------------


def _segment_page(slug: str) -> tuple[str | None, Any]:
    if slug not in SEGMENT_PAGES:
        raise Http404(_("There is no such lead list."))
    return SEGMENT_PAGES[slug]


def _list_params(query: QueryDict, segment: str | None) -> QueryDict:
    """The filter parameters of a list page: the URL's, with the page's segment fixed."""
    params = query.copy()
    params.pop("page", None)
    if segment is not None:
        params["segment"] = segment
    return params


def _tooltips() -> dict[str, dict[str, str]]:
    return {
        "segment": presentation.segment_tooltips(),
        "provider": presentation.provider_tooltips(),
    }


@login_required
@require_GET
def lead_list_page(request: HttpRequest, segment_slug: str = "") -> HttpResponse:
    segment, title = _segment_page(segment_slug)
    params = _list_params(request.GET, segment)
    filterset = LeadFilterSet(params, queryset=Company.objects.none(), user_id=request.user.pk)
    _adapt_form(filterset.form, fixed_segment=segment is not None)
    try:
        leads: QuerySet[Company] = lead_list(filters=params, user=request.user)
    except ValidationError:  # the form shows each field's error; the list stays empty
        leads = Company.objects.none()
    page = IdFirstPaginator(leads, LEADS_PER_PAGE).page(request.GET.get("page", 1))
    table = LeadTable(
        page.object_list, tooltips=_tooltips(), empty_text=_("No leads match these filters.")
    )
    context = {
        "title": title,
        "segment_slug": segment_slug,
        "segment_pages": [(slug, label) for slug, (_seg, label) in SEGMENT_PAGES.items()],
        "filter_form": filterset.form,
        "filters_applied": _filters_applied(request.GET),
        "table": table,
        "page": page,
        "export_query": params.urlencode(),
    }
    return render(request, "leads/lead_list.html", context)


def _adapt_form(form: Any, *, fixed_segment: bool) -> None:
    """The shared filter form as a page shows it: translated P-category labels, sorting
    carried in hidden fields (the column headers set it), no segment on a segment's page."""
    if fixed_segment:
        del form.fields["segment"]
    blank = [("", "---------")]
    form.fields["priority_category"].choices = blank + [
        (category, f"{category} {label}")
        for category, label in presentation.PRIORITY_LABELS.items()
    ]
    for name in ("sort_by", "sort_order"):
        form.fields[name].widget = forms.HiddenInput()
    # A box to tick, sending the "true" the API reads too (so the export keeps the filter).
    form.fields["favorite"].widget = forms.CheckboxInput(attrs={"value": "true"})


def _filters_applied(query: QueryDict) -> bool:
    ignored = {"page", "sort_by", "sort_order"}
    return any(value for key, value in query.items() if key not in ignored)


@login_required
@require_GET
def lead_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The filtered, sorted list (every page) as a CSV or Excel download."""
    if fmt not in EXPORTS:
        raise Http404(_("Exports are available as CSV or Excel."))
    try:
        leads = lead_list(filters=request.GET, user=request.user)
    except ValidationError:
        return render(
            request,
            "leads/message.html",
            {"message": _("The filters of this export are not valid. Fix them on the list.")},
            status=400,
        )
    writer, content_type = EXPORTS[fmt]
    response = StreamingHttpResponse(writer(leads), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="hunter-leads.{fmt}"'
    return response


# --- one lead -------------------------------------------------------------------------------


@login_required
@require_GET
def lead_detail(request: HttpRequest, domain: str) -> HttpResponse:
    company = lead_detail_get(domain=domain.strip().lower())
    if company is None:
        message = _("No lead with the domain %(domain)s. Upload it or scan it first.")
        return _not_found(request, message % {"domain": domain})
    score = getattr(company, "score", None)
    context = {
        "company": company,
        "signals": getattr(company, "signals", None),
        "score": score,
        "reasons": presentation.reasons(score.reasons if score else []),
        "tooltips": _tooltips(),
        "sales": company_sales_summary(company).as_dict(),
    }
    return render(request, "leads/lead_detail.html", context)


@login_required
@require_GET
def lead_summary_pdf(request: HttpRequest, domain: str) -> HttpResponse:
    """The account summary of one scanned lead as a PDF download."""
    summary = lead_account_summary(domain=domain.strip().lower())
    if summary is None:
        message = _("No scanned lead with the domain %(domain)s. Scan it first.")
        return _not_found(request, message % {"domain": domain})
    pdf = render_summary_pdf(summary, generated_at=timezone.localtime())
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = summary_pdf_filename(summary.domain)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    """A 404 that tells a salesperson, in plain words, what to do instead."""
    return render(request, "leads/message.html", {"message": message}, status=404)


# --- alerts ---------------------------------------------------------------------------------


@login_required
@require_GET
def alerts_page(request: HttpRequest) -> HttpResponse:
    paginator = ClampingPaginator(alert_list(), ALERTS_PER_PAGE)
    page = paginator.page(request.GET.get("page", 1))
    return render(request, "leads/alerts.html", {"page": page})
