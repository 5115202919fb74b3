"""Asynchronous DNS collection: every DNS fact Hunter reads about a domain, in one pass.

For each domain the independent questions (MX, apex TXT, ``_dmarc`` TXT, ``autodiscover``
CNAME) go out together; when the domain exists, the DKIM selectors, the SPF include tree and
the posture records (MTA-STS, TLS-RPT, BIMI, DNSKEY) follow together. A run over many domains
shares one transport (:mod:`scanning.engine.dns_transport`) and one cache of SPF include
answers, since most domains include the same few provider records. A timeout or SERVFAIL is
never read as "no record": it makes the domain (or the one affected analysis) ``unresolved``
and is listed in ``errors``.

Callers build a :class:`DnsConfig` from settings (HUNTER_DNS_NAMESERVERS, HUNTER_DNS_TIMEOUT)
and pass HUNTER_DNS_CONCURRENCY to :func:`collect_many`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.rrset

from scanning.engine.dkim import (
    COMMON_SELECTORS,
    DkimResult,
    default_dkim_selectors,
    dkim_status,
    is_dkim_key_record,
)
from scanning.engine.dmarc import DmarcPolicy, dmarc_from_txt
from scanning.engine.dns_transport import DnsTransportError, UdpTransport, make_question
from scanning.engine.dns_wire import WireAnswer, parse_answer
from scanning.engine.posture import (
    BIMI_NAME,
    MTA_STS_NAME,
    TLS_RPT_NAME,
    UNRESOLVED_BIMI,
    UNRESOLVED_MTA_STS,
    UNRESOLVED_TLS_RPT,
    BimiRecord,
    MtaStsRecord,
    TlsRptRecord,
    parse_bimi,
    parse_mta_sts,
    parse_tls_rpt,
)
from scanning.engine.spf import (
    MAX_DNS_LOOKUPS,
    SpfAnalysis,
    SpfRecord,
    SpfTerm,
    find_spf_records,
    parse_spf,
    spf_error,
)

logger = logging.getLogger(__name__)

LookupStatus = Literal["ok", "nodata", "nxdomain", "unresolved"]
DomainStatus = Literal["ok", "nxdomain", "unresolved", "invalid"]
RecordStatus = Literal["present", "absent", "unresolved"]
DkimSelectorsFn = Callable[[Sequence[str]], Sequence[str]]
DkimRoundsFn = Callable[[Sequence[str]], Sequence[Sequence[str]]]
MAX_DOMAIN_LENGTH = 200
MAX_SHARED_LOOKUPS = 2048


@dataclass(frozen=True)
class DnsConfig:
    """How to ask: nameservers as (ip, port) pairs (empty = the system resolver), the
    per-question timeout in seconds, and which DKIM selectors to try for a domain's MX hosts.

    ``dkim_rounds``, when given, returns the selectors as rounds (each asked together, the
    next only when no key was found yet) and replaces ``dkim_selectors`` and
    ``common_dkim_selectors``.
    """

    nameservers: tuple[tuple[str, int], ...] = ()
    timeout: float = 5.0
    dkim_selectors: DkimSelectorsFn = default_dkim_selectors
    common_dkim_selectors: tuple[str, ...] = COMMON_SELECTORS
    dkim_rounds: DkimRoundsFn | None = None


@dataclass(frozen=True)
class Lookup:
    """The outcome of one question: answer data as text, or why there is none."""

    status: LookupStatus
    texts: tuple[str, ...] = ()
    canonical_name: str | None = None  # where a CNAME chain led, when it led somewhere
    reason: str | None = None  # for "unresolved": timeout, servfail, refused, ...

    @property
    def void(self) -> bool:
        """NXDOMAIN or an empty answer: a "void lookup" in RFC 7208's terms."""
        return self.status in ("nxdomain", "nodata")


