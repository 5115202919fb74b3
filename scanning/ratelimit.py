"""Rate limits that scans ask before DNS and registration lookups.

Scans go through the :class:`Limiter` protocol; HUNTER_RATE_LIMITER picks the kind: a no-op
(loopback tests, private resolvers), an in-process token bucket per kind (one worker), or the
Redis token buckets of :mod:`hunter.ratelimit` shared by every worker on every machine (with
their in-process fallback while Redis is away). Kinds are ``"dns"``, ``"registration"`` (all
registration lookups) and ``"registry:<server>"`` (one RDAP host or WHOIS server each).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings

from hunter import ratelimit as shared
from hunter.ratelimit import TokenBucket
from scanning.engine.rdap import RdapBootstrap, read_bootstrap_file
from scanning.engine.scan import EngineConfig

LimitKind = str
LIMIT_KINDS: tuple[LimitKind, ...] = ("dns", "registration")
REGISTRY_PREFIX = "registry:"


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


def registry_kind(server: str) -> LimitKind:
    """The limiter kind of one registry server (an RDAP host or a WHOIS server)."""
    return REGISTRY_PREFIX + server


@lru_cache(maxsize=4)
def _bootstrap(path: Path | None) -> RdapBootstrap:
    return read_bootstrap_file(path)


def registry_server(domain: str, config: EngineConfig) -> str:
    """The RDAP host a domain's registration lookup goes to, or its TLD's WHOIS server."""
    registration = config.registration
    url = registration.rdap_base_url or _bootstrap(registration.rdap_bootstrap_file).base_url_for(
        domain
    )
    if url:
        return urlsplit(url).hostname or url
    tld = domain.rsplit(".", 1)[-1]
    return registration.whois_server or registration.whois_servers.get(tld) or f"whois.{tld}"


def lookups_waiter(
    limiter: Limiter, config: EngineConfig
) -> Callable[[Sequence[str], Sequence[str]], None]:
    """Wait for the tokens of the lookups a scan is about to make: DNS for ``dns_domains``,
    registration (globally and per registry server) for ``registration_domains``."""

    def wait(dns_domains: Sequence[str], registration_domains: Sequence[str]) -> None:
        if dns_domains:
            limiter.wait("dns", len(dns_domains))
        if not registration_domains:
            return
        limiter.wait("registration", len(registration_domains))
        per_server = Counter(registry_server(d, config) for d in registration_domains)
        for server, count in sorted(per_server.items()):
            limiter.wait(registry_kind(server), count)

    return wait


def rate_for(kind: LimitKind, rates: dict[LimitKind, float]) -> float | None:
    """The rate of a kind: its own, or the per-registry-server rate for ``registry:*``."""
    if kind in rates:
        return rates[kind]
    if kind.startswith(REGISTRY_PREFIX):
        return rates.get(REGISTRY_PREFIX)
    return None


def burst_for(rate: float) -> int:
    # Burst = one second of tokens (10/s lets 10 through at once), so a quiet limiter never
    # sends more than a second's worth in one go.
    return max(1, int(rate))


class LocalTokenBucketLimiter:
    """A token bucket per kind, shared by the threads of one process."""

    def __init__(
        self,
        rates: dict[LimitKind, float],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rates = rates
        self.buckets: dict[LimitKind, TokenBucket] = {}
        self._clock = clock
        self._sleep = sleep

    def _bucket(self, kind: LimitKind) -> TokenBucket | None:
        bucket = self.buckets.get(kind)
        rate = rate_for(kind, self.rates)
        if bucket is None and rate is not None:
            bucket = TokenBucket(rate=rate, burst=max(1.0, rate), clock=self._clock)
            bucket = self.buckets.setdefault(kind, bucket)
        return bucket

    def acquire(self, kind: LimitKind, tokens: int = 1) -> bool:
        bucket = self._bucket(kind)
        return bucket is None or bucket.take_all_or_nothing(tokens)

    def wait(self, kind: LimitKind, tokens: int = 1) -> None:
        # Loops until every token is taken: sleeping once and going on would overshoot.
        bucket = self._bucket(kind)
        remaining = float(tokens)
        while bucket is not None and remaining > 0:
            remaining -= bucket.take(remaining)
            if remaining > 0:
                self._sleep(max(bucket.seconds_until(remaining), 0.001))


class RedisLimiter:
    """Scan limits as token buckets in Redis, shared by every process (``hunter.ratelimit``)."""

    def __init__(self, rates: dict[LimitKind, float]) -> None:
        self.rates = rates

    def acquire(self, kind: LimitKind, tokens: int = 1) -> bool:
        rate = rate_for(kind, self.rates)
        if rate is None:
            return True
        return shared.acquire(
            f"scan:{kind}", rate=rate, burst=burst_for(rate), tokens=tokens
        ).allowed

    def wait(self, kind: LimitKind, tokens: int = 1) -> None:
        rate = rate_for(kind, self.rates)
        if rate is not None:
            shared.wait(f"scan:{kind}", rate=rate, burst=burst_for(rate), tokens=tokens)


_process_limiter: Limiter | None = None


def rates_from_settings() -> dict[LimitKind, float]:
    return {
        "dns": settings.HUNTER_DNS_RATE,
        "registration": settings.HUNTER_REGISTRATION_RATE,
        REGISTRY_PREFIX: settings.HUNTER_REGISTRY_SERVER_RATE,
    }


def limiter_from_settings() -> Limiter:
    """The limiter HUNTER_RATE_LIMITER names, built from settings (not cached)."""
    if settings.HUNTER_RATE_LIMITER == "local":
        return LocalTokenBucketLimiter(rates_from_settings())
    if settings.HUNTER_RATE_LIMITER == "redis":
        return RedisLimiter(rates_from_settings())
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
