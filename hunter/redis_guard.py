"""One circuit breaker per Redis client, so a Redis outage costs a few failed calls, not every one.

Each client (the cache, the rate limits) has its own breaker: after
HUNTER_REDIS_BREAKER_FAILURES consecutive failures it opens and calls fail at once without
touching the network; after HUNTER_REDIS_BREAKER_RESET_SECONDS one call is let through to
test the water, and a success closes it again. Callers catch :class:`RedisUnavailable` and
degrade (a cache miss, an in-process token bucket); nothing a user does waits on a dead Redis.

The breaker is our own small class rather than pybreaker's: pybreaker holds one lock for the
whole protected call, which would serialise every Redis round trip of a threaded process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import cache
from typing import Literal, TypeVar

import redis
import structlog
from django.conf import settings
from django_redis.exceptions import ConnectionInterrupted

from hunter import metrics

logger = structlog.get_logger("hunter.redis")
T = TypeVar("T")
BreakerState = Literal["closed", "open", "half-open"]
# What counts as Redis being away; a programming error (TypeError, ...) is not a Redis outage.
# django-redis wraps connection errors in its own ConnectionInterrupted.
REDIS_FAILURES: tuple[type[BaseException], ...] = (
    redis.RedisError,
    OSError,
    ConnectionInterrupted,
)
BREAKER_STATE_VALUES: dict[BreakerState, int] = {"closed": 0, "half-open": 1, "open": 2}


class RedisUnavailable(Exception):
    """Redis did not answer, or its breaker is open; the caller degrades instead of failing."""


class CircuitBreaker:
    """Opens after ``fail_max`` consecutive failures; lets one trial call through after
    ``reset_timeout`` seconds; closes on the first success. Thread-safe."""

    def __init__(
        self,
        name: str,
        *,
        fail_max: int,
        reset_timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.fail_max = fail_max
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self._publish("closed")

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        due = self._clock() - self._opened_at >= self.reset_timeout
        return "half-open" if due else "open"

    def allow(self) -> bool:
        """May a call go to Redis now? In half-open state only one trial at a time may."""
        if self._opened_at is None:
            return True
        with self._lock:
            if self.state != "half-open" or self._trial_running:
                return False
            self._trial_running = True
        logger.info("circuit_breaker_attempting_recovery", client=self.name)
        self._publish("half-open")
        return True

    def succeeded(self) -> None:
        if self._failures == 0 and self._opened_at is None:
            return  # the common case: nothing to reset, no lock taken
        with self._lock:
            was_open = self._opened_at is not None
            self._failures, self._opened_at, self._trial_running = 0, None, False
        if was_open:
            logger.info("circuit_breaker_closed", client=self.name)
            self._publish("closed")

    def failed(self) -> None:
        with self._lock:
            self._failures += 1
            opening = self._failures >= self.fail_max or self._trial_running
            if opening:
                self._opened_at = self._clock()
            self._trial_running = False
        if opening:
            logger.warning("circuit_breaker_opened", client=self.name, failures=self._failures)
            self._publish("open")

    def _publish(self, state: BreakerState) -> None:
        metrics.BREAKER_STATE.labels(client=self.name).set(BREAKER_STATE_VALUES[state])


class GuardedRedis:
    """A Redis client whose every call goes through the client's circuit breaker."""

    def __init__(self, name: str, client: redis.Redis, breaker: CircuitBreaker) -> None:
        self.name = name
        self.client = client
        self.breaker = breaker

    def call(self, operation: Callable[[redis.Redis], T]) -> T:
        """``operation(client)`` through the breaker; RedisUnavailable when Redis is away."""
        return guarded_call(self.breaker, operation, self.client)


def guarded_call(breaker: CircuitBreaker, operation: Callable[..., T], *args: object) -> T:
    """``operation(*args)`` unless the breaker is open; Redis failures count against it."""
    if not breaker.allow():
        raise RedisUnavailable(f"{breaker.name}: circuit open")
    try:
        result = operation(*args)
    except REDIS_FAILURES as error:
        breaker.failed()
        logger.warning("redis_operation_failed", client=breaker.name, error=type(error).__name__)
        raise RedisUnavailable(f"{breaker.name}: {type(error).__name__}") from error
    breaker.succeeded()
    return result


def new_breaker(name: str) -> CircuitBreaker:
    """A breaker with the thresholds from settings."""
    return CircuitBreaker(
        name,
        fail_max=settings.HUNTER_REDIS_BREAKER_FAILURES,
        reset_timeout=settings.HUNTER_REDIS_BREAKER_RESET_SECONDS,
    )


def guarded_client(name: str, url: str) -> GuardedRedis:
    """A new guarded client for ``url`` with short timeouts (a dead Redis must fail fast)."""
    timeout = settings.HUNTER_REDIS_TIMEOUT
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    return GuardedRedis(name, client, new_breaker(name))


@cache
def breaker_for(name: str) -> CircuitBreaker:
    """The process-wide breaker of a named client built elsewhere (a Django cache alias)."""
    return new_breaker(name)
