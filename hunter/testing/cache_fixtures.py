"""pytest fixtures: every test starts with empty caches, closed breakers and fresh limiters.

The scan caches live in Redis, shared by the test process and the Celery worker it starts;
without this a test would read DNS facts another test's zones produced.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


def reset_caches_and_limits() -> None:
    """Empty every cache alias and forget breakers and limiters of this process."""
    from django.core.cache import caches

    from hunter import ratelimit, redis_guard
    from scanning import ratelimit as scan_ratelimit

    redis_guard.breaker_for.cache_clear()
    ratelimit.reset()
    scan_ratelimit.reset_limiter()
    for alias in ("default", "ratelimit", "process"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _fresh_caches_and_limits() -> Iterator[None]:
    reset_caches_and_limits()
    yield
    reset_caches_and_limits()
