"""The limiter scans ask before DNS and registration lookups (scanning.ratelimit)."""

from __future__ import annotations

import pytest

from scanning import ratelimit


class Clock:
    """Time that moves only when the limiter sleeps, so the tests never wait for real."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def local_limiter(clock: Clock, dns_rate: float = 10.0) -> ratelimit.LocalTokenBucketLimiter:
    return ratelimit.LocalTokenBucketLimiter(
        {"dns": dns_rate, "registration": 5.0}, clock=clock, sleep=clock.sleep
    )


def test_a_full_bucket_grants_its_burst_then_refuses_until_it_refills() -> None:
    clock = Clock()
    limiter = local_limiter(clock)
    assert all(limiter.acquire("dns") for _ in range(10))
    assert limiter.acquire("dns") is False
    clock.now += 0.1  # one token at 10 per second
    assert limiter.acquire("dns") is True
    assert limiter.acquire("dns") is False


def test_acquiring_several_tokens_is_all_or_nothing() -> None:
    clock = Clock()
    limiter = local_limiter(clock)
    assert limiter.acquire("dns", 8) is True
    assert limiter.acquire("dns", 3) is False
    assert limiter.acquire("dns", 2) is True


def test_waiting_for_more_tokens_than_the_burst_sleeps_until_all_are_taken() -> None:
    clock = Clock()
    limiter = local_limiter(clock)

    limiter.wait("dns", 35)  # 10 at once, then 25 more at 10 per second

    assert sum(clock.slept) == pytest.approx(2.5, abs=0.01)
    assert limiter.acquire("dns") is False  # the wait used every token it refilled


def test_each_kind_has_its_own_bucket() -> None:
    clock = Clock()
    limiter = local_limiter(clock)
    limiter.wait("dns", 10)
    assert limiter.acquire("registration", 5) is True
    assert limiter.acquire("registration") is False
    assert limiter.acquire("dns") is False


def test_no_limit_never_refuses_or_sleeps() -> None:
    limiter = ratelimit.NoLimit()
    assert limiter.acquire("dns", 10_000) is True
    limiter.wait("registration", 10_000)  # returns at once: nothing to sleep for


def test_a_bucket_refuses_a_rate_that_would_never_refill() -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        ratelimit.TokenBucket(rate=0, burst=1)


def test_the_setting_chooses_the_limiter_and_its_rates(settings) -> None:
    settings.HUNTER_RATE_LIMITER = "local"
    settings.HUNTER_DNS_RATE = 20.0
    limiter = ratelimit.limiter_from_settings()
    assert isinstance(limiter, ratelimit.LocalTokenBucketLimiter)
    assert limiter.rates["dns"] == 20.0
    assert limiter.rates["registration"] == settings.HUNTER_REGISTRATION_RATE
    settings.HUNTER_RATE_LIMITER = "redis"
    assert isinstance(ratelimit.limiter_from_settings(), ratelimit.RedisLimiter)
    settings.HUNTER_RATE_LIMITER = "none"
    assert isinstance(ratelimit.limiter_from_settings(), ratelimit.NoLimit)


def test_the_process_limiter_is_shared_until_reset(settings) -> None:
    ratelimit.reset_limiter()
    settings.HUNTER_RATE_LIMITER = "local"
    try:
        first = ratelimit.get_limiter()
        assert ratelimit.get_limiter() is first
        settings.HUNTER_RATE_LIMITER = "none"
        ratelimit.reset_limiter()
        assert isinstance(ratelimit.get_limiter(), ratelimit.NoLimit)
    finally:
        ratelimit.reset_limiter()


def test_each_registry_server_gets_its_own_bucket_at_the_per_server_rate() -> None:
    clock = Clock()
    limiter = ratelimit.LocalTokenBucketLimiter(
        {"dns": 10.0, "registry:": 2.0}, clock=clock, sleep=clock.sleep
    )
    assert limiter.acquire(ratelimit.registry_kind("rdap.example"), 2) is True
    assert limiter.acquire(ratelimit.registry_kind("rdap.example")) is False
    assert limiter.acquire(ratelimit.registry_kind("whois.example"), 2) is True
