"""The lead table of the sales pages: which columns, how each cell reads, what each sorts by.

Sorting is not done by django-tables2: the shared ``LeadFilterSet`` sorts (``sort_by`` /
``sort_order`` in the URL), so the page, the export and the API order rows the same way.
``SORT_KEYS`` maps a column to the FilterSet's ``sort_by`` value.

Nor are the cells: django-tables2 renders each cell by introspecting its ``render_*``
method's signature and rendering a small template per cell, about 1.5 ms a row, which made
a 50-lead page several times slower than its queries. ``cell_rows`` calls the same
``render_*`` methods directly, one per column, and the template prints what they return.
"""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from leads.models import Company
from leads.presentation import priority_label, provider_label, score_band, segment_label

SORT_KEYS = {
    "priority": "priority_score",
    "domain": "domain",
    "provider": "provider",
    "segment": "segment",
    "score": "readiness_score",
    "scanned_at": "scanned_at",
}


def priority_badge(category: str | None, priority: int | None) -> SafeString:
    """A P1-P6 badge with its label as tooltip; the 1-7 priority when no category is stored."""
    if category:
        label = priority_label(category)
        return format_html(
            '<span class="badge badge-{}" title="{}">{}<span class="visually-hidden"> {}</span>'
            "</span>",
            category.lower(),
            label,
            category,
            label,
        )
    return format_html(
        '<span class="badge badge-rank" title="{}">{}</span>',
        _("Priority %(n)s of 7") % {"n": priority},
        priority if priority is not None else "-",
    )


def provider_badge(provider: str | None, tooltips: dict[str, str]) -> SafeString:
    """A provider badge; the tooltip gives the points the rules give that provider."""
    return format_html(
        '<span class="badge badge-provider" title="{}">{}</span>',
        tooltips.get(provider or "", ""),
        provider_label(provider),
    )


def segment_badge(segment: str | None, tooltips: dict[str, str]) -> SafeString:
    """A segment badge; the tooltip says which rules put a lead in that segment."""
    return format_html(
        '<span class="badge badge-segment badge-segment-{}" title="{}">{}</span>',
        (segment or "none").lower(),
        tooltips.get(segment or "", ""),
        segment_label(segment),
    )


class LeadTable(tables.Table):
    """Scanned leads: priority badge, domain (link), company, provider, segment, score, scan."""

    priority = tables.Column(
        verbose_name=_("Priority"), accessor="score__priority_category", empty_values=()
    )
    domain = tables.Column(verbose_name=_("Domain"))
    canonical_name = tables.Column(verbose_name=_("Company"))
    provider = tables.Column(verbose_name=_("Provider"), empty_values=())
    segment = tables.Column(verbose_name=_("Segment"), accessor="score__segment", empty_values=())
    score = tables.Column(verbose_name=_("Score"), accessor="score__score")
    scanned_at = tables.Column(verbose_name=_("Last scan"), accessor="signals__scanned_at")

    sort_keys = SORT_KEYS

    class Meta:
        model = Company
        fields = ("priority", "domain", "canonical_name", "provider", "segment", "score")
        orderable = False
        template_name = "leads/inc/lead_table.html"
        attrs = {"class": "table lead-table"}

    def __init__(self, *args: Any, tooltips: dict[str, dict[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tooltips = tooltips

    def cell_rows(self) -> list[list[SafeString]]:
        """Every row's cells as HTML, in column order: ``render_<column>(record)`` each."""
        renderers = [getattr(self, f"render_{column.name}") for column in self.columns]
        return [[render(record) for render in renderers] for record in self.data]

    # Each takes the row's record: values of choice fields would arrive as display text.
    def render_priority(self, record: Company) -> SafeString:
        return priority_badge(record.score.priority_category, record.score.priority_score)

    def render_domain(self, record: Company) -> SafeString:
        url = reverse("leads:detail", args=[record.domain])
        return format_html('<a href="{}">{}</a>', url, record.domain)

    def render_canonical_name(self, record: Company) -> SafeString:
        return conditional_escape(record.canonical_name)

    def render_provider(self, record: Company) -> SafeString:
        return provider_badge(record.provider, self.tooltips["provider"])

    def render_segment(self, record: Company) -> SafeString:
        return segment_badge(record.score.segment, self.tooltips["segment"])

    def render_score(self, record: Company) -> SafeString:
        score = record.score.score
        return format_html('<span class="score score-{}">{}</span>', score_band(score), score)

    def render_scanned_at(self, record: Company) -> SafeString:
        signals = getattr(record, "signals", None)
        if signals is None or signals.scanned_at is None:
            return conditional_escape("—")
        scanned_on = timezone.localtime(signals.scanned_at)  # the reader's day, not UTC's
        return conditional_escape(formats.date_format(scanned_on, "SHORT_DATE_FORMAT"))


def export_rows(leads: Any) -> Any:
    """Header and one row per lead of the export: the same columns as the table, as values."""
    yield [
        str(_("Priority")),
        str(_("Priority label")),
        str(_("Domain")),
        str(_("Company")),
        str(_("Provider")),
        str(_("Segment")),
        str(_("Score")),
        str(_("Last scan")),
    ]
    for lead in leads:
        score, signals = lead.score, getattr(lead, "signals", None)
        yield [
            score.priority_category or score.priority_score,
            priority_label(score.priority_category) or "",
            lead.domain,
            lead.canonical_name,
            lead.provider,
            score.segment or "",
            score.score,
            signals.scanned_at.date().isoformat() if signals else "",
        ]
