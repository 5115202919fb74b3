"""Rate limits that scans ask before DNS and registration lookups (SPEC §24).

Scans go through the :class:`Limiter` protocol, so the distributed Redis limiter (its own
issue) slots in behind ``limiter_from_settings`` without touching the callers. Two kinds are
limited: ``"dns"`` and ``"registration"``. Here: a no-op default and an in-process token
bucket (right for one worker, or as the Redis limiter's fallback).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal, Protocol

from django.conf import settings

LimitKind = Literal["dns", "registration"]
LIMIT_KINDS: tuple[LimitKind, ...] = ("dns", "registration")
# Refill arithmetic on float clocks lands a hair under whole tokens (0.1 s * 10/s = 0.99999...).
TOKEN_EPSILON = 1e-6


class Limiter(Protocol):
    """What scans ask before network lookups: take tokens now, or wait until they can."""

    def acquire(self, kind: LimitKind, tokens: int = 1) -> bool:
        """Take ``tokens`` at once if they are all available; never blocks."""
        ...

    def wait(self, kind: LimitKind, tokens: int = 1) -> None:
        """Block until ``tokens`` have been taken (in pieces when more than the burst)."""
        ...


class NoLimit:
    """The default: every request is allowed at once (loopback tests, private resolvers)."""

    def acquire(self, kind: LimitKind, tokens: int = 1) -> bool:
        return True

    def wait(self, kind: LimitKind, tokens: int = 1) -> None:
        return None


class TokenBucket:
    """One bucket: ``rate`` tokens per second, holding at most ``burst``. Thread-safe."""

    def __init__(
        self, *, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self, wanted: float) -> float:
        """Take up to ``wanted`` tokens (never more than are there); return how many."""
        with self._lock:
            self._refill()
            taken = min(wanted, self._tokens)
            if wanted - taken < TOKEN_EPSILON:
                taken = wanted
            self._tokens = max(0.0, self._tokens - taken)
            return taken

    def take_all_or_nothing(self, wanted: float) -> bool:
        """Take exactly ``wanted`` tokens, or none when fewer are there."""
        with self._lock:
            self._refill()
            if self._tokens + TOKEN_EPSILON < wanted:
                return False
            self._tokens = max(0.0, self._tokens - wanted)
            return True

    def seconds_until(self, wanted: float) -> float:
        """How long until ``wanted`` tokens (capped at the burst) will be there."""
        with self._lock:
            self._refill()
            missing = min(wanted, self.burst) - self._tokens
            return max(0.0, missing / self.rate)

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now


class LocalTokenBucketLimiter:
    """A token bucket per kind, shared by the threads of one process."""

    def __init__(
        self,
        rates: dict[LimitKind, float],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # Burst = one second of tokens, as in the reference (10/s with burst 10).
        self.buckets = {
            kind: TokenBucket(rate=rate, burst=max(1.0, rate), clock=clock)
            for kind, rate in rates.items()
        }
        self._sleep = sleep

    def acquire(self, kind: LimitKind, tokens: int = 1) -> bool:
        bucket = self.buckets.get(kind)
        return bucket is None or bucket.take_all_or_nothing(tokens)

    def wait(self, kind: LimitKind, tokens: int = 1) -> None:
        # Loops until every token is taken (SPEC §34 #21: the reference slept once and went on).
        bucket = self.buckets.get(kind)
        remaining = float(tokens)
        while bucket is not None and remaining > 0:
            remaining -= bucket.take(remaining)
            if remaining > 0:
                self._sleep(max(bucket.seconds_until(remaining), 0.001))


_process_limiter: Limiter | None = None


def limiter_from_settings() -> Limiter:
    """The limiter HUNTER_RATE_LIMITER names, built from settings (not cached)."""
    if settings.HUNTER_RATE_LIMITER == "local":
        return LocalTokenBucketLimiter(
            {"dns": settings.HUNTER_DNS_RATE, "registration": settings.HUNTER_REGISTRATION_RATE}
        )
    return NoLimit()


def get_limiter() -> Limiter:
    """This process's limiter: one instance, so every scan in the process shares its buckets."""
    global _process_limiter
    if _process_limiter is None:
        _process_limiter = limiter_from_settings()
    return _process_limiter


def reset_limiter() -> None:
    """Forget the process limiter so the next ``get_limiter`` reads settings again."""
    global _process_limiter
    _process_limiter = None
