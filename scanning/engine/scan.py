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
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import httpx

from scanning.engine.dns import (
    DnsConfig,
    DnsFacts,
    DnsSession,
    collect_guarded,
    collect_many,
)
from scanning.engine.dns_transport import UdpTransport
from scanning.engine.normalize import normalize_free_text
from scanning.engine.providers import ProviderEvidence, ProviderVerdict, decide_provider
from scanning.engine.registration import (
    Registration,
    RegistrationConfig,
    lookup_registration,
    lookup_registrations,
)
from scanning.engine.rules import Rules, load_rules
from scanning.engine.scoring import ScoreInput, ScoreResult, invalid_input_result, score_lead

ScanStatus = Literal["ok", "invalid", "nxdomain", "unresolved"]
DISABLED_REGISTRATION = Registration(status="disabled")
# Inputs a stream holds at once, per domain in flight: room for fast domains to overtake a
# slow one (a timeout) without the window's head holding the whole scan back.
WINDOW_PER_SLOT = 4
T = TypeVar("T")


@dataclass(frozen=True)
class EngineConfig:
    """Everything a scan needs to know, built by the caller (from Django settings or flags)."""

    dns: DnsConfig = field(default_factory=DnsConfig)
    registration: RegistrationConfig = field(default_factory=RegistrationConfig)
    dns_concurrency: int = 200
    registration_concurrency: int = 10
    rules: Rules = field(default_factory=load_rules)
    # A transport to use instead of the one built from ``dns`` (benchmarks record with it);
    # its sockets belong to the event loop of its first question, so one per run.
    dns_transport: UdpTransport | None = None


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
        collect_many(
            to_collect, config.dns, config.dns_concurrency, transport=config.dns_transport
        ),
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
    return run(
        scan_many(
            inputs,
            config,
            known_facts=known_facts,
            known_registrations=known_registrations,
        )
    )


async def scan_stream(inputs: Iterable[str], config: EngineConfig) -> AsyncIterator[ScanResult]:
    """Scan inputs as they come, yielding each result in input order as soon as it and every
    result before it are done.

    At most ``WINDOW_PER_SLOT * dns_concurrency`` inputs are held at once and at most
    ``dns_concurrency`` domains are asked about, so memory does not grow with the input:
    a million-line file streams like a short one. A domain repeated while its lookup is under
    way shares that lookup; a repeat after it finished is looked up again.
    """
    window: deque[asyncio.Task[ScanResult]] = deque()
    limit = WINDOW_PER_SLOT * max(1, config.dns_concurrency)
    async with _Stream(config) as stream:
        try:
            for raw in inputs:
                window.append(asyncio.ensure_future(stream.scan(raw)))
                if len(window) >= limit:
                    yield await window.popleft()
            while window:
                yield await window.popleft()
        finally:
            for task in window:  # the caller stopped early: nothing is left running
                task.cancel()


class _Stream:
    """The shared parts of one streamed scan: DNS session, HTTP client, the bounds."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.session = DnsSession(config.dns, config.dns_transport)
        self.dns_gate = asyncio.Semaphore(max(1, config.dns_concurrency))
        self.registration_gate = asyncio.Semaphore(max(1, config.registration_concurrency))
        self.in_flight: dict[str, asyncio.Task[tuple[DnsFacts, Registration]]] = {}
        self.client: httpx.AsyncClient | None = None
        self._exit = AsyncExitStack()

    async def __aenter__(self) -> _Stream:
        self._exit.callback(self.session.close)
        if self.config.registration.enabled:
            client = httpx.AsyncClient(follow_redirects=True)
            self.client = await self._exit.enter_async_context(client)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for task in self.in_flight.values():
            task.cancel()
        await self._exit.aclose()

    async def scan(self, raw: str) -> ScanResult:
        outcome = normalize_free_text(raw)
        if not outcome.domain:
            return invalid_result(str(raw), outcome.reason or "invalid", self.config.rules)
        facts, registration = await self._facts(outcome.domain)
        return decide(str(raw), facts, registration, self.config.rules)

    def _facts(self, domain: str) -> asyncio.Task[tuple[DnsFacts, Registration]]:
        task = self.in_flight.get(domain)
        if task is None:
            task = asyncio.ensure_future(self._look_up(domain))
            self.in_flight[domain] = task
            task.add_done_callback(lambda _: self.in_flight.pop(domain, None))
        return task

    async def _look_up(self, domain: str) -> tuple[DnsFacts, Registration]:
        facts, registration = await asyncio.gather(
            _bounded(self.dns_gate, lambda: collect_guarded(self.session, domain)),
            _bounded(self.registration_gate, lambda: self._registration(domain)),
        )
        return facts, registration

    async def _registration(self, domain: str) -> Registration:
        if self.client is None:
            return DISABLED_REGISTRATION
        return await lookup_registration(domain, self.config.registration, self.client)


async def _bounded(gate: asyncio.Semaphore, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    async with gate:
        return await work()


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run the engine's coroutine on uvloop where it is installed, else the standard loop.

    uvloop's socket and timer handling costs a fraction of the standard loop's, which is
    most of the client-side CPU of a scan against a fast resolver.
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is pinned, but a platform may lack it
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


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
        dkim_selectors_found=facts.dkim.selectors_found,
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
        **_posture_record(facts),
        "dns_errors": list(facts.errors),
    }


def _posture_record(facts: DnsFacts) -> dict[str, Any]:
    """The posture keys: each status is "valid", "malformed", "absent" (or, for BIMI,
    "declined"), and null when DNS did not answer; the details are null unless valid."""
    mta_sts, tls_rpt, bimi = facts.mta_sts, facts.tls_rpt, facts.bimi
    return {
        "mta_sts": _status(mta_sts.status),
        "mta_sts_id": mta_sts.policy_id,
        "tls_rpt": _status(tls_rpt.status),
        "tls_rpt_rua": None if tls_rpt.status == "unresolved" else list(tls_rpt.rua),
        "bimi": _status(bimi.status),
        "bimi_logo_url": bimi.logo_url,
        "bimi_authority_url": bimi.authority_url,
        "dnssec": facts.dnssec,
    }


def _status(status: str) -> str | None:
    return None if status == "unresolved" else status


def _known(present: bool, unresolved: bool) -> bool | None:
    # A signal DNS did not answer for is unknown (None), not absent (False).
    return True if present else (None if unresolved else False)


_DNS_KEYS = (
    "mx mx_records null_mx spf spf_record spf_dns_lookups spf_void_lookups spf_error dkim "
    "dkim_selectors dkim_selectors_checked dkim_message dmarc_policy dmarc_coverage "
    "dmarc_record dmarc_testing dmarc_subdomain_policy autodiscover mta_sts mta_sts_id tls_rpt "
    "tls_rpt_rua bimi bimi_logo_url bimi_authority_url dnssec dns_errors"
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
