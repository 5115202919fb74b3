"""The one FilterSet of the lead list, shared by the lead pages and the lead API.

Plain django-filter (no DRF), so a view passes ``request.GET`` and gets the same filtering,
sorting and validation wherever the list is shown.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import F, QuerySet, Value
from django.db.models.expressions import OrderBy
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from leads.choices import PriorityCategory, Provider, Segment
from leads.models import Company, company_search_text, search_folded

# Filters of these names only order the rows; they never narrow them.
_ORDERING_FILTERS = frozenset({"sort_by", "sort_order"})
_SCORE = "score__"

# sort_by value -> what it sorts on; anything else keeps the default order.
SORT_FIELDS: dict[str, str] = {
    "domain": "domain",
    "readiness_score": "score__score",
    "priority_score": "score__priority_score",
    "segment": "score__segment",
    "provider": "provider",
    "scanned_at": "signals__scanned_at",
}
# Columns every listed (scored) lead has: they sort without a NULLS clause, so the plain
# ``score DESC`` index serves a sort by score (PostgreSQL's DESC puts NULLs first).
_NEVER_NULL_IN_LIST = frozenset({"readiness_score", "priority_score"})
# The default order, as LeadScore columns: the stored priority, then score, then a unique key
# (the key column itself: ordering by "company" would sort by the company's own ordering).
_DEFAULT_ORDER = ("priority_score", "-score", "company_id")


def _default_order(prefix: str = "") -> list[str]:
    """The default order's terms, their columns reached through ``prefix``."""
    return [
        f"-{prefix}{name[1:]}" if name.startswith("-") else prefix + name for name in _DEFAULT_ORDER
    ]


class IntegerFilter(django_filters.NumberFilter):
    """A number filter that accepts whole numbers only (scores are integers)."""

    field_class = forms.IntegerField


def _noop(queryset: QuerySet[Company], name: str, value: Any) -> QuerySet[Company]:
    # Sorting parameters are validated by their fields and applied once in filter_queryset.
    return queryset


class LeadFilterSet(django_filters.FilterSet):
    """Filters, sorting and validation of the scanned-lead list.

    Segment and provider are free text matched exactly (an unknown value matches nothing, as
    old clients expect) but render as choices in forms. ``favorite`` keeps the leads the
    user of ``user_id`` starred (none without a user); ``favorite=false`` does not filter.
    """

    segment = django_filters.CharFilter(
        field_name="score__segment",
        label=_("Segment"),
        widget=forms.Select(choices=[("", "---------"), *Segment.choices]),
    )
    provider = django_filters.CharFilter(
        field_name="provider",
        label=_("Provider"),
        widget=forms.Select(choices=[("", "---------"), *Provider.choices]),
    )
    min_score = IntegerFilter(
        field_name="score__score",
        lookup_expr="gte",
        label=_("Minimum score"),
        min_value=0,
        max_value=100,
    )
    priority_category = django_filters.ChoiceFilter(
        field_name="score__priority_category",
        choices=PriorityCategory.choices,
        label=_("Priority category"),
    )
    favorite = django_filters.BooleanFilter(method="filter_favorite", label=_("Favourites only"))
    search = django_filters.CharFilter(method="filter_search", label=_("Search"))
    sort_by = django_filters.CharFilter(
        method=_noop,
        label=_("Sort by"),
        widget=forms.Select(choices=[("", "---------"), *((k, k) for k in SORT_FIELDS)]),
    )
    sort_order = django_filters.ChoiceFilter(
        method=_noop,
        choices=[("asc", _("Ascending")), ("desc", _("Descending"))],
        label=_("Sort order"),
    )

    class Meta:
        model = Company
        fields: list[str] = []

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet[Company] | None = None,
        *,
        request: HttpRequest | None = None,
        prefix: str | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        # Only the id: what the filters build must depend on plain values alone, so a
        # built lead list can be kept and reused (leads.selectors.lead_list).
        self.user_id = user_id

    def get_form_class(self) -> type[forms.Form]:
        """The filters' form class, built once per class rather than once per request.

        django-filter builds it anew for every filterset, about a third of a millisecond of
        every list request; these filters never change per request. Each form instance
        still gets its own copies of the fields (what a page adapts is its own).
        """
        built: type[forms.Form] | None = type(self).__dict__.get("_form_class")
        if built is None:
            built = super().get_form_class()
            type(self)._form_class = built
        return built

    def filter_favorite(
        self, queryset: QuerySet[Company], name: str, value: bool | None
    ) -> QuerySet[Company]:
        if not value:
            return queryset
        if self.user_id is None:
            return queryset.none()
        return queryset.filter(favorites__user_id=self.user_id)

    def filter_search(
        self, queryset: QuerySet[Company], name: str, value: str
    ) -> QuerySet[Company]:
        text = value.strip()
        if not text:
            return queryset
        return queryset.alias(search_text=search_folded(company_search_text())).filter(
            search_text__contains=search_folded(Value(text))
        )

    def count_key(self) -> str | None:
        """What the filtered rows' count depends on besides the lead data, or None.

        The active filters' values, sorting left out; None when favourites are kept, whose
        count changes with a user's stars rather than with the data.
        """
        active = self._active_filters()
        if active.get("favorite"):
            return None
        return repr(sorted(active.items()))

    def _active_filters(self) -> dict[str, Any]:
        return {
            name: value
            for name, value in self.form.cleaned_data.items()
            if name not in _ORDERING_FILTERS and value not in django_filters.constants.EMPTY_VALUES
        }

    def score_lookups(self) -> dict[str, Any] | None:
        """The active filters as LeadScore lookups, or None when one needs the company row.

        Segment, minimum score and P-category are LeadScore columns, so when only they are
        set the list can count and page through LeadScore alone, skipping the join to
        Company (a hash join over every lead).
        """
        lookups: dict[str, Any] = {}
        for name, value in self._active_filters().items():
            active = self.filters[name]
            if active.method is not None or not active.field_name.startswith(_SCORE):
                return None
            column = active.field_name.removeprefix(_SCORE)
            lookups[f"{column}__{active.lookup_expr}"] = value
        return lookups

    def filter_queryset(self, queryset: QuerySet[Company]) -> QuerySet[Company]:
        filtered = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        return filtered.order_by(
            *self._ordering(filtered, data.get("sort_by"), data.get("sort_order"))
        )

    def score_ordering(self) -> list[str] | None:
        """The list's order over LeadScore alone, or None when it sorts on a company column.

        The default order is exactly the LeadScore index on (priority_score, -score, company)
        (and its segment variant): with ``score_lookups`` it reads a page's keys from that index
        alone, so page 2,000 walks a narrow index instead of joining every lead before it.
        """
        if self.form.cleaned_data.get("sort_by") in SORT_FIELDS:
            return None
        return _default_order()

    def _ordering(
        self, queryset: QuerySet[Company], sort_by: str | None, sort_order: str | None
    ) -> list[str | OrderBy]:
        """ORDER BY terms; a unique key last, so pages never overlap or skip a row."""
        if sort_by not in SORT_FIELDS:
            return list(_default_order(_SCORE))
        key = F(SORT_FIELDS[sort_by])
        descending = sort_order == "desc"
        if sort_by in _NEVER_NULL_IN_LIST:
            term = key.desc() if descending else key.asc()
        else:
            term = key.desc(nulls_last=True) if descending else key.asc(nulls_last=True)
        return [term, F("domain").asc()] if sort_by != "domain" else [term]
