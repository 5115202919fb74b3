"""Template helpers of the lead pages: sortable column headers that keep the other filters."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from leads import presentation, tables

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context: dict[str, Any], column: Any, sort_keys: dict[str, str]) -> SafeString:
    """A column header cell: a link that sorts by it (toggling the order) when it is sortable.

    The link keeps every other URL parameter (the filters) and goes back to page 1.
    """
    key = sort_keys.get(column.name)
    if key is None:
        return format_html('<th scope="col">{}</th>', column.header)
    query = context["request"].GET.copy()
    current = query.get("sort_by") == key
    descending = query.get("sort_order") == "desc"
    query["sort_by"] = key
    query["sort_order"] = "asc" if current and descending else "desc"
    query.pop("page", None)
    state = ("descending" if descending else "ascending") if current else "none"
    arrow = {"descending": " ▼", "ascending": " ▲", "none": ""}[state]
    return format_html(
        '<th scope="col" aria-sort="{}"><a href="?{}" data-sort="{}" title="{}">{}{}</a></th>',
        state,
        query.urlencode(),
        key,
        _("Sort by this column"),
        column.header,
        arrow,
    )


@register.filter
def score_band(score: int | None) -> str:
    """``high``, ``medium`` or ``low``: the colour class of a score."""
    return presentation.score_band(score)


@register.simple_tag
def priority_badge(category: str | None, priority: int | None) -> str:
    """The P1-P6 badge (or the 1-7 priority when there is no category)."""
    return tables.priority_badge(category, priority)


@register.simple_tag
def segment_badge(segment: str | None, tooltips: dict[str, str]) -> str:
    """A segment badge whose tooltip says what puts a lead in that segment."""
    return tables.segment_badge(segment, tooltips)


@register.simple_tag
def provider_badge(provider: str | None, tooltips: dict[str, str]) -> str:
    """A provider badge whose tooltip gives the points the provider is worth."""
    return tables.provider_badge(provider, tooltips)


@register.filter
def segment_name(segment: str | None) -> str:
    """A stored segment value in the reader's language."""
    return presentation.segment_label(segment)


@register.filter
def provider_name(provider: str | None) -> str:
    """A stored provider value as people name it."""
    return presentation.provider_label(provider)
