"""Per-key rate limit: each API key may make ``rate_limit_per_minute`` requests a minute."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from hunter import ratelimit
from hunter.api.models import APIKey


class APIKeyRateThrottle(BaseThrottle):
    """A token bucket per key: the full minute's allowance as burst, refilled continuously.

    Session requests are not limited here (people click, they do not loop).
    """

    def __init__(self) -> None:
        self.retry_after: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, APIKey):
            return True
        per_minute = key.rate_limit_per_minute
        decision = ratelimit.acquire(
            f"api_key:{key.prefix}", rate=per_minute / 60, burst=per_minute
        )
        self.retry_after = decision.retry_after
        return decision.allowed

    def wait(self) -> float | None:
        return self.retry_after
