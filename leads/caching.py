"""Cache keys, lifetimes and invalidation of the lead pages' aggregates, in one place.

The dashboard's aggregates, the lead list's totals and the keys of its deep pages scan many
leads, so they are cached against a data version (the time of the latest stored scan, one
indexed read), without writers knowing about the cache. A list total or page is recomputed
after any scan. The dashboard's figures may trail the scans by ``DASHBOARD_LAG`` seconds:
during a bulk scan the version moves with every chunk, and recomputing for each view would
read every lead each time.
Changes that are not scans (an admin edit, a deletion, a rescore after a rule change) show
within ``DASHBOARD_TTL`` or ``LEAD_COUNT_TTL`` (plus ``PROCESS_TTL``) seconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache, caches

T = TypeVar("T")

# Bump when the shape of a cached value changes, so old entries are never read back.
KEY_VERSION = 2
DASHBOARD_TTL = 60  # seconds
DASHBOARD_LAG = 10  # seconds
LEAD_COUNT_TTL = 60  # seconds
# How long a process keeps its own copy of a shared entry it read (keys hold the data
# version, so a scan is still seen at once).
PROCESS_TTL = 5  # seconds


def dashboard_cache_key() -> str:
    """The cache key of the dashboard's figures, held with their data version and age."""
    return f"leads:dashboard:v{KEY_VERSION}"


def lead_count_cache_key(filters: str, data_version: str) -> str:
    """The cache key of one lead-list total: its active filters, at a data version."""
    digest = hashlib.blake2b(filters.encode(), digest_size=16).hexdigest()
    return f"leads:count:v{KEY_VERSION}:{data_version}:{digest}"


def lead_page_cache_key(listing: str, start: int, stop: int, data_version: str) -> str:
    """The cache key of the keys of rows ``start`` to ``stop`` of one filtered, sorted list."""
    digest = hashlib.blake2b(listing.encode(), digest_size=16).hexdigest()
    return f"leads:page:v{KEY_VERSION}:{data_version}:{digest}:{start}:{stop}"


def cached(key: str, compute: Callable[[], T], *, ttl: int) -> T:
    """The cached value under ``key``, computing and storing it when absent.

    A process keeps what it read for ``PROCESS_TTL`` seconds more itself, so a list page
    read again costs no Redis round trip for its total.
    """
    process_cache = caches["process"]
    value: T | None = process_cache.get(key)
    if value is None:
        value = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value, ttl)
        process_cache.set(key, value, min(ttl, PROCESS_TTL))
    return value
