"""Scan caches (scanning.caching): keys, lifetimes, read-through scans and invalidation."""

from __future__ import annotations

import dataclasses

import pytest
from django.core.cache import caches

from hunter import metrics
from hunter.testing.dns_server import DnsServer
from scanning import caching
from scanning.config import engine_config
from scanning.engine.codec import to_dict
from scanning.engine.registration import Registration
from scanning.engine.scan import ScanResult, provider_evidence, score_input
from scanning.models import JobKind
from scanning.services.jobs import scan_job_run_inline, scan_job_start

pytestmark = pytest.mark.django_db


def score_key_of(result: ScanResult, rules_hash: str) -> str:
    assert result.dns is not None
    return caching._score_key(result.domain, score_input(result.dns, result.verdict), rules_hash)


def hits(cache: str, result: str = "hit") -> float:
    return metrics.CACHE_REQUESTS.labels(cache=cache, result=result)._value.get()


def scan(*domains: str, **options):
    return caching.cached_scan(list(domains), engine_config(registration=False), **options)


# --- keys and lifetimes -------------------------------------------------------------------------


def test_every_key_starts_with_the_format_version() -> None:
    keys = [
        caching.dns_key("contoso.com"),
        caching.registration_key("contoso.com"),
        caching.provider_key("outlook.com", "e" * 16, "r" * 16),
        caching.score_key("contoso.com", "M365", "s" * 16, "r" * 16),
    ]
    assert all(key.startswith(f"scan:v{caching.FORMAT_VERSION}:") for key in keys)
    assert len(set(keys)) == 4


def test_the_score_key_names_domain_provider_signals_and_rules() -> None:
    key = caching.score_key("contoso.com", "M365", "abc", "rules1")
    assert key.endswith(":score:contoso.com:M365:abc:rules1")
    assert caching.score_key("contoso.com", "M365", "abc", "rules2") != key


def test_derived_entries_never_outlive_the_dns_facts_they_come_from() -> None:
    ttls = caching.aligned_ttls(
        max_ttl=3600,
        dns=7200,
        registration=86_400,
        registration_failure=100_000,
        provider=86_400,
        score=5000,
    )
    assert ttls.dns == 3600  # capped
    assert ttls.score <= ttls.dns
    assert ttls.provider <= ttls.dns
    assert ttls.registration_failure <= ttls.registration


def test_the_alignment_rule_holds_for_lifetimes_from_settings(settings) -> None:
    settings.HUNTER_CACHE_DNS_TTL = 600
    settings.HUNTER_CACHE_SCORE_TTL = 3600
    ttls = caching.ttls_from_settings()
    assert (ttls.dns, ttls.score, ttls.provider) == (600, 600, 600)


def test_a_failed_registration_lookup_is_kept_for_less_time_than_a_found_one(settings) -> None:
    ttls = caching.ttls_from_settings()
    failed = Registration.unknown("rdap: timeout; whois: refused")
    assert caching.registration_ttl(failed, ttls) == settings.HUNTER_CACHE_REGISTRATION_FAILURE_TTL
    assert caching.registration_ttl(Registration("ok"), ttls) == ttls.registration
    assert caching.registration_ttl(failed, ttls) < caching.registration_ttl(
        Registration("ok"), ttls
    )


# --- reading through ----------------------------------------------------------------------------


def test_a_repeat_scan_reads_dns_facts_from_the_cache(app_dns_server: DnsServer) -> None:
    (first,) = scan("contoso.com")
    app_dns_server.reset_counts()
    before = hits("dns")
    (second,) = scan("contoso.com")
    assert app_dns_server.total_queries() == 0
    assert second.to_record() == first.to_record()
    assert hits("dns") == before + 1


def test_the_cache_can_be_turned_off(app_dns_server: DnsServer, settings) -> None:
    scan("contoso.com")
    app_dns_server.reset_counts()
    scan("contoso.com", use_cache=False)
    assert app_dns_server.total_queries() > 0
    settings.HUNTER_CACHE_ENABLED = False
    app_dns_server.reset_counts()
    scan("contoso.com")
    assert app_dns_server.total_queries() > 0


def test_an_entry_in_an_old_format_is_a_miss_not_an_error(app_dns_server: DnsServer) -> None:
    caches["default"].set(caching.dns_key("contoso.com"), {"domain": "contoso.com"})
    (result,) = scan("contoso.com")
    assert result.status == "ok"
    assert app_dns_server.total_queries() > 0


def test_registrations_are_cached_with_failures_as_negative_entries(settings) -> None:
    ttls = caching.ttls_from_settings()
    failed = Registration.unknown("rdap: timeout; whois: refused")
    caching._set_many(
        [
            (
                caching.registration_key("gone.com"),
                failed.to_dict(),
                caching.registration_ttl(failed, ttls),
            )
        ]
    )
    found = caching.registrations_get_many(["gone.com", "unknown.com"])
    assert found == {"gone.com": failed}  # a cached failure, told apart from a miss
    stored_for = caches["default"].ttl(caching.registration_key("gone.com"))  # type: ignore[attr-defined]
    assert stored_for <= ttls.registration_failure


