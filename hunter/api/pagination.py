"""Page-number pagination in SQL, answering the legacy lead-list shape.

``{<items>, total, page, page_size, total_pages}`` in two queries whatever the page size:
a COUNT, then the page's rows (``page_rows``), deeper in the list their keys chosen first by a
LIMIT/OFFSET subquery. Sorting only the narrow key rows keeps a deep page (offset 30,000)
cheap: sorting whole joined rows would spill to disk, and the lead list reads its keys from
one index. A page past the end is an empty list, not an error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from hunter.pagination import page_rows

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class PageParams(serializers.Serializer[Any]):
    page = serializers.IntegerField(min_value=1, default=1)
    page_size = serializers.IntegerField(
        min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE
    )


@dataclass(frozen=True)
class Page:
    rows: Sequence[Any]
    total: int
    page: int
    page_size: int

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.page_size)

    def body(self, items_key: str, items: list[Any]) -> dict[str, Any]:
        return {
            items_key: items,
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
            "total_pages": self.total_pages,
        }


def paginate(queryset: QuerySet[Any], *, page: int, page_size: int) -> Page:
    """Page ``page`` of ``page_size`` rows (as ``PageParams`` validated them).

    Rows are what the queryset yields: a ``values()`` queryset's page of 200 costs no model
    instances at all.
    """
    total = queryset.count()
    offset = (page - 1) * page_size
    if offset >= total:
        return Page([], total, page, page_size)
    return Page(list(page_rows(queryset, offset, offset + page_size)), total, page, page_size)
