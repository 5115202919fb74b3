"""`/healthz/metrics`: who may read it, what it says, and that it adds up every process."""

from __future__ import annotations

import ipaddress
import runpy
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from hunter import metrics, ratelimit
from hunter.management.commands.runstack import metrics_folder_reset
from hunter.testing.celery_worker import CeleryWorkerProcess
from hunter.testing.dns_server import DnsServer
from hunter.testing.redis_server import free_port
from leads.choices import AlertStatus
from leads.tests.factories import AlertFactory, DomainSignalsFactory
from scanning import caching
from scanning.engine.registration import Registration
from scanning.models import ScanJob
from scanning.services.jobs import scan_job_start

pytestmark = pytest.mark.django_db
GUNICORN_CONFIG = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client, address: str = "127.0.0.1") -> Samples:
    response = client.get(reverse("healthz-metrics"), REMOTE_ADDR=address)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def unreachable_redis(db: int = 0) -> str:
    return f"redis://127.0.0.1:{free_port()}/{db}"  # nothing listens there


# --- who may read them -----------------------------------------------------------------------


def test_metrics_are_served_to_loopback_without_signing_in(client) -> None:
    scrape(client)  # 200 in the Prometheus text format, from 127.0.0.1
    assert client.get(reverse("healthz-metrics"), REMOTE_ADDR="::1").status_code == 200


def test_an_address_outside_the_allow_list_is_refused(client) -> None:
    response = client.get(reverse("healthz-metrics"), REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 403
    assert b"hunter_" not in response.content


def test_a_forwarded_for_header_does_not_make_a_stranger_local(client) -> None:
    response = client.get(
        reverse("healthz-metrics"), REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="127.0.0.1"
    )

    assert response.status_code == 403


def test_a_network_in_the_allow_list_admits_its_addresses_and_only_them(client, settings) -> None:
    settings.HUNTER_METRICS_ALLOWED_NETWORKS = (ipaddress.ip_network("10.20.0.0/16"),)

    assert client.get(reverse("healthz-metrics"), REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get(reverse("healthz-metrics"), REMOTE_ADDR="10.21.3.4").status_code == 403
    assert client.get(reverse("healthz-metrics"), REMOTE_ADDR="127.0.0.1").status_code == 403


# --- what they say ---------------------------------------------------------------------------


def test_cache_hits_and_misses_are_counted_per_cache(client) -> None:
    before = scrape(client)
    caching._set_many([(caching.registration_key("known.com"), Registration("ok").to_dict(), 60)])

    caching.registrations_get_many(["known.com", "unknown.com", "other.com"])
    caching.dns_facts_get_many(["unknown.com"])

    after = scrape(client)
    name = "hunter_cache_requests_total"
    for cache, result, added in (
        ("registration", "hit", 1),
        ("registration", "miss", 2),
        ("dns", "miss", 1),
        ("dns", "hit", 0),
    ):
        labels = {"cache": cache, "result": result}
        assert value(after, name, **labels) == value(before, name, **labels) + added


def test_cache_errors_are_counted_when_redis_does_not_answer(client, settings) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "hunter.cache.ResilientRedisCache",
            "LOCATION": unreachable_redis(),
            "OPTIONS": {"FALLBACK": "miss", "BREAKER_NAME": "metrics-test-cache"},
        },
    }
    before = scrape(client)

    assert caching.dns_facts_get_many(["a.com", "b.com"]) == {}

    labels = {"cache": "dns", "result": "error"}
    after = scrape(client)
    assert value(after, "hunter_cache_requests_total", **labels) == (
        value(before, "hunter_cache_requests_total", **labels) + 2
    )


