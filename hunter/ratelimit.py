"""Rate limits shared by every process: token buckets in Redis, one Lua script per acquire.

``acquire`` takes tokens now or says how long until it could; ``wait`` blocks until it has
them. The bucket lives in Redis (database HUNTER_RATELIMIT_REDIS_URL) under a versioned key,
and the script reads the Redis server's clock, so every web and worker process on every
machine draws from the same bucket without trusting its own clock.

When Redis is away (a failed call, or its circuit breaker open) each process falls back to an
in-process bucket with the same rate and burst: limits loosen to "per process" instead of
failing requests. Each switch to and from the fallback is logged (``rate_limiter_fallback``)
and counted; the next call that reaches Redis switches back on its own.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sentry_sdk
import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from hunter import metrics
from hunter.redis_guard import GuardedRedis, RedisUnavailable, guarded_client

logger = structlog.get_logger("hunter.ratelimit")

KEY_PREFIX = "hunter:ratelimit:v1:"
# Sentry tag on every event of a process whose limits run on in-process buckets.
FALLBACK_TAG = "rate_limiter_fallback"
# Refill arithmetic on float clocks lands a hair under whole tokens (0.1 s * 10/s = 0.99999...).
TOKEN_EPSILON = 1e-6

# KEYS[1] bucket; ARGV rate (tokens/s), burst, tokens wanted. Returns {allowed, retry_after}.
# The state is a hash (tokens, ts); it expires once a full refill has passed, when a missing
# bucket and a full one are the same thing. Floats go back as strings (Lua numbers would be
# truncated to integers on the way out).
BUCKET_SCRIPT_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local retry_after = 0
if tokens + 1e-6 >= wanted then
  tokens = math.max(0, tokens - wanted)
  allowed = 1
else
  retry_after = (wanted - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(retry_after)}
"""


@dataclass(frozen=True)
class Decision:
    """The answer to one acquire: taken or not, and how long until it would be."""

    allowed: bool
    retry_after: float  # seconds until the next token would be available (0 when allowed)


class TokenBucket:
    """One in-process bucket: ``rate`` tokens per second, holding at most ``burst``. Thread-safe."""

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

    def decide(self, wanted: float) -> Decision:
        """Take ``wanted`` tokens or say how long until they would be there."""
        if self.take_all_or_nothing(wanted):
            return Decision(True, 0.0)
        return Decision(False, max(self.seconds_until(wanted), TOKEN_EPSILON))

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now


class DistributedLimiter:
    """Token buckets in Redis with an in-process fallback per (key, rate, burst)."""

    def __init__(self, redis: GuardedRedis | None) -> None:
        self.redis = redis
        self._script = redis.client.register_script(BUCKET_SCRIPT_LUA) if redis else None
        self._local: dict[tuple[str, float, int], TokenBucket] = {}
        self._local_lock = threading.Lock()
        self.in_fallback = False

    def acquire(self, key: str, *, rate: float, burst: int, tokens: int = 1) -> Decision:
        _check(rate, burst, tokens)
        if self.redis is not None and self._script is not None:
            script = self._script
            try:
                allowed, retry = self.redis.call(
                    lambda client: script(keys=[KEY_PREFIX + key], args=[rate, burst, tokens])
                )
            except RedisUnavailable as error:
                self._enter_fallback(key, rate, str(error))
            else:
                self._leave_fallback(key, rate)
                return self._counted(key, "redis", Decision(bool(allowed), float(retry)))
        return self._counted(key, "fallback", self._bucket(key, rate, burst).decide(tokens))

    def _bucket(self, key: str, rate: float, burst: int) -> TokenBucket:
        identity = (key, rate, burst)
        bucket = self._local.get(identity)
        if bucket is None:
            with self._local_lock:
                bucket = self._local.setdefault(identity, TokenBucket(rate=rate, burst=burst))
        return bucket

    def _enter_fallback(self, key: str, rate: float, reason: str) -> None:
        if not self.in_fallback:
            self.in_fallback = True
            self._log_switch("enter", key, rate, reason)

    def _leave_fallback(self, key: str, rate: float) -> None:
        if self.in_fallback:
            self.in_fallback = False
            self._log_switch("leave", key, rate, "redis_available")

    @staticmethod
    def _log_switch(direction: str, key: str, rate: float, reason: str) -> None:
        metrics.LIMITER_FALLBACK_SWITCHES.labels(direction=direction).inc()
        # The fallback is a state of the whole process, so the tag goes on the global scope:
        # every error this process reports until the switch back says limits were loose.
        sentry_sdk.get_global_scope().set_tag(
            FALLBACK_TAG, "true" if direction == "enter" else "false"
        )
        logger.warning(
            "rate_limiter_fallback",
            direction=direction,
            redis_key=KEY_PREFIX + key,
            rate=rate,
            reason=reason,
        )

    @staticmethod
    def _counted(key: str, backend: str, decision: Decision) -> Decision:
        outcome = "allowed" if decision.allowed else "denied"
        metrics.LIMITER_ACQUIRES.labels(
            limiter=metrics.limiter_group(key), backend=backend, outcome=outcome
        ).inc()
        return decision