@dataclass(frozen=True)
class DnsFacts:
    """Everything DNS says about one domain; see the module docstring for the statuses.

    ``mx`` is (preference, host) sorted by preference, hosts without the trailing dot; a Null
    MX (RFC 7505, "MX 0 .") gives ``null_mx=True`` and no hosts. ``apex_txt`` holds every
    apex TXT record (strings joined), ``errors`` every question that went unanswered, and
    ``questions`` how many questions this domain cost.

    The posture records (``mta_sts``, ``tls_rpt``, ``bimi``; see :mod:`scanning.engine.posture`)
    and ``dnssec`` (the apex publishes a DNSKEY; True/False, None when DNS did not answer) are
    read for a domain that exists; for one that does not they stay "absent" / False, and
    "unresolved" / None when the domain itself could not be resolved.
    """

    domain: str
    status: DomainStatus
    mx: tuple[tuple[int, str], ...] = ()
    null_mx: bool = False
    apex_txt: tuple[str, ...] = ()
    spf: SpfAnalysis = field(default_factory=lambda: SpfAnalysis(status="absent"))
    dmarc: DmarcPolicy | None = None
    dmarc_status: RecordStatus = "absent"
    dkim: DkimResult = field(default_factory=lambda: DkimResult(status="not_found"))
    autodiscover_target: str | None = None
    mta_sts: MtaStsRecord = field(default_factory=lambda: MtaStsRecord("absent"))
    tls_rpt: TlsRptRecord = field(default_factory=lambda: TlsRptRecord("absent"))
    bimi: BimiRecord = field(default_factory=lambda: BimiRecord("absent"))
    dnssec: bool | None = False
    errors: tuple[str, ...] = ()
    questions: int = 0

    @property
    def mx_hosts(self) -> tuple[str, ...]:
        """The MX host names, lowest preference first."""
        return tuple(host for _, host in self.mx)


# --- asking -----------------------------------------------------------------------------------


MAX_CNAME_HOPS = 16
_CNAME = int(dns.rdatatype.CNAME)


async def lookup(transport: UdpTransport, name: str, rdtype: str) -> Lookup:
    """Ask one question; every DNS failure becomes a :class:`Lookup`, never an exception."""
    try:
        question = make_question(name, rdtype)
        wire = await transport.ask(question)
        return lookup_from_answer(parse_answer(wire), question.name.lower(), question.rdtype)
    except DnsTransportError as error:
        return Lookup("unresolved", reason=error.reason)
    except ValueError:
        return Lookup("unresolved", reason="malformed answer")
    except (dns.exception.DNSException, OSError, EOFError) as error:
        return Lookup("unresolved", reason=_failure_reason(error))


def lookup_from_answer(answer: WireAnswer, qname: str, rdtype: int) -> Lookup:
    """Read an answer once: its status, the records of the asked type as text, and where a
    CNAME chain inside the answer led (the nameserver follows chains for us).

    ``qname`` is lower-case without the final dot.
    """
    end, texts = _follow_chain(answer.records, qname, rdtype)
    target = None if end == qname else end
    if answer.rcode == dns.rcode.NXDOMAIN:
        return Lookup("nxdomain", canonical_name=target)
    if answer.rcode != dns.rcode.NOERROR:
        return Lookup("unresolved", reason=dns.rcode.to_text(dns.rcode.Rcode(answer.rcode)).lower())
    if not texts:
        return Lookup("nodata", canonical_name=target)
    return Lookup("ok", texts, target)


def _follow_chain(
    records: Sequence[tuple[str, int, str]], qname: str, rdtype: int
) -> tuple[str, tuple[str, ...]]:
    name = qname
    for _ in range(MAX_CNAME_HOPS):
        texts = tuple(text for owner, kind, text in records if owner == name and kind == rdtype)
        if texts:
            return name, texts
        cname = next(
            (text for owner, kind, text in records if owner == name and kind == _CNAME), None
        )
        if cname is None or rdtype == _CNAME:
            break
        name = cname.rstrip(".").lower()
    return name, ()


def _failure_reason(error: Exception) -> str:
    if isinstance(error, dns.exception.Timeout | TimeoutError):
        return "timeout"
    return type(error).__name__


