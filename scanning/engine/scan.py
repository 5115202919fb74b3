"""One scan, end to end: from what a user typed to a scored lead, for many inputs at once.

This is the engine's front door. It normalises every input, asks DNS and registration data for
each distinct domain concurrently (bounded), then makes the pure decisions: provider behind
the MX (and behind a gateway), score, segment and P-model. The CLI, the Celery jobs and the API
call :func:`scan_many` and store or print what it returns; nothing here touches Django.

An unknown is not a no: when DNS did not answer a question the scan needs, the result is
``unresolved`` with no score, so a later scan can settle it instead of filing the lead wrongly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from dns.asyncresolver import Resolver as AsyncResolver

from scanning.engine.dns import DnsConfig, DnsFacts, collect_many
from scanning.engine.normalize import normalize_free_text
from scanning.engine.providers import ProviderEvidence, ProviderVerdict, decide_provider
from scanning.engine.registration import (
    Registration,
    RegistrationConfig,
    lookup_registrations,
)
from scanning.engine.rules import Rules, load_rules
from scanning.engine.scoring import ScoreInput, ScoreResult, invalid_input_result, score_lead

ScanStatus = Literal["ok", "invalid", "nxdomain", "unresolved"]
DISABLED_REGISTRATION = Registration(status="disabled")


@dataclass(frozen=True)
class EngineConfig:
    """Everything a scan needs to know, built by the caller (from Django settings or flags)."""

    dns: DnsConfig = field(default_factory=DnsConfig)
    registration: RegistrationConfig = field(default_factory=RegistrationConfig)
    dns_concurrency: int = 200
    registration_concurrency: int = 10
    rules: Rules = field(default_factory=load_rules)
    # A resolver to use instead of the one built from ``dns`` (benchmarks record with it).
    dns_resolver: AsyncResolver | None = None


@dataclass(frozen=True)
class ScanResult:
    """The outcome for one input: status, the facts read, and the decisions made from them.

    ``domain`` is "" for an invalid input. ``score`` is None only for ``unresolved``: an
    invalid input or a domain with no mail still gets the Cold / NO_GO / P6 verdict.
    """

    input: str
    domain: str
    status: ScanStatus
    message: str | None
    dns: DnsFacts | None
    verdict: ProviderVerdict | None
    score: ScoreResult | None
    registration: Registration

    def to_record(self) -> dict[str, Any]:
        """A JSON-safe dict: the CLI's output line and the shape the jobs persist."""
        return {
            "input": self.input,
            "domain": self.domain or None,
            "status": self.status,
            "message": self.message,
            **_verdict_record(self.verdict),
            **_dns_record(self.dns),
            **score_record(self.score),
            **_registration_record(self.registration),
            "evidence": list(self.verdict.evidence) if self.verdict else [],
        }


async def scan_many(
    inputs: Sequence[str],
    config: EngineConfig,
    *,
    known_facts: Mapping[str, DnsFacts] | None = None,
    known_registrations: Mapping[str, Registration] | None = None,
) -> list[ScanResult]:
    """Scan every input (in input order); each distinct domain is looked up once.

    Domains in ``known_facts`` / ``known_registrations`` (a cache's entries) are not asked
    again; the results carry the facts and registrations used, fresh or known.
    """
    normalised = [normalize_free_text(value) for value in inputs]
    domains = list(dict.fromkeys(n.domain for n in normalised if n.domain))
    known_facts = known_facts or {}
    known_registrations = known_registrations or {}
    to_collect = [domain for domain in domains if domain not in known_facts]
    to_register = [domain for domain in domains if domain not in known_registrations]
    facts, registrations = await asyncio.gather(
        collect_many(to_collect, config.dns, config.dns_concurrency, resolver=config.dns_resolver),
        _registrations(to_register, config),
    )
    facts_by_domain = {**known_facts, **dict(zip(to_collect, facts, strict=True))}
    if config.registration.enabled:
        registrations = {**known_registrations, **registrations}
    results = []
    for raw, outcome in zip(inputs, normalised, strict=True):
        if not outcome.domain:
            results.append(invalid_result(str(raw), outcome.reason or "invalid", config.rules))
            continue
        registration = registrations.get(outcome.domain, DISABLED_REGISTRATION)
        results.append(
            decide(str(raw), facts_by_domain[outcome.domain], registration, config.rules)
        )
    return results


def scan_many_sync(
    inputs: Sequence[str],
    config: EngineConfig,
    *,
    known_facts: Mapping[str, DnsFacts] | None = None,
    known_registrations: Mapping[str, Registration] | None = None,
) -> list[ScanResult]:
    """:func:`scan_many` for synchronous callers (a CLI, a Celery task); not inside a loop."""
    return asyncio.run(
        scan_many(
            inputs,
            config,
            known_facts=known_facts,
            known_registrations=known_registrations,
        )
    )


