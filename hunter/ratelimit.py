"""Token-bucket rate limits by key (in-process stand-in with the shared contract).

``acquire`` takes tokens if the bucket has them and otherwise says how long to wait;
``wait`` blocks until it could take them. The Redis implementation replaces this module.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """Whether the tokens were taken, and if not, seconds until they would be."""

    allowed: bool
    retry_after: float


_buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill time)
_lock = threading.Lock()


def acquire(key: str, *, rate: float, burst: int, tokens: int = 1) -> Decision:
    """Take ``tokens`` from the bucket ``key`` (refilled at ``rate``/s up to ``burst``)."""
    now = time.monotonic()
    with _lock:
        level, last = _buckets.get(key, (float(burst), now))
        level = min(float(burst), level + (now - last) * rate)
        if level >= tokens:
            _buckets[key] = (level - tokens, now)
            return Decision(True, 0.0)
        _buckets[key] = (level, now)
        return Decision(False, (tokens - level) / rate)


def wait(key: str, *, rate: float, burst: int, tokens: int = 1) -> None:
    """Block until ``tokens`` could be taken from the bucket ``key``."""
    while not (decision := acquire(key, rate=rate, burst=burst, tokens=tokens)).allowed:
        time.sleep(decision.retry_after)