class DnsSession:
    """One transport and one SPF include cache (the most recently used lookups), shared by
    every domain of a run.

    The session closes the transport it built itself (:meth:`close`); a transport passed in
    belongs to the caller.
    """

    def __init__(self, config: DnsConfig, transport: UdpTransport | None = None) -> None:
        self.config = config
        self._own_transport = transport is None
        self.transport = transport or UdpTransport(config.nameservers, config.timeout)
        self._shared: OrderedDict[tuple[str, str], asyncio.Task[Lookup]] = OrderedDict()

    def close(self) -> None:
        """Release the sockets of a transport this session built."""
        if self._own_transport:
            self.transport.close()

    def shared_lookup(self, name: str, rdtype: str) -> tuple[asyncio.Task[Lookup], bool]:
        """The in-flight or finished lookup for (name, type), and whether this call started it."""
        key = (name.lower().rstrip("."), rdtype)
        task = self._shared.get(key)
        if task is not None:
            self._shared.move_to_end(key)
            return task, False
        task = asyncio.ensure_future(lookup(self.transport, name, rdtype))
        self._shared[key] = task
        if len(self._shared) > MAX_SHARED_LOOKUPS:
            # Bounded, so a long stream's memory stays flat: the provider includes that every
            # domain shares stay in; a self-hosted domain's own "mx" or "a" target drops out.
            self._shared.popitem(last=False)
        return task, True

    async def collect(self, domain: str) -> DnsFacts:
        """All DNS facts for one domain."""
        if not _is_queryable(domain):
            return DnsFacts(domain=domain, status="invalid", errors=("not a domain name",))
        return await _DomainCollector(self, domain.rstrip(".")).collect()


class DomainAsker:
    """Asks on behalf of one domain, counting its questions and noting failed ones."""

    def __init__(self, session: DnsSession) -> None:
        self.session = session
        self.questions = 0
        self.errors: list[str] = []

    async def ask(self, name: str, rdtype: str) -> Lookup:
        self.questions += 1
        return self._noted(await lookup(self.session.transport, name, rdtype), name, rdtype)

    async def ask_shared(self, name: str, rdtype: str) -> Lookup:
        task, started = self.session.shared_lookup(name, rdtype)
        self.questions += int(started)
        return self._noted(await task, name, rdtype)

    def _noted(self, result: Lookup, name: str, rdtype: str) -> Lookup:
        if result.status == "unresolved":
            self.errors.append(f"{rdtype} {name}: {result.reason}")
        return result


@lru_cache(maxsize=4096)  # SPF include targets repeat across a run's domains
def _is_queryable(domain: object) -> bool:
    if not isinstance(domain, str) or not domain.strip(".").strip():
        return False
    try:
        name = dns.name.from_text(domain)
    except (dns.exception.DNSException, ValueError):
        return False
    # At least "label.tld" (labels end with the root's empty label), with room left for
    # "_dmarc." and "selector._domainkey." in front of it.
    return len(name.labels) > 2 and len(name.to_text()) < MAX_DOMAIN_LENGTH


# --- one domain -------------------------------------------------------------------------------


