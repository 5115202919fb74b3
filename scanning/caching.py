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
from scanning.engine.domains import primary_mx_root
from scanning.engine.normalize import normalize_free_text
from scanning.engine.providers import ProviderEvidence, ProviderVerdict, decide_provider
from scanning.engine.registration import Registration
from scanning.engine.rules import Rules
from scanning.engine.scan import (
    DISABLED_REGISTRATION,
    EngineConfig,
    ScanResult,
    decide,
    provider_evidence,
    scan_many_sync,
    score_input,
    unresolved_parts,
)
from scanning.engine.scoring import ScoreInput, ScoreResult, score_lead

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

    A domain whose lookups are all cached is decided here, its provider verdict and score
    served from their caches (decided and stored on a miss); every other input goes to the
    engine, which asks DNS and registries only what the caches did not know.
    ``before_lookups`` hears which domains will really be asked (the cache misses), so rate
    limits are spent on lookups, not on cache hits.
    """
    enabled = settings.HUNTER_CACHE_ENABLED if use_cache is None else use_cache
    domains_of = [normalize_free_text(value).domain for value in inputs]
    domains = list(dict.fromkeys(d for d in domains_of if d))
    registering = config.registration.enabled
    facts, registrations = (
        lookups_get_many(domains, registrations=registering) if enabled else ({}, {})
    )
    if before_lookups is not None:
        before_lookups(
            [d for d in domains if d not in facts],
            [d for d in domains if d not in registrations] if registering else [],
        )
    ready = {d for d in domains if d in facts and (d in registrations or not registering)}
    rest = [index for index, domain in enumerate(domains_of) if domain not in ready]
    fresh = scan_many_sync(
        [inputs[i] for i in rest], config, known_facts=facts, known_registrations=registrations
    )
    if not enabled:
        return fresh
    ttls = ttls_from_settings()
    _store_lookups(fresh, facts, registrations, ttls)
    _store_decisions([r for r in fresh if r.domain not in facts], ttls, config.rules.hash)
    served = _decided_from_cache(
        [(str(inputs[i]), facts[d]) for i, d in enumerate(domains_of) if d in ready],
        registrations,
        ttls,
        config.rules,
    )
    return _in_input_order(len(inputs), dict(zip(rest, fresh, strict=True)), served)


def _in_input_order(
    count: int, fresh: Mapping[int, ScanResult], served: Sequence[ScanResult]
) -> list[ScanResult]:
    from_cache = iter(served)
    return [fresh[i] if i in fresh else next(from_cache) for i in range(count)]


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


def _store_decisions(results: Sequence[ScanResult], ttls: CacheTtls, rules_hash: str) -> None:
    """Provider verdicts and scores the engine just made from fresh DNS facts."""
    entries = []
    for result in results:
        if result.status != "ok" or result.dns is None:
            continue
        if result.verdict is not None:
            key = _provider_key(provider_evidence(result.dns), rules_hash)
            entries.append((key, to_dict(result.verdict), ttls.provider))
        if result.score is not None:
            key = _score_key(result.domain, score_input(result.dns, result.verdict), rules_hash)
            entries.append((key, to_dict(result.score), ttls.score))
    _set_many(entries)


def _decided_from_cache(
    items: Sequence[tuple[str, DnsFacts]],
    registrations: Mapping[str, Registration],
    ttls: CacheTtls,
    rules: Rules,
) -> list[ScanResult]:
    """Results for inputs whose lookups were all cached (input text, cached facts).

    Verdicts and scores are read from their caches in one round trip each (the score key
    needs the verdict), decided and stored only on a miss; :func:`decide` then assembles
    each result exactly as a fresh scan would.
    """
    facts_by_domain = {facts.domain: facts for _, facts in items}
    verdicts = _verdicts_through_cache(facts_by_domain, ttls, rules.hash)
    scores = _scores_through_cache(facts_by_domain, verdicts, ttls, rules)
    results = []
    for raw, facts in items:
        provider_of, score_of = _served_decisions(facts.domain, verdicts, scores, rules)
        registration = registrations.get(facts.domain, DISABLED_REGISTRATION)
        results.append(
            decide(raw, facts, registration, rules, provider_of=provider_of, score_of=score_of)
        )
    return results


def _served_decisions(
    domain: str,
    verdicts: Mapping[str, ProviderVerdict],
    scores: Mapping[str, ScoreResult],
    rules: Rules,
) -> tuple[Callable[[ProviderEvidence], ProviderVerdict], Callable[[ScoreInput], ScoreResult]]:
    """What :func:`decide` calls for one domain: the verdict and score already at hand."""

    def provider_of(_: ProviderEvidence) -> ProviderVerdict:
        return verdicts[domain]

    def score_of(signals: ScoreInput) -> ScoreResult:
        # Only "ok" scores are cached; a domain filed otherwise is scored as it stands.
        return scores.get(domain) or score_lead(signals, rules)

    return provider_of, score_of


def _verdicts_through_cache(
    facts_by_domain: Mapping[str, DnsFacts], ttls: CacheTtls, rules_hash: str
) -> dict[str, ProviderVerdict]:
    evidence = {d: provider_evidence(f) for d, f in facts_by_domain.items() if f.status == "ok"}
    keys = {d: _provider_key(e, rules_hash) for d, e in evidence.items()}
    (verdicts,) = _get_many(CacheRead("provider", keys, _decoder(ProviderVerdict)))
    entries = []
    for domain in evidence.keys() - verdicts.keys():
        verdicts[domain] = decide_provider(evidence[domain])
        entries.append((keys[domain], to_dict(verdicts[domain]), ttls.provider))
    _set_many(entries)
    return verdicts


def _scores_through_cache(
    facts_by_domain: Mapping[str, DnsFacts],
    verdicts: Mapping[str, ProviderVerdict],
    ttls: CacheTtls,
    rules: Rules,
) -> dict[str, ScoreResult]:
    """Scores of the domains a scan files as "ok" (the only ones cached)."""
    signals = {
        domain: score_input(facts, verdicts.get(domain))
        for domain, facts in facts_by_domain.items()
        if facts.status == "ok" and not unresolved_parts(facts)
    }
    keys = {d: _score_key(d, s, rules.hash) for d, s in signals.items()}
    (scores,) = _get_many(CacheRead("score", keys, _decoder(ScoreResult)))
    entries = []
    for domain in signals.keys() - scores.keys():
        scores[domain] = score_lead(signals[domain], rules)
        entries.append((keys[domain], to_dict(scores[domain]), ttls.score))
    _set_many(entries)
    return scores


def _provider_key(evidence: ProviderEvidence, rules_hash: str) -> str:
    mx_root = primary_mx_root(evidence.mx_hosts) or "-"
    return provider_key(mx_root, value_hash(evidence), rules_hash)


def _score_key(domain: str, signals: ScoreInput, rules_hash: str) -> str:
    return score_key(domain, signals.provider, value_hash(signals), rules_hash)
