"""Pagination for the HTML pages: a page number out of range shows a page, never an error."""

from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet


def page_rows(queryset: QuerySet[Any], start: int, stop: int) -> QuerySet[Any]:
    """Rows ``start`` to ``stop`` of ``queryset``, in its order, in one query.

    A queryset that knows a cheaper way to read them (a ``page_rows`` method, as the lead
    list's has) is asked. Any other has the page's keys chosen in a subquery over narrow
    (key, sort key) rows, and only those rows read whole: sorting 100,000 wide joined rows to
    keep 50 of them costs several times more, and the outer query sorts just the page.
    """
    own_way = getattr(queryset, "page_rows", None)
    if callable(own_way):
        rows: QuerySet[Any] = own_way(start, stop)
        return rows
    return queryset.filter(pk__in=queryset.values_list("pk", flat=True)[start:stop])


class ClampingPaginator(Paginator):
    """A page past the end shows the last page; zero, negative or non-numbers show the first.

    A shared link to page 40 of a list that has since shrunk should still show leads, and a
    typed ``?page=99999999999`` must not become a server error.
    """

    def validate_number(self, number: Any) -> int:
        try:
            return super().validate_number(number)
        except PageNotAnInteger:
            return 1
        except EmptyPage:
            return self.num_pages if _as_int(number) > 1 else 1


def _as_int(number: Any) -> int:
    try:
        return int(number)
    except (TypeError, ValueError, OverflowError):
        return 1


class IdFirstPaginator(ClampingPaginator):
    """Pages through ``page_rows``: whole rows for the page only, its keys chosen first deeper."""

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        return Page(list(page_rows(queryset, bottom, top)), number, self)