class _DomainCollector:
    def __init__(self, session: DnsSession, domain: str) -> None:
        self.session = session
        self.domain = domain
        self.asker = DomainAsker(session)

    async def collect(self) -> DnsFacts:
        ask, domain = self.asker.ask, self.domain
        mx, txt, dmarc, autodiscover = await asyncio.gather(
            ask(domain, "MX"),
            ask(domain, "TXT"),
            ask(f"_dmarc.{domain}", "TXT"),
            ask(f"autodiscover.{domain}", "CNAME"),
        )
        status = _domain_status(mx, txt)
        if status != "ok":
            return self._failed(status)
        records, null_mx = read_mx(mx.texts)
        hosts = [host for _, host in records]
        # Asked only now: a domain that does not exist has no posture worth a question.
        spf, dkim, posture = await asyncio.gather(
            analyse_spf(domain, txt, self.asker),
            check_dkim(domain, hosts, self.asker),
            read_posture(domain, self.asker),
        )
        policy = dmarc_from_txt(dmarc.texts)
        return DnsFacts(
            domain=domain,
            status="ok",
            mx=records,
            null_mx=null_mx,
            apex_txt=txt.texts,
            spf=spf,
            dmarc=policy,
            dmarc_status=_record_status(dmarc, policy is not None),
            dkim=dkim,
            autodiscover_target=_cname_target(autodiscover),
            mta_sts=posture.mta_sts,
            tls_rpt=posture.tls_rpt,
            bimi=posture.bimi,
            dnssec=posture.dnssec,
            errors=tuple(self.asker.errors),
            questions=self.asker.questions,
        )

    def _failed(self, status: DomainStatus) -> DnsFacts:
        # Nothing below the MX question is trustworthy when the domain itself is unknown.
        unknown: RecordStatus = "unresolved" if status == "unresolved" else "absent"
        return DnsFacts(
            domain=self.domain,
            status=status,
            spf=SpfAnalysis(status=unknown),
            dmarc_status=unknown,
            dkim=DkimResult(status="unresolved" if status == "unresolved" else "not_found"),
            **(_UNRESOLVED_POSTURE if status == "unresolved" else {}),
            errors=tuple(self.asker.errors),
            questions=self.asker.questions,
        )


_UNRESOLVED_POSTURE: dict[str, Any] = {
    "mta_sts": UNRESOLVED_MTA_STS,
    "tls_rpt": UNRESOLVED_TLS_RPT,
    "bimi": UNRESOLVED_BIMI,
    "dnssec": None,
}


@dataclass(frozen=True)
class Posture:
    """The posture records of one domain, as :func:`read_posture` found them."""

    mta_sts: MtaStsRecord
    tls_rpt: TlsRptRecord
    bimi: BimiRecord
    dnssec: bool | None


async def read_posture(domain: str, asker: DomainAsker) -> Posture:
    """MTA-STS, TLS-RPT and BIMI TXT records and the apex DNSKEY, asked together."""
    mta_sts, tls_rpt, bimi, dnskey = await asyncio.gather(
        asker.ask(f"{MTA_STS_NAME}.{domain}", "TXT"),
        asker.ask(f"{TLS_RPT_NAME}.{domain}", "TXT"),
        asker.ask(f"{BIMI_NAME}.{domain}", "TXT"),
        asker.ask(domain, "DNSKEY"),
    )
    return Posture(
        mta_sts=UNRESOLVED_MTA_STS if _unknown(mta_sts) else parse_mta_sts(mta_sts.texts),
        tls_rpt=UNRESOLVED_TLS_RPT if _unknown(tls_rpt) else parse_tls_rpt(tls_rpt.texts),
        bimi=UNRESOLVED_BIMI if _unknown(bimi) else parse_bimi(bimi.texts),
        dnssec=None if _unknown(dnskey) else bool(dnskey.status == "ok" and dnskey.texts),
    )


def _unknown(result: Lookup) -> bool:
    return result.status == "unresolved"


def _domain_status(mx: Lookup, txt: Lookup) -> DomainStatus:
    if "nxdomain" in (mx.status, txt.status):
        return "nxdomain"
    return "unresolved" if mx.status == "unresolved" else "ok"


def _record_status(result: Lookup, found: bool) -> RecordStatus:
    if found:
        return "present"
    return "unresolved" if result.status == "unresolved" else "absent"


def _cname_target(result: Lookup) -> str | None:
    if result.status != "ok" or not result.texts:
        return None
    return result.texts[0].rstrip(".") or None


def read_mx(texts: Iterable[str]) -> tuple[tuple[tuple[int, str], ...], bool]:
    """MX rdata text ("10 mx.example.com.") as sorted (preference, host) and the Null MX flag."""
    records: list[tuple[int, str]] = []
    null_mx = False
    for text in texts:
        preference, _, host = text.partition(" ")
        if host.strip() == ".":
            null_mx = True  # RFC 7505: "MX 0 ." says the domain accepts no mail
            continue
        if preference.isdigit() and host.strip():
            records.append((int(preference), host.strip().rstrip(".").lower()))
    return tuple(sorted(records)), null_mx and not records


