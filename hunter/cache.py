"""A django-redis cache that a Redis outage degrades instead of breaking.

Every operation goes through the circuit breaker of its cache alias (``hunter.redis_guard``).
While Redis is away the ``FALLBACK`` option decides what callers see:

* ``"miss"`` (Hunter's data caches): reads are misses, writes and deletes are skipped; a scan
  then asks DNS itself, which is slower but right.
* ``"local"`` (the sign-in and upload limits): an in-process memory cache stands in, so the
  limits keep counting per process instead of letting every attempt through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.locmem import LocMemCache
from django_redis.cache import RedisCache

from hunter.redis_guard import RedisUnavailable, breaker_for, guarded_call

T = TypeVar("T")
FALLBACKS = ("miss", "local")


class ResilientRedisCache(RedisCache):
    """django-redis behind a circuit breaker, with a miss/skip or in-memory fallback."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS", {}))
        self.fallback_mode = options.pop("FALLBACK", "miss")
        if self.fallback_mode not in FALLBACKS:
            raise ValueError(f"FALLBACK must be one of {FALLBACKS}")
        self.breaker_name = options.pop("BREAKER_NAME", "cache")
        super().__init__(server, {**params, "OPTIONS": options})
        self.local = LocMemCache(f"fallback-{self.breaker_name}", {"OPTIONS": {}})
        # Calls answered by the fallback; callers that count cache errors compare it.
        self.failures = 0

    def ping(self) -> None:
        """Ask Redis directly, past the breaker and the fallback (readiness probes)."""
        self.client.get_client().ping()

    def _guarded(self, operation: Callable[[], T], miss: Callable[[], T]) -> T:
        try:
            return guarded_call(breaker_for(self.breaker_name), operation)
        except RedisUnavailable:
            self.failures += 1
            return miss()

    def _or_local(self, name: str, miss_value: Any) -> Callable[..., Any]:
        """What an operation returns while Redis is away, for this cache's fallback mode."""
        if self.fallback_mode == "local":
            return getattr(self.local, name)
        return lambda *args, **kwargs: miss_value

    def get(self, key: Any, default: Any = None, version: Any = None, client: Any = None) -> Any:
        return self._guarded(
            lambda: self.client.get(key, default=default, version=version),
            lambda: self._or_local("get", default)(key, default, version),
        )

    def get_many(self, keys: Any, version: Any = None, client: Any = None) -> Any:
        return self._guarded(
            lambda: self.client.get_many(keys, version=version),
            lambda: self._or_local("get_many", {})(keys, version),
        )

    def set(self, key: Any, value: Any, timeout: Any = None, *args: Any, **kwargs: Any) -> Any:
        return self._guarded(
            lambda: self.client.set(key, value, timeout, *args, **kwargs),
            lambda: self._or_local("set", False)(key, value, timeout),
        )

    def set_many(self, data: Any, timeout: Any = None, version: Any = None, **kwargs: Any) -> Any:
        return self._guarded(
            lambda: self.client.set_many(data, timeout, version=version, **kwargs),
            lambda: self._or_local("set_many", list(data))(data, timeout, version),
        )

    def add(self, key: Any, value: Any, timeout: Any = None, version: Any = None, **kw: Any) -> Any:
        return self._guarded(
            lambda: self.client.add(key, value, timeout, version=version, **kw),
            lambda: self._or_local("add", False)(key, value, timeout, version),
        )

    def incr(self, key: Any, delta: int = 1, version: Any = None, **kwargs: Any) -> Any:
        def unavailable(*_: Any) -> int:
            raise ValueError("the cache is unavailable")

        fallback = self.local.incr if self.fallback_mode == "local" else unavailable
        return self._guarded(
            lambda: self.client.incr(key, delta=delta, version=version, **kwargs),
            lambda: fallback(key, delta, version),
        )

    def delete(self, key: Any, version: Any = None, **kwargs: Any) -> Any:
        return self._guarded(
            lambda: self.client.delete(key, version=version, **kwargs),
            lambda: self._or_local("delete", False)(key, version),
        )

    def delete_many(self, keys: Any, version: Any = None, **kwargs: Any) -> Any:
        return self._guarded(
            lambda: self.client.delete_many(keys, version=version, **kwargs),
            lambda: self._or_local("delete_many", None)(keys, version),
        )

    def delete_pattern(self, pattern: str, **kwargs: Any) -> Any:
        return self._guarded(lambda: self.client.delete_pattern(pattern, **kwargs), lambda: 0)

    def has_key(self, key: Any, version: Any = None, client: Any = None) -> Any:
        return self._guarded(
            lambda: self.client.has_key(key, version=version),
            lambda: self._or_local("has_key", False)(key, version),
        )

    def clear(self) -> Any:
        return self._guarded(lambda: self.client.clear(), lambda: self._or_local("clear", None)())