def test_scores_are_served_from_their_cache_keyed_by_the_rules_hash(
    app_dns_server: DnsServer,
) -> None:
    config = engine_config(registration=False)
    (result,) = caching.cached_scan(["contoso.com"], config)
    assert result.score is not None
    assert result.dns is not None
    key = score_key_of(result, config.rules.hash)
    planted = dataclasses.replace(result.score, reason="planted in the cache")
    caches["default"].set(key, to_dict(planted))
    (again,) = caching.cached_scan(["contoso.com"], config)
    assert again.score == planted  # read through the score cache
    new_rules = dataclasses.replace(config.rules, hash="0123456789abcdef")
    changed = dataclasses.replace(config, rules=new_rules)
    (after_rules_change,) = caching.cached_scan(["contoso.com"], changed)
    assert after_rules_change.score is not None
    assert after_rules_change.score.reason != "planted in the cache"


# --- invalidation -------------------------------------------------------------------------------


def test_invalidating_a_domain_forgets_its_dns_registration_and_score_entries(
    app_dns_server: DnsServer,
) -> None:
    config = engine_config(registration=False)
    (result,) = caching.cached_scan(["contoso.com", "fabrikam.com"], config)[:1]
    cache = caches["default"]
    caching._set_many([(caching.registration_key("contoso.com"), Registration("ok").to_dict(), 60)])
    score_key = score_key_of(result, config.rules.hash)
    assert cache.get(caching.dns_key("contoso.com")) is not None
    assert cache.get(score_key) is not None
    caching.domain_invalidate(["contoso.com"])
    assert cache.get(caching.dns_key("contoso.com")) is None
    assert cache.get(caching.registration_key("contoso.com")) is None
    assert cache.get(score_key) is None
    assert cache.get(caching.dns_key("fabrikam.com")) is not None  # other domains stay


def test_a_provider_entry_is_keyed_by_its_evidence_so_changed_dns_never_reads_it(
    app_dns_server: DnsServer,
) -> None:
    config = engine_config(registration=False)
    contoso, fabrikam = caching.cached_scan(["contoso.com", "fabrikam.com"], config)
    assert contoso.dns is not None
    assert contoso.verdict is not None
    assert fabrikam.dns is not None
    assert fabrikam.verdict is not None
    key = caching._provider_key(provider_evidence(contoso.dns), config.rules.hash)
    assert caches["default"].get(key) == to_dict(contoso.verdict)
    assert caching._provider_key(provider_evidence(fabrikam.dns), config.rules.hash) != key
    assert caching._provider_key(provider_evidence(contoso.dns), "other-rules") != key


def test_a_cached_verdict_is_served_without_deciding_the_provider_again(
    app_dns_server: DnsServer,
) -> None:
    config = engine_config(registration=False)
    (first,) = caching.cached_scan(["contoso.com"], config)
    assert first.dns is not None
    assert first.verdict is not None
    planted = dataclasses.replace(first.verdict, evidence=("planted in the cache",))
    key = caching._provider_key(provider_evidence(first.dns), config.rules.hash)
    caches["default"].set(key, to_dict(planted))

    (again,) = caching.cached_scan(["contoso.com"], config)

    assert again.verdict == planted
    assert again.to_record()["evidence"] == ["planted in the cache"]


def test_a_rescan_job_asks_dns_again_instead_of_reading_the_cache(
    app_dns_server: DnsServer, settings
) -> None:
    settings.HUNTER_REGISTRATION_ENABLED = False
    scan_job_run_inline(job_id=scan_job_start(domains=["contoso.com"], enqueue=False).id)
    app_dns_server.reset_counts()
    scan_job_run_inline(job_id=scan_job_start(domains=["contoso.com"], enqueue=False).id)
    assert app_dns_server.total_queries() == 0  # a second scan: all from the cache
    rescan = scan_job_start(domains=["contoso.com"], kind=JobKind.RESCAN, enqueue=False)
    scan_job_run_inline(job_id=rescan.id)
    assert app_dns_server.total_queries() > 0


def test_a_batch_of_cached_new_invalid_and_repeated_inputs_reads_like_an_uncached_scan(
    app_dns_server: DnsServer,
) -> None:
    config = engine_config(registration=False)
    caching.cached_scan(["contoso.com", "northwind.com"], config)
    inputs = ["fabrikam.com", "Contoso.com", "not a domain!", "northwind.com", "contoso.com"]

    served = caching.cached_scan(inputs, config)

    uncached = caching.cached_scan(inputs, config, use_cache=False)
    assert [r.to_record() for r in served] == [r.to_record() for r in uncached]
    assert [r.input for r in served] == inputs