async def _registrations(domains: list[str], config: EngineConfig) -> dict[str, Registration]:
    if not config.registration.enabled or not domains:
        return {}
    return await lookup_registrations(
        domains, config.registration, concurrency=config.registration_concurrency
    )


def invalid_result(raw: str, reason: str, rules: Rules) -> ScanResult:
    """An input that is not a domain: no lookups, the invalid-input verdict and the reason."""
    return ScanResult(
        input=raw,
        domain="",
        status="invalid",
        message=f"not a valid domain: {reason}",
        dns=None,
        verdict=None,
        score=invalid_input_result(reason, rules),
        registration=DISABLED_REGISTRATION,
    )


def decide(
    raw: str,
    facts: DnsFacts,
    registration: Registration,
    rules: Rules,
    *,
    provider_of: Callable[[ProviderEvidence], ProviderVerdict] = decide_provider,
    score_of: Callable[[ScoreInput], ScoreResult] | None = None,
) -> ScanResult:
    """The pure decisions for one domain from the facts read about it.

    ``provider_of`` and ``score_of`` (default: :func:`decide_provider` and :func:`score_lead`
    under ``rules``) make the two decisions; a cache passes functions that answer from its
    entries, so what is decided when stays here.
    """
    if facts.status == "invalid":
        return invalid_result(raw, "not a domain name", rules)
    verdict = provider_of(provider_evidence(facts)) if facts.status == "ok" else None
    if unknown := unresolved_parts(facts):
        message = "DNS did not answer for: " + ", ".join(unknown)
        return ScanResult(
            raw, facts.domain, "unresolved", message, facts, verdict, None, registration
        )
    signals = score_input(facts, verdict)
    score = score_of(signals) if score_of is not None else score_lead(signals, rules)
    if facts.status == "nxdomain":
        message = "the domain does not exist in DNS"
        return ScanResult(raw, facts.domain, "nxdomain", message, facts, None, score, registration)
    return ScanResult(raw, facts.domain, "ok", None, facts, verdict, score, registration)


def unresolved_parts(facts: DnsFacts) -> list[str]:
    """The parts of the scan DNS left unknown; any of them keeps the lead unscored.

    A DKIM selector that timed out does not count when another selector already has a key:
    the signal is known to be present.
    """
    if facts.status == "unresolved":
        return ["MX"]
    if facts.status != "ok":
        return []
    parts = []
    if facts.spf.status == "unresolved":
        parts.append("SPF")
    if facts.dmarc_status == "unresolved":
        parts.append("DMARC")
    if facts.dkim.status == "unresolved" and not facts.dkim.present:
        parts.append("DKIM")
    return parts


def provider_evidence(facts: DnsFacts) -> ProviderEvidence:
    """What provider detection reads from the DNS facts."""
    return ProviderEvidence(
        mx_hosts=facts.mx_hosts,
        spf_includes=facts.spf.includes,
        dkim_cname_targets=facts.dkim.cname_targets,
        autodiscover_target=facts.autodiscover_target,
        apex_txt=facts.apex_txt,
    )


def score_input(facts: DnsFacts, verdict: ProviderVerdict | None) -> ScoreInput:
    """The scorer's inputs from fresh DNS facts (see :func:`score_input_from_signals`)."""
    dmarc = facts.dmarc
    return score_input_from_signals(
        provider=verdict.provider if verdict else None,
        mx_hosts=facts.mx_hosts,
        spf=facts.spf.present,
        dkim=facts.dkim.present,
        dmarc_policy=dmarc.policy if dmarc else None,
        dmarc_testing=bool(dmarc and dmarc.testing),
        spf_record=facts.spf.record,
        domain_exists=facts.status != "nxdomain",
        accepts_mail=not facts.null_mx,
    )


def score_input_from_signals(
    *,
    provider: str | None,
    mx_hosts: Sequence[str] | None,
    spf: bool | None,
    dkim: bool | None,
    dmarc_policy: str | None,
    dmarc_testing: bool,
    spf_record: str | None,
    domain_exists: bool,
    accepts_mail: bool,
) -> ScoreInput:
    """The scorer's inputs from plain signal values: a fresh scan's or stored ones (rescore).

    One place for the mapping rules, so a scan and a re-score of its stored signals agree:
    a DMARC policy in test mode (``t=y``) scores as ``none`` because it enforces nothing,
    whatever ``p`` says; a missing provider is ``Unknown``; an unknown (None) SPF or DKIM
    earns no points, and empty texts count as absent.
    """
    return ScoreInput(
        provider=provider or "Unknown",
        mx_hosts=tuple(mx_hosts) if mx_hosts is not None else None,
        spf=bool(spf),
        dkim=bool(dkim),
        dmarc_policy="none" if dmarc_testing else (dmarc_policy or None),
        spf_record=spf_record or None,
        domain_exists=domain_exists,
        accepts_mail=accepts_mail,
    )


