"""Pagination for the HTML pages: a page number out of range shows a page, never an error."""

from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet


def page_keys(queryset: QuerySet[Any], start: int, stop: int) -> list[Any]:
    """Primary keys of the rows ``start`` to ``stop`` of ``queryset``, in its order.

    A queryset that knows a cheaper way to read them (a ``page_keys`` method, as the lead
    list's has) is asked; any other slices its own primary keys.
    """
    own_way = getattr(queryset, "page_keys", None)
    if callable(own_way):
        return list(own_way(start, stop))
    return list(queryset.values_list("pk", flat=True)[start:stop])


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
    """Sorts and slices primary keys only, then loads the page's full rows by id.

    For a queryset that joins wide rows (a lead with its signals and score), sorting 100,000
    narrow (id, sort key) tuples is several times cheaper than sorting the joined rows, and the
    full rows are read for one page only. The page keeps the queryset's order.
    """

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        ids = page_keys(queryset, bottom, top)
        rows = {row.pk: row for row in queryset.filter(pk__in=ids)}
        return Page([rows[pk] for pk in ids if pk in rows], number, self)
