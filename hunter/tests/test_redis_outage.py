"""A Redis outage degrades Hunter and never breaks it, and Hunter recovers on its own.

Each test starts its own redis-server on a free port and stops it mid-test; the machine's
shared Redis is never touched. A restarted server comes back empty (no persistence), so a key
found in it afterwards was written after the outage.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis
import sentry_sdk
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
API_KEY_BUCKET = "api_key:7"
CACHE_KEY_PREFIX = "hunter:1:"  # django-redis: KEY_PREFIX, then the key version


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
        **settings.CACHES,
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


@pytest.fixture
def redis_down(own_redis: RedisServerProcess) -> RedisServerProcess:
    """The private Redis, stopped after one API-key check went through it."""
    assert api_key_check().allowed
    own_redis.stop()
    return own_redis


def acquires(backend: str) -> float:
    counter = metrics.LIMITER_ACQUIRES.labels(limiter="api_key", backend=backend, outcome="allowed")
    return counter._value.get()


def switches(direction: str) -> float:
    return metrics.LIMITER_FALLBACK_SWITCHES.labels(direction=direction)._value.get()


def dns_cache(result: str) -> float:
    return metrics.CACHE_REQUESTS.labels(cache="dns", result=result)._value.get()


def api_key_check() -> ratelimit.Decision:
    return ratelimit.acquire(API_KEY_BUCKET, rate=600 / 60, burst=600)


def sentry_tags() -> dict[str, str]:
    event: dict = {}
    sentry_sdk.get_global_scope().apply_to_event(event, {})  # type: ignore[arg-type]
    return event.get("tags", {})


def until(done: Callable[[], bool], attempt: Callable[[], object]) -> bool:
    """Poll ``attempt`` until ``done`` (the breaker lets a trial call through by itself)."""
    deadline = time.monotonic() + RECOVERY_DEADLINE
    while not done() and time.monotonic() < deadline:
        attempt()
        time.sleep(0.05)
    return done()


def scan(domains: list[str]) -> None:
    job = scan_job_run_inline(job_id=scan_job_start(domains=domains, enqueue=False).id)
    assert (job.status, job.succeeded, job.failed) == ("completed", len(domains), 0)


# --- while Redis is down ---------------------------------------------------------------------


def test_pages_sign_in_and_api_key_checks_keep_answering_while_redis_is_down(
    redis_down: RedisServerProcess, sales_client, client, sales_user
) -> None:
    redis_acquires = acquires("redis")

    # The dashboard reads its figures through the cache, the lead list through the database.
    assert sales_client.get(reverse("leads:dashboard")).status_code == 200
    assert sales_client.get(reverse("leads:list")).status_code == 200
    assert api_key_check().allowed  # served by the in-process bucket
    assert acquires("redis") == redis_acquires
    signed_in = client.post(
        reverse("login"), {"username": sales_user.username, "password": PASSWORD}
    )
    assert signed_in.status_code == 302


def test_a_scan_job_completes_while_redis_is_down_its_cache_reads_counted_as_errors(
    redis_down: RedisServerProcess, app_dns_server: DnsServer
) -> None:
    errors = dns_cache("error")

    scan(["contoso.com", "fabrikam.com"])

    assert dns_cache("error") > errors
    assert caching.dns_facts_get_many(["contoso.com"]) == {}  # reads are misses


def test_the_switch_to_the_fallback_is_logged_counted_and_tagged_for_sentry(
    own_redis: RedisServerProcess, caplog
) -> None:
    assert api_key_check().allowed
    entered = switches("enter")
    own_redis.stop()

    api_key_check()
    api_key_check()  # still in the fallback: no second switch

    assert "rate_limiter_fallback" in caplog.text
    assert switches("enter") == entered + 1
    assert sentry_tags()[ratelimit.FALLBACK_TAG] == "true"


# --- after Redis returns ---------------------------------------------------------------------


def test_after_redis_returns_the_distributed_limiter_is_used_again(
    redis_down: RedisServerProcess,
) -> None:
    api_key_check()  # in the fallback
    left, redis_acquires = switches("leave"), acquires("redis")
    redis_down.start()  # same port, empty

    assert until(lambda: acquires("redis") > redis_acquires, api_key_check)
    bucket = redis.Redis.from_url(redis_down.url(2))
    assert bucket.exists(ratelimit.KEY_PREFIX + API_KEY_BUCKET)  # the shared bucket again
    assert switches("leave") == left + 1
    assert sentry_tags()[ratelimit.FALLBACK_TAG] == "false"


def test_after_redis_returns_scans_write_and_read_the_cache_again(
    redis_down: RedisServerProcess, app_dns_server: DnsServer
) -> None:
    scan(["contoso.com"])  # during the outage: nothing written
    redis_down.start()

    def probe() -> None:
        caches["default"].set("probe", 1)

    assert until(lambda: caches["default"].get("probe") == 1, probe)
    scan(["contoso.com"])
    stored = redis.Redis.from_url(redis_down.url(0))
    assert stored.exists(CACHE_KEY_PREFIX + caching.dns_key("contoso.com"))
    hits = dns_cache("hit")
    assert set(caching.dns_facts_get_many(["contoso.com"])) == {"contoso.com"}
    assert dns_cache("hit") == hits + 1


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