# --- the output record ---------------------------------------------------------------------


_NO_VERDICT: dict[str, Any] = {
    "provider": None,
    "gateway": None,
    "provider_inferred_behind_gateway": False,
    "tenant_size": None,
    "tenant_initial_domain": None,
    "local_provider": None,
    "mx_root": None,
    "mixed_vendors": [],
}


def _verdict_record(verdict: ProviderVerdict | None) -> dict[str, Any]:
    if verdict is None:
        return {**_NO_VERDICT, "mixed_vendors": []}
    return {
        "provider": verdict.provider,
        "gateway": verdict.gateway,
        "provider_inferred_behind_gateway": verdict.inferred_from_gateway,
        "tenant_size": verdict.tenant_size,
        "tenant_initial_domain": verdict.tenant_initial_domain,
        "local_provider": verdict.local_provider,
        "mx_root": verdict.mx_root,
        "mixed_vendors": list(verdict.mixed_vendors),
    }


def _dns_record(facts: DnsFacts | None) -> dict[str, Any]:
    if facts is None:
        return dict.fromkeys(_DNS_KEYS)
    dmarc = facts.dmarc
    return {
        "mx": list(facts.mx_hosts),
        "mx_records": [{"preference": pref, "host": host} for pref, host in facts.mx],
        "null_mx": facts.null_mx,
        "spf": _known(facts.spf.present, facts.spf.status == "unresolved"),
        "spf_record": facts.spf.record,
        "spf_dns_lookups": facts.spf.dns_lookups,
        "spf_void_lookups": facts.spf.void_lookups,
        "spf_error": facts.spf.error,
        "dkim": _known(facts.dkim.present, facts.dkim.status == "unresolved"),
        "dkim_selectors": list(facts.dkim.selectors_found),
        "dkim_selectors_checked": list(facts.dkim.selectors_checked),
        "dkim_message": facts.dkim.message,
        "dmarc_policy": dmarc.policy if dmarc else None,
        "dmarc_coverage": dmarc.coverage if dmarc else None,
        "dmarc_record": dmarc.raw if dmarc else None,
        "dmarc_testing": dmarc.testing if dmarc else False,
        "dmarc_subdomain_policy": dmarc.subdomain_policy if dmarc else None,
        "autodiscover": facts.autodiscover_target,
        "dns_errors": list(facts.errors),
    }


def _known(present: bool, unresolved: bool) -> bool | None:
    # A signal DNS did not answer for is unknown (None), not absent (False).
    return True if present else (None if unresolved else False)


_DNS_KEYS = (
    "mx mx_records null_mx spf spf_record spf_dns_lookups spf_void_lookups spf_error dkim "
    "dkim_selectors dkim_selectors_checked dkim_message dmarc_policy dmarc_coverage "
    "dmarc_record dmarc_testing dmarc_subdomain_policy autodiscover dns_errors"
).split()


def score_record(score: ScoreResult | None) -> dict[str, Any]:
    """The score's part of the record (also what a stored score row is written from)."""
    if score is None:
        return dict.fromkeys(_SCORE_KEYS) | {"reasons": [], "hard_fail": False}
    return {
        "score": score.score,
        "segment": score.segment,
        "reason": score.reason,
        "reasons": [{"rule": key, "points": points} for key, points in score.breakdown],
        "hard_fail": score.hard_fail,
        "priority_score": score.priority_score,
        "technical_heat": score.technical_heat,
        "commercial_segment": score.commercial_segment,
        "commercial_heat": score.commercial_heat,
        "priority_category": score.priority_category,
        "priority_label": score.priority_label,
        "rules_hash": score.rules_hash,
    }


_SCORE_KEYS = (
    "score segment reason priority_score technical_heat commercial_segment commercial_heat "
    "priority_category priority_label rules_hash"
).split()


def _registration_record(registration: Registration) -> dict[str, Any]:
    return {
        "registration_status": registration.status,
        "registrar": registration.registrar,
        "expires_at": registration.expires_at.isoformat() if registration.expires_at else None,
        "nameservers": list(registration.nameservers),
        "registration_source": registration.source,
        "registration_error": registration.error,
    }