def test_limiter_waits_fallbacks_and_the_open_breaker_are_reported(client, settings) -> None:
    ratelimit.wait("metrics_wait_probe:1", rate=20, burst=1, tokens=2)  # waits ~50 ms
    settings.HUNTER_RATELIMIT_REDIS_URL = unreachable_redis(2)
    settings.HUNTER_REDIS_BREAKER_FAILURES = 2
    ratelimit.reset()
    before = scrape(client)

    for _ in range(3):
        assert ratelimit.acquire("metrics_fallback_probe:1", rate=100, burst=10).allowed

    after = scrape(client)
    assert value(after, "hunter_rate_limiter_waits_total", limiter="metrics_wait_probe") >= 1
    assert value(after, "hunter_rate_limiter_wait_seconds_total", limiter="metrics_wait_probe") > 0
    entered = value(after, "hunter_rate_limiter_fallback_switches_total", direction="enter")
    assert (
        entered
        == value(before, "hunter_rate_limiter_fallback_switches_total", direction="enter") + 1
    )
    fallback = {"limiter": "metrics_fallback_probe", "backend": "fallback", "outcome": "allowed"}
    assert value(after, "hunter_rate_limiter_acquires_total", **fallback) >= 3
    assert value(after, "hunter_redis_breaker_state", client="ratelimit") == 2  # open


def test_jobs_chunks_domains_and_alerts_are_counted_by_state_from_the_database(client) -> None:
    job = scan_job_start(domains=["a.com", "b.com", "c.com"], enqueue=False)
    ScanJob.objects.create(status="completed")
    DomainSignalsFactory.create_batch(2)
    DomainSignalsFactory(status="nxdomain")
    AlertFactory(status=AlertStatus.SENT)
    AlertFactory.create_batch(2, status=AlertStatus.PENDING)

    samples = scrape(client)

    assert value(samples, "hunter_scan_jobs", state="pending") == 1
    assert value(samples, "hunter_scan_jobs", state="completed") == 1
    assert value(samples, "hunter_scan_chunks", state="pending") == job.chunks.count()
    assert value(samples, "hunter_domains_scanned", state="ok") == 2
    assert value(samples, "hunter_domains_scanned", state="nxdomain") == 1
    assert value(samples, "hunter_alerts", state="sent") == 1
    assert value(samples, "hunter_alerts", state="pending") == 2


# --- every process adds up -------------------------------------------------------------------


@pytest.fixture
def metrics_worker(
    app_dns_server: DnsServer, monkeypatch: pytest.MonkeyPatch, request
) -> CeleryWorkerProcess:
    """A worker started after the environment points it at the loopback DNS server."""
    monkeypatch.setenv("HUNTER_REGISTRATION_ENABLED", "false")
    return request.getfixturevalue("celery_worker_process")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_counters_a_celery_worker_keeps_appear_in_the_web_process_scrape(
    metrics_worker: CeleryWorkerProcess, client
) -> None:
    miss = {"cache": "dns", "result": "miss"}
    scraped_before = value(scrape(client), "hunter_cache_requests_total", **miss)
    counted_here = metrics.CACHE_REQUESTS.labels(**miss)._value.get()

    job = scan_job_start(domains=["contoso.com", "fabrikam.com", "northwind.com"])
    deadline = time.monotonic() + 120
    while not ScanJob.objects.get(id=job.id).is_finished and time.monotonic() < deadline:
        time.sleep(0.2)

    assert ScanJob.objects.get(id=job.id).status == "completed", metrics_worker.log_tail()
    assert metrics.CACHE_REQUESTS.labels(**miss)._value.get() == counted_here  # not this process
    assert value(scrape(client), "hunter_cache_requests_total", **miss) >= scraped_before + 3


def test_gunicorn_forgets_the_live_gauges_of_a_worker_that_exited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    gauge, counter = tmp_path / "gauge_livemax_4242.db", tmp_path / "counter_4242.db"
    gauge.touch()
    counter.touch()
    config = runpy.run_path(str(GUNICORN_CONFIG))

    config["child_exit"](None, SimpleNamespace(pid=4242))

    assert not gauge.exists()  # a dead worker's breaker state no longer counts
    assert counter.exists()  # what it counted still does


def test_starting_the_stack_empties_the_metrics_folder(tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_17.db").write_bytes(b"from an earlier run")

    metrics_folder_reset(folder)
    metrics_folder_reset(tmp_path / "new")

    assert list(folder.iterdir()) == []
    assert (tmp_path / "new").is_dir()
