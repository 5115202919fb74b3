"""Cache keys, lifetimes and invalidation of the lead pages' aggregates, in one place.

The dashboard's aggregates and the lead list's totals scan many leads, so they are cached
against a data version (the time of the latest stored scan, one indexed read), without
writers knowing about the cache. A list total is recomputed after any scan. The dashboard's
figures may trail the scans by ``DASHBOARD_LAG`` seconds: during a bulk scan the version
moves with every chunk, and recomputing for each view would read every lead each time.
Changes that are not scans (an admin edit, a deletion, a rescore after a rule change) show
within ``DASHBOARD_TTL`` or ``LEAD_COUNT_TTL`` seconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")

# Bump when the shape of a cached value changes, so old entries are never read back.
KEY_VERSION = 2
DASHBOARD_TTL = 60  # seconds
DASHBOARD_LAG = 10  # seconds
LEAD_COUNT_TTL = 60  # seconds


def dashboard_cache_key() -> str:
    """The cache key of the dashboard's figures, held with their data version and age."""
    return f"leads:dashboard:v{KEY_VERSION}"


def lead_count_cache_key(filters: str, data_version: str) -> str:
    """The cache key of one lead-list total: its active filters, at a data version."""
    digest = hashlib.blake2b(filters.encode(), digest_size=16).hexdigest()
    return f"leads:count:v{KEY_VERSION}:{data_version}:{digest}"


def cached(key: str, compute: Callable[[], T], *, ttl: int) -> T:
    """The cached value under ``key``, computing and storing it when absent."""
    value: T | None = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ttl)
    return value
