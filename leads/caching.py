"""Cache keys, lifetimes and invalidation of the lead pages' aggregates, in one place.

The dashboard's aggregates scan every lead, so they are computed at most once per
``DASHBOARD_TTL`` seconds; a short lifetime keeps them fresh enough after a scan without
every writer having to know about the cache. ``dashboard_cache_clear`` is for writers that
want the next page view to be exact (e.g. after a bulk rescore).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")

# Bump when the shape of a cached value changes, so old entries are never read back.
KEY_VERSION = 1
DASHBOARD_TTL = 60  # seconds
DASHBOARD_PARTS = ("kpis", "charts")


def dashboard_cache_key(part: str) -> str:
    """The cache key of one dashboard aggregate (``kpis`` or ``charts``)."""
    if part not in DASHBOARD_PARTS:
        raise ValueError(f"unknown dashboard aggregate: {part}")
    return f"leads:dashboard:{part}:v{KEY_VERSION}"


def cached(key: str, compute: Callable[[], T], ttl: int = DASHBOARD_TTL) -> T:
    """The cached value under ``key``, computing and storing it when absent."""
    value: T | None = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ttl)
    return value


def dashboard_cache_clear() -> None:
    """Forget every dashboard aggregate, so the next view recomputes them."""
    cache.delete_many([dashboard_cache_key(part) for part in DASHBOARD_PARTS])
