"""The lead table of the sales pages: which columns, how each cell reads, what each sorts by.

Sorting is not done by django-tables2: the shared ``LeadFilterSet`` sorts (``sort_by`` /
``sort_order`` in the URL), so the page, the export and the API order rows the same way.
``SORT_KEYS`` maps a column to the FilterSet's ``sort_by`` value.
"""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
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


def priority_badge(category: str | None, priority: int | None) -> str:
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


def provider_badge(provider: str | None, tooltips: dict[str, str]) -> str:
    """A provider badge; the tooltip gives the points the rules give that provider."""
    return format_html(
        '<span class="badge badge-provider" title="{}">{}</span>',
        tooltips.get(provider or "", ""),
        provider_label(provider),
    )


def segment_badge(segment: str | None, tooltips: dict[str, str]) -> str:
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
    scanned_at = tables.DateTimeColumn(
        verbose_name=_("Last scan"), accessor="signals__scanned_at", format="SHORT_DATE_FORMAT"
    )

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

    # Column values of choice fields arrive as their display text; badges need the raw value.
    def render_priority(self, record: Company) -> str:
        return priority_badge(record.score.priority_category, record.score.priority_score)

    def render_domain(self, value: str) -> str:
        url = reverse("leads:detail", args=[value])
        return format_html('<a href="{}">{}</a>', url, value)

    def render_provider(self, record: Company) -> str:
        return provider_badge(record.provider, self.tooltips["provider"])

    def render_segment(self, record: Company) -> str:
        return segment_badge(record.score.segment, self.tooltips["segment"])

    def render_score(self, value: int) -> str:
        return format_html('<span class="score score-{}">{}</span>', score_band(value), value)


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