# --- DKIM -------------------------------------------------------------------------------------


async def check_dkim(domain: str, mx_hosts: Sequence[str], asker: DomainAsker) -> DkimResult:
    """Ask the selectors round by round and stop after the first round that finds a key.

    Each round's selectors go out together; a later round is asked only when every earlier
    one found no key, since one key settles the DKIM signal.
    """
    results: list[tuple[str, Lookup]] = []
    for round_ in dkim_rounds(mx_hosts, asker.session.config):
        results += await _ask_selectors(domain, round_, asker)
        if any(_has_key(result) for _, result in results):
            break
    found = [selector for selector, result in results if _has_key(result)]
    unresolved = [selector for selector, result in results if result.status == "unresolved"]
    return DkimResult(
        status=dkim_status(found, unresolved),
        selectors_checked=tuple(selector for selector, _ in results),
        selectors_found=tuple(found),
        cname_targets=tuple(r.canonical_name for _, r in results if r.canonical_name),
    )


def dkim_rounds(mx_hosts: Sequence[str], config: DnsConfig) -> tuple[tuple[str, ...], ...]:
    """The selector rounds for a domain: the config's round chooser when it has one, else the
    provider-specific selectors then the common ones (see :func:`selector_rounds`)."""
    if config.dkim_rounds is not None:
        return tuple(tuple(round_) for round_ in config.dkim_rounds(mx_hosts) if round_)
    first, rest = selector_rounds(config.dkim_selectors(mx_hosts), config.common_dkim_selectors)
    return tuple(round_ for round_ in (first, rest) if round_)


