"""A Redis outage degrades Hunter and never breaks it, and Hunter recovers on its own.

Each test starts its own redis-server on a free port and stops it mid-test; the machine's
shared Redis is never touched.
"""

from __future__ import annotations

import time

import pytest
from django.core.cache import caches
from django.urls import reverse
from rest_framework.test import APIClient

from hunter import metrics, ratelimit
from hunter.api.models import APIKey
from hunter.testing.cache_fixtures import reset_caches_and_limits
from hunter.testing.dns_server import DnsServer
from hunter.testing.redis_server import RedisServerProcess
from hunter.tests.conftest import PASSWORD
from scanning import caching
from scanning.services.jobs import scan_job_run_inline, scan_job_start

pytestmark = pytest.mark.django_db
RECOVERY_DEADLINE = 20.0


def resilient(url: str, fallback: str, breaker: str) -> dict[str, object]:
    return {
        "BACKEND": "hunter.cache.ResilientRedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "hunter",
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 0.2,
            "SOCKET_TIMEOUT": 0.2,
            "FALLBACK": fallback,
            "BREAKER_NAME": breaker,
        },
    }


@pytest.fixture
def own_redis(private_redis: RedisServerProcess, settings) -> RedisServerProcess:
    """Point the cache and the limits at the private server, with a quick breaker."""
    settings.CACHES = {
        "default": resilient(private_redis.url(0), "miss", "cache"),
        "ratelimit": resilient(private_redis.url(2), "local", "form_limits"),
    }
    settings.HUNTER_RATELIMIT_REDIS_URL = private_redis.url(2)
    settings.HUNTER_REDIS_TIMEOUT = 0.2
    settings.HUNTER_REDIS_BREAKER_FAILURES = 5
    settings.HUNTER_REDIS_BREAKER_RESET_SECONDS = 0.2
    settings.HUNTER_REGISTRATION_ENABLED = False
    reset_caches_and_limits()
    return private_redis


def acquires(backend: str) -> float:
    counter = metrics.LIMITER_ACQUIRES.labels(limiter="api_key", backend=backend, outcome="allowed")
    return counter._value.get()


def api_key_check() -> ratelimit.Decision:
    return ratelimit.acquire("api_key:7", rate=600 / 60, burst=600)


def test_pages_api_keys_sign_in_and_scans_keep_working_while_redis_is_down(
    own_redis: RedisServerProcess,
    sales_client,
    client,
    sales_user,
    app_dns_server: DnsServer,
    caplog,
) -> None:
    assert api_key_check().allowed
    redis_acquires = acquires("redis")
    switches = metrics.LIMITER_FALLBACK_SWITCHES.labels(direction="enter")._value.get()

    own_redis.stop()

    assert sales_client.get(reverse("home")).status_code == 200
    assert api_key_check().allowed  # served by the in-process bucket
    assert acquires("redis") == redis_acquires
    signed_in = client.post(
        reverse("login"), {"username": sales_user.username, "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    job = scan_job_start(domains=["contoso.com", "fabrikam.com"], enqueue=False)
    job = scan_job_run_inline(job_id=job.id)
    assert (job.status, job.succeeded, job.failed) == ("completed", 2, 0)
    assert caching.dns_facts_get_many(["contoso.com"]) == {}  # reads are misses
    assert "rate_limiter_fallback" in caplog.text
    assert metrics.LIMITER_FALLBACK_SWITCHES.labels(direction="enter")._value.get() == switches + 1

    own_redis.start()  # same port: Redis is back

    deadline = time.monotonic() + RECOVERY_DEADLINE
    while acquires("redis") == redis_acquires and time.monotonic() < deadline:
        api_key_check()
        time.sleep(0.05)
    assert acquires("redis") > redis_acquires  # the distributed limiter is used again
    assert metrics.LIMITER_FALLBACK_SWITCHES.labels(direction="leave")._value.get() >= 1
    while time.monotonic() < deadline:
        caches["default"].set("probe", 1)
        if caches["default"].get("probe") == 1:
            break
        time.sleep(0.05)
    scan_job_run_inline(job_id=scan_job_start(domains=["contoso.com"], enqueue=False).id)
    assert caching.dns_facts_get_many(["contoso.com"]) != {}  # and the cache too


def test_an_api_request_with_a_real_key_answers_200_while_redis_is_down(
    own_redis: RedisServerProcess,
) -> None:
    key, secret = APIKey.objects.create_key(name="outage", rate_limit_per_minute=600)
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=secret)
    assert api.get("/api/v1/dashboard").status_code == 200  # key cached, bucket in Redis
    fallback_acquires = acquires("fallback")

    own_redis.stop()

    # Through DRF's key authentication and the per-key throttle, both needing Redis normally.
    assert api.get("/api/v1/dashboard").status_code == 200
    assert api.get("/api/v1/leads").status_code == 200
    assert acquires("fallback") > fallback_acquires  # the throttle counted in process
    APIKey.objects.filter(pk=key.pk).update(revoked=True)
    # No version token to trust while Redis is away: the key row is read again, and refused.
    assert api.get("/api/v1/dashboard").status_code == 401


def test_an_open_breaker_answers_at_once_without_touching_the_network(
    own_redis: RedisServerProcess, settings
) -> None:
    settings.HUNTER_REDIS_BREAKER_RESET_SECONDS = 60
    reset_caches_and_limits()
    own_redis.stop()
    for _ in range(5):
        api_key_check()
    breaker = ratelimit.limiter().redis
    assert breaker is not None
    assert breaker.breaker.state == "open"
    started = time.perf_counter()
    for _ in range(100):
        assert api_key_check().allowed
    assert metrics.BREAKER_STATE.labels(client="ratelimit")._value.get() == 2
    assert time.perf_counter() - started < 5  # no connection attempts: generous bound
