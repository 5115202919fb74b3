"""Scan caches: the one place that builds their keys, knows their lifetimes and clears them.

Four caches, all in the Django ``default`` cache (Redis in production), values as JSON-safe
dicts from :mod:`scanning.engine.codec`:

* DNS facts per domain, and registration data per domain (a failed lookup is stored too, as a
  negative entry with a shorter lifetime, so a registry that is down is not hammered);
* the provider verdict per MX root and the evidence behind it, and the score per domain,
  provider, signals and rules. Both keys carry the rules hash, so a rules change never serves
  an old verdict or score.

Every key starts with :data:`KEY_PREFIX`, which names the format version: a format change
bumps it and old entries are never read. A derived entry never outlives its inputs (see
:func:`aligned_ttls`). A rescan clears the domain's entries first (:func:`domain_invalidate`).
While Redis is away the cache backend answers misses and skips writes; the scan asks DNS.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from django.conf import settings
from django.core.cache import BaseCache, caches

from hunter import metrics
from scanning.engine.codec import CodecError, from_dict, to_dict
from scanning.engine.dns import DnsFacts
from scanning.engine.normalize import normalize_free_text
from scanning.engine.providers import ProviderVerdict
from scanning.engine.registration import Registration
from scanning.engine.scan import (
    EngineConfig,
    ScanResult,
    provider_evidence,
    scan_many_sync,
    score_input,
)
from scanning.engine.scoring import ScoreInput, ScoreResult

T = TypeVar("T")
FORMAT_VERSION = 1
KEY_PREFIX = f"scan:v{FORMAT_VERSION}"
CACHE_NAMES = ("dns", "registration", "provider", "score")
# Called with the domains about to be asked of DNS and of registries (cache misses only).
BeforeLookups = Callable[[Sequence[str], Sequence[str]], None]


# --- keys ----------------------------------------------------------------------------------


def dns_key(domain: str) -> str:
    return f"{KEY_PREFIX}:dns:{domain}"


def registration_key(domain: str) -> str:
    return f"{KEY_PREFIX}:registration:{domain}"


def provider_key(mx_root: str, evidence_hash: str, rules_hash: str) -> str:
    return f"{KEY_PREFIX}:provider:{mx_root}:{evidence_hash}:{rules_hash}"


def score_key(domain: str, provider: str, signals_hash: str, rules_hash: str) -> str:
    return f"{KEY_PREFIX}:score:{domain}:{provider}:{signals_hash}:{rules_hash}"


def score_key_pattern(domain: str) -> str:
    """Every score entry of a domain, whatever its provider, signals or rules."""
    return f"{KEY_PREFIX}:score:{domain}:*"


def value_hash(value: Any) -> str:
    """First 16 hex digits of SHA-256 of a dataclass's canonical JSON (sorted keys)."""
    # orjson writes compact, key-sorted JSON several times faster than the json module.
    canonical = orjson.dumps(to_dict(value), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()[:16]


# --- lifetimes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CacheTtls:
    """Lifetimes in seconds of each cache's entries, already aligned."""

    dns: int
    registration: int
    registration_failure: int
    provider: int
    score: int


def aligned_ttls(
    *,
    max_ttl: int,
    dns: int,
    registration: int,
    registration_failure: int,
    provider: int,
    score: int,
) -> CacheTtls:
    """Lifetimes with the alignment rule applied: a derived entry never outlives its inputs.

    DNS facts live at most ``max_ttl``; the provider verdict and the score are derived from
    them, so they live no longer than DNS; a failed registration lookup no longer than a
    successful one.
    """
    dns = min(dns, max_ttl)
    return CacheTtls(
        dns=dns,
        registration=registration,
        registration_failure=min(registration_failure, registration),
        provider=min(provider, dns),
        score=min(score, dns),
    )


def ttls_from_settings() -> CacheTtls:
    return aligned_ttls(
        max_ttl=settings.HUNTER_CACHE_MAX_TTL,
        dns=settings.HUNTER_CACHE_DNS_TTL,
        registration=settings.HUNTER_CACHE_REGISTRATION_TTL,
        registration_failure=settings.HUNTER_CACHE_REGISTRATION_FAILURE_TTL,
        provider=settings.HUNTER_CACHE_PROVIDER_TTL,
        score=settings.HUNTER_CACHE_SCORE_TTL,
    )


def registration_ttl(registration: Registration, ttls: CacheTtls) -> int:
    """A failed lookup (a negative entry) is kept for less time than a found one."""
    return ttls.registration if registration.status == "ok" else ttls.registration_failure


# --- reading and writing -------------------------------------------------------------------


def scan_cache() -> BaseCache:
    return caches["default"]


@dataclass(frozen=True)
class CacheRead:
    """Entries wanted from one cache: key by id, and how to decode a stored value."""

    name: str
    keys: Mapping[str, str]
    decode: Callable[[Any], Any]


def _get_many(*reads: CacheRead) -> list[dict[str, Any]]:
    """Each read's entries by id, all in one round trip; counts hits, misses and errors.

    An entry that does not decode is a miss. While Redis is away every read is empty.
    """
    cache = scan_cache()
    failures_before = getattr(cache, "failures", 0)
    wanted = [key for read in reads for key in read.keys.values()]
    stored = cache.get_many(wanted) if wanted else {}
    if getattr(cache, "failures", 0) != failures_before:
        for read in reads:
            metrics.CACHE_REQUESTS.labels(cache=read.name, result="error").inc(len(read.keys))
        return [{} for _ in reads]
    return [_found(read, stored) for read in reads]


def _found(read: CacheRead, stored: Mapping[str, Any]) -> dict[str, Any]:
    found = {}
    for ident, key in read.keys.items():
        value = read.decode(stored[key]) if key in stored else None
        if value is not None:
            found[ident] = value
    metrics.CACHE_REQUESTS.labels(cache=read.name, result="hit").inc(len(found))
    metrics.CACHE_REQUESTS.labels(cache=read.name, result="miss").inc(len(read.keys) - len(found))
    return found


def _decoder(cls: type[T]) -> Callable[[Any], T | None]:
    def decode(data: Any) -> T | None:
        try:
            return from_dict(cls, data)
        except CodecError:
            return None

    return decode


def _set_many(entries: Iterable[tuple[str, dict[str, Any], int]]) -> None:
    """Write entries grouped by lifetime (one round trip per lifetime)."""
    by_ttl: dict[int, dict[str, Any]] = {}
    for key, value, ttl in entries:
        by_ttl.setdefault(ttl, {})[key] = value
    for ttl, values in by_ttl.items():
        scan_cache().set_many(values, timeout=ttl)


def _dns_read(domains: Sequence[str]) -> CacheRead:
    return CacheRead("dns", {d: dns_key(d) for d in domains}, _decoder(DnsFacts))


def _registration_read(domains: Sequence[str]) -> CacheRead:
    return CacheRead(
        "registration", {d: registration_key(d) for d in domains}, Registration.from_dict
    )


def dns_facts_get_many(domains: Sequence[str]) -> dict[str, DnsFacts]:
    """The cached DNS facts of these domains (the ones there are)."""
    (facts,) = _get_many(_dns_read(domains))
    return facts


def registrations_get_many(domains: Sequence[str]) -> dict[str, Registration]:
    """The cached registrations of these domains, negative entries included."""
    (registrations,) = _get_many(_registration_read(domains))
    return registrations


def lookups_get_many(
    domains: Sequence[str], *, registrations: bool
) -> tuple[dict[str, DnsFacts], dict[str, Registration]]:
    """Cached DNS facts and (when asked) registrations of these domains, in one round trip."""
    if not registrations:
        return dns_facts_get_many(domains), {}
    facts, found = _get_many(_dns_read(domains), _registration_read(domains))
    return facts, found


def domain_invalidate(domains: Iterable[str]) -> None:
    """Forget what the caches know about these domains (a rescan asks again)."""
    cache = scan_cache()
    domains = list(domains)
    cache.delete_many([k for d in domains for k in (dns_key(d), registration_key(d))])
    delete_pattern = getattr(cache, "delete_pattern", None)
    for domain in domains:
        if delete_pattern is not None:
            delete_pattern(score_key_pattern(domain))
        else:  # a local-memory cache (embedded mode) cannot match patterns
            _locmem_delete_pattern(cache, score_key_pattern(domain))


def _locmem_delete_pattern(cache: BaseCache, pattern: str) -> None:
    stored = getattr(cache, "_cache", {})
    prefix = cache.make_key(pattern.rstrip("*"))
    cache.delete_many([key.split(":", 2)[2] for key in list(stored) if key.startswith(prefix)])


# --- the read-through scan -----------------------------------------------------------------


def cached_scan(
    inputs: Sequence[str],
    config: EngineConfig,
    *,
    use_cache: bool | None = None,
    before_lookups: BeforeLookups | None = None,
) -> list[ScanResult]:
    """:func:`scan_many_sync` reading through the caches (HUNTER_CACHE_ENABLED by default).

    ``before_lookups`` hears which domains will really be asked (the cache misses), so rate
    limits are spent on lookups, not on cache hits.
    """
    enabled = settings.HUNTER_CACHE_ENABLED if use_cache is None else use_cache
    domains = list(dict.fromkeys(d for d in (normalize_free_text(v).domain for v in inputs) if d))
    registering = config.registration.enabled
    facts, registrations = (
        lookups_get_many(domains, registrations=registering) if enabled else ({}, {})
    )
    if before_lookups is not None:
        before_lookups(
            [d for d in domains if d not in facts],
            [d for d in domains if d not in registrations] if registering else [],
        )
    results = scan_many_sync(inputs, config, known_facts=facts, known_registrations=registrations)
    if not enabled:
        return results
    ttls = ttls_from_settings()
    _store_lookups(results, facts, registrations, ttls)
    return decisions_read_through(results, ttls, config.rules.hash)


def _store_lookups(
    results: Sequence[ScanResult],
    known_facts: Mapping[str, DnsFacts],
    known_registrations: Mapping[str, Registration],
    ttls: CacheTtls,
) -> None:
    entries = []
    for result in {r.domain: r for r in results if r.domain}.values():
        if result.dns is not None and result.domain not in known_facts:
            entries.append((dns_key(result.domain), to_dict(result.dns), ttls.dns))
        fresh = result.domain not in known_registrations
        if fresh and result.registration.status in ("ok", "unknown"):
            ttl = registration_ttl(result.registration, ttls)
            entries.append((registration_key(result.domain), result.registration.to_dict(), ttl))
    _set_many(entries)


def decisions_read_through(
    results: Sequence[ScanResult], ttls: CacheTtls, rules_hash: str
) -> list[ScanResult]:
    """Serve provider verdicts and scores from their caches; store the ones not there yet."""
    provider_keys, score_keys = {}, {}
    for index, result in enumerate(results):
        if result.status == "ok" and result.dns is not None and result.verdict is not None:
            provider_keys[str(index)] = _provider_key(result.dns, result.verdict, rules_hash)
        if result.status == "ok" and result.dns is not None and result.score is not None:
            score_keys[str(index)] = _score_key(result, rules_hash)
    verdicts, scores = _get_many(
        CacheRead("provider", provider_keys, _decoder(ProviderVerdict)),
        CacheRead("score", score_keys, _decoder(ScoreResult)),
    )
    served, entries = [], []
    for index, result in enumerate(results):
        ident = str(index)
        if ident in provider_keys and ident not in verdicts:
            entries.append((provider_keys[ident], to_dict(result.verdict), ttls.provider))
        if ident in score_keys and ident not in scores:
            entries.append((score_keys[ident], to_dict(result.score), ttls.score))
        served.append(
            dataclasses.replace(
                result,
                verdict=verdicts.get(ident, result.verdict),
                score=scores.get(ident, result.score),
            )
        )
    _set_many(entries)
    return served


def _provider_key(facts: DnsFacts, verdict: ProviderVerdict, rules_hash: str) -> str:
    return provider_key(verdict.mx_root or "-", value_hash(provider_evidence(facts)), rules_hash)


def _score_key(result: ScanResult, rules_hash: str) -> str:
    assert result.dns is not None
    signals: ScoreInput = score_input(result.dns, result.verdict)
    return score_key(result.domain, signals.provider, value_hash(signals), rules_hash)