def _check(rate: float, burst: int, tokens: int) -> None:
    if rate <= 0 or burst < 1 or tokens < 1:
        raise ValueError("a rate limit needs rate > 0, burst >= 1 and tokens >= 1")


_limiter: DistributedLimiter | None = None
_limiter_lock = threading.Lock()


def limiter() -> DistributedLimiter:
    """This process's limiter: Redis when HUNTER_RATELIMIT_REDIS_URL is set, else local only."""
    global _limiter
    if _limiter is None:
        with _limiter_lock:
            if _limiter is None:
                url = settings.HUNTER_RATELIMIT_REDIS_URL
                _limiter = DistributedLimiter(guarded_client("ratelimit", url) if url else None)
    return _limiter


def reset() -> None:
    """Forget the process limiter (tests change settings; a forked child starts fresh)."""
    global _limiter
    _limiter = None
    sentry_sdk.get_global_scope().remove_tag(FALLBACK_TAG)


def acquire(key: str, *, rate: float, burst: int, tokens: int = 1) -> Decision:
    """Take ``tokens`` from the bucket ``key`` (``rate`` tokens/s, at most ``burst``), or not."""
    return limiter().acquire(key, rate=rate, burst=burst, tokens=tokens)


def wait(key: str, *, rate: float, burst: int, tokens: int = 1) -> None:
    """Block until ``tokens`` are taken; more than ``burst`` are taken a burst at a time."""
    remaining = tokens
    waited = 0.0
    while remaining > 0:
        piece = min(remaining, burst)
        decision = acquire(key, rate=rate, burst=burst, tokens=piece)
        if decision.allowed:
            remaining -= piece
            continue
        pause = max(decision.retry_after, 0.001)
        waited += pause
        time.sleep(pause)
    if waited:
        group = metrics.limiter_group(key)
        metrics.LIMITER_WAITS.labels(limiter=group).inc()
        metrics.LIMITER_WAIT_SECONDS.labels(limiter=group).inc(waited)


# --- HTML form posts (sign-in, uploads) ---------------------------------------------------------


def _form_post_user_key(group: str, request: HttpRequest) -> str:
    """Per person: the signed-in user, or the user name typed into a sign-in form."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return "name:" + request.POST.get("username", "").strip().lower()[:150]


def limit_form_posts(
    group: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Limit POSTs to a view per client address and per user (HUNTER_FORM_POST_RATE each).

    Over the limit the view answers 429 with a page in the user's language, so twenty wrong
    passwords in a row cannot all be tried at full speed. Counting uses django-ratelimit on
    the ``ratelimit`` cache, which degrades to an in-process count while Redis is away.
    """
    from django_ratelimit.core import is_ratelimited

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            rate = settings.HUNTER_FORM_POST_RATE
            for scope, key in (("ip", "ip"), ("user", _form_post_user_key)):
                if is_ratelimited(
                    request,
                    group=f"{group}:{scope}",
                    key=key,
                    rate=rate,
                    method="POST",
                    increment=True,
                ):
                    return too_many_requests(request)
            return view(request, *args, **kwargs)

        return limited

    return decorate


def too_many_requests(request: HttpRequest) -> HttpResponse:
    """The readable 429 page, with the seconds to wait in Retry-After."""
    period = _rate_period_seconds(settings.HUNTER_FORM_POST_RATE)
    response = render(request, "429.html", {"retry_after": period}, status=429)
    response["Retry-After"] = str(period)
    return response


def _rate_period_seconds(rate: str) -> int:
    from django_ratelimit.core import _split_rate

    return int(_split_rate(rate)[1])
