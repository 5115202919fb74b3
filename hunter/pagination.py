"""Pagination for the HTML pages: a page number out of range shows a page, never an error."""

from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator


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