def selector_rounds(
    selectors: Sequence[str], common: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split selectors into the provider-specific first round and the common second round.

    The first round is the leading run of selectors that are not common ones; the chooser may
    append the common list itself or leave it to ``common``. When it leads with common
    selectors (nothing provider-specific to go on) everything is asked in one round.
    """
    ordered = tuple(dict.fromkeys([*selectors, *common]))
    common_set = set(common)
    first = tuple(itertools.takewhile(lambda selector: selector not in common_set, ordered))
    if not first:
        return ordered, ()
    return first, ordered[len(first) :]


async def _ask_selectors(
    domain: str, selectors: Sequence[str], asker: DomainAsker
) -> list[tuple[str, Lookup]]:
    # TXT (not CNAME) is asked: the server follows a CNAME chain and reports it, so one
    # question gives both the key and where the selector points.
    answers = await asyncio.gather(
        *(asker.ask(f"{selector}._domainkey.{domain}", "TXT") for selector in selectors)
    )
    return list(zip(selectors, answers, strict=True))


def _has_key(result: Lookup) -> bool:
    return result.status == "ok" and any(is_dkim_key_record(text) for text in result.texts)


# --- SPF --------------------------------------------------------------------------------------


async def analyse_spf(domain: str, txt: Lookup, asker: DomainAsker) -> SpfAnalysis:
    """The domain's SPF record with its whole include tree's lookup and void-lookup counts."""
    if txt.status == "unresolved":
        return SpfAnalysis(status="unresolved")
    records = find_spf_records(txt.texts)
    if not records:
        return SpfAnalysis(status="absent")
    top = parse_spf(records[0])
    walk = _SpfWalk(asker)
    await walk.visit(top, domain, path=(domain.lower(),))
    return SpfAnalysis(
        status="present",
        record=records[0],
        records_found=len(records),
        error=walk.error(len(records)),
        dns_lookups=walk.lookups,
        void_lookups=walk.voids,
        includes=tuple(dict.fromkeys(walk.includes)),
        include_count_top_level=len(top.includes),
        all_qualifier=top.all_qualifier,
    )


class _SpfWalk:
    """Follows include/redirect like an SPF evaluator would, counting as RFC 7208 §4.6.4 does.

    Stops at the 11th lookup: an evaluator gives up there, and asking more would cost
    questions for nothing.
    """

    def __init__(self, asker: DomainAsker) -> None:
        self.asker = asker
        self.lookups = 0
        self.voids = 0
        self.includes: list[str] = []
        self.loop = False
        self.missing = 0
        self.unresolved = 0

    def error(self, records_found: int) -> str | None:
        return spf_error(
            records_found=records_found,
            loop=self.loop,
            dns_lookups=self.lookups,
            void_lookups=self.voids,
            missing_includes=self.missing,
            unresolved_includes=self.unresolved,
        )

    async def visit(self, record: SpfRecord, domain: str, path: tuple[str, ...]) -> None:
        terms = [term for term in record.lookup_terms if term.kind == "mechanism"]
        if record.redirect and record.all_qualifier is None:
            terms.append(SpfTerm("modifier", "redirect", record.redirect))  # applies last
        for term in terms:
            self.lookups += 1
            if self.lookups > MAX_DNS_LOOKUPS:
                return
            await self._follow(term, _target(term, domain), path)

    async def _follow(self, term: SpfTerm, target: str | None, path: tuple[str, ...]) -> None:
        if target is None:  # ptr or a macro: cannot be asked without a sender's address
            return
        if term.name in ("include", "redirect"):
            await self._include(target, path)
        elif term.name == "mx":
            self.voids += (await self.asker.ask_shared(target, "MX")).void
        else:  # a, exists
            self.voids += await self._address_is_void(target)

    async def _address_is_void(self, target: str) -> bool:
        result = await self.asker.ask_shared(target, "A")
        if result.status == "nodata":  # an IPv6-only host is not void
            result = await self.asker.ask_shared(target, "AAAA")
        return result.void

    async def _include(self, target: str, path: tuple[str, ...]) -> None:
        if target.lower() in path:
            self.loop = True
            return
        self.includes.append(target)
        result = await self.asker.ask_shared(target, "TXT")
        self.voids += result.void
        self.unresolved += result.status == "unresolved"
        records = find_spf_records(result.texts)
        if len(records) != 1:
            self.missing += result.status != "unresolved"
            return
        await self.visit(parse_spf(records[0]), target, (*path, target.lower()))


def _target(term: SpfTerm, domain: str) -> str | None:
    """The name a lookup term asks about, or None when it cannot be asked."""
    if term.name == "ptr":
        return None
    target = (term.value or domain).split("/")[0].rstrip(".")
    if "%" in target or not _is_queryable(target):
        return None
    return target


# --- many domains -----------------------------------------------------------------------------


async def collect_dns(
    domain: str, config: DnsConfig, transport: UdpTransport | None = None
) -> DnsFacts:
    """All DNS facts for one domain; never raises for a bad name or a failing server."""
    session = DnsSession(config, transport)
    try:
        return await session.collect(domain)
    finally:
        session.close()


async def collect_many(
    domains: Iterable[str],
    config: DnsConfig,
    concurrency: int,
    transport: UdpTransport | None = None,
) -> list[DnsFacts]:
    """DNS facts for many domains, in input order, with at most ``concurrency`` in flight.

    A fixed set of ``concurrency`` collectors pulls domains from one shared iterator, rather
    than one task per domain waiting on a semaphore: 100,000 waiting tasks cost hundreds of
    megabytes before the first answer arrives.
    """
    session = DnsSession(config, transport)
    pending = list(enumerate(domains))
    results: list[DnsFacts | None] = [None] * len(pending)
    queue = iter(pending)

    async def collector() -> None:
        # Safe to share: the event loop runs one coroutine at a time between awaits.
        for index, domain in queue:
            results[index] = await collect_guarded(session, domain)

    try:
        await asyncio.gather(*(collector() for _ in range(min(max(1, concurrency), len(pending)))))
    finally:
        session.close()
    return [facts for facts in results if facts is not None]


async def collect_guarded(session: DnsSession, domain: str) -> DnsFacts:
    """:meth:`DnsSession.collect` that turns one domain's surprise into an unresolved result
    (logged), so it never sinks the whole batch."""
    try:
        return await session.collect(domain)
    except Exception as error:
        logger.exception("DNS collection failed unexpectedly for %r", domain)
        return DnsFacts(domain=str(domain), status="unresolved", errors=(f"internal: {error}",))
