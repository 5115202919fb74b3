"""Who runs a domain's mail: provider, gateway, hosting brand, tenant size.

All tables live in ``data/providers.json``. Matching is by DNS suffix on a label boundary
(``x.outlook.com`` is Microsoft, ``outlook.com.tr`` and ``mydns.com`` are not), never by
substring, case-insensitive, a trailing dot ignored.

``decide_provider`` is the one call the scan pipeline needs: it classifies the primary MX host
and, when that host is a mail-security gateway, infers the provider behind it from SPF, DKIM,
autodiscover and TXT evidence, keeping every fact it used so a sales person can see why.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from scanning.engine.domains import clean_host, extract_mx_root, is_within
from scanning.engine.rules import PROVIDERS_PATH, read_json_document

ONMICROSOFT = "onmicrosoft.com"
MODERN_DKIM_SUFFIX = "dkim.mail.microsoft"
NamedSuffixes = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Clue:
    """A piece of evidence pointing at a provider; weak clues are recorded, never decisive."""

    provider: str
    strong: bool
    fact: str


@dataclass(frozen=True)
class ClueRule:
    """Maps a DNS name suffix (or a TXT prefix) to the provider it betrays."""

    pattern: str
    provider: str
    strong: bool


@dataclass(frozen=True)
class TenantSizeRules:
    """Ordered ``(kind, pattern, size)`` tests on the primary MX host, and the default size."""

    tests: tuple[tuple[str, str, str], ...]
    default: str


@dataclass(frozen=True)
class ProviderTable:
    """The parsed contents of providers.json."""

    providers: NamedSuffixes
    unmatched_provider: str
    no_mx_provider: str
    hosting_provider: str
    local_providers: NamedSuffixes
    hosting_brands: NamedSuffixes
    gateways: NamedSuffixes
    tenant_size: Mapping[str, TenantSizeRules]
    spf_clues: tuple[ClueRule, ...]
    dkim_clues: tuple[ClueRule, ...]
    dkim_selector_clues: tuple[ClueRule, ...]
    autodiscover_clues: tuple[ClueRule, ...]
    txt_clues: tuple[ClueRule, ...]
    selectors_by_provider: Mapping[str, tuple[str, ...]]
    common_selectors: tuple[str, ...]
    providers_when_unknown: tuple[str, ...]

    def rank(self, provider: str) -> int:
        """Position of ``provider`` in the table (ties between clues go to the earlier one)."""
        names = [name for name, _ in self.providers]
        return names.index(provider) if provider in names else len(names)


@dataclass(frozen=True)
class ProviderEvidence:
    """What DNS said about a domain's mail, as collected by the scanner."""

    mx_hosts: tuple[str, ...] = ()  # by preference, lowest first
    spf_includes: tuple[str, ...] = ()  # include:/redirect= targets, recursively
    dkim_cname_targets: tuple[str, ...] = ()  # CNAME targets of DKIM selector names
    dkim_selectors_found: tuple[str, ...] = ()  # selectors that publish a DKIM key
    autodiscover_target: str | None = None  # CNAME target of autodiscover.<domain>
    apex_txt: tuple[str, ...] = ()  # every apex TXT string (MS=ms…, site verifications)


@dataclass(frozen=True)
class ProviderVerdict:
    """Who runs the mail, how sure we are, and the facts behind it."""

    provider: str
    mx_root: str | None
    primary_mx_host: str | None
    gateway: str | None
    inferred_from_gateway: bool
    local_provider: str | None
    tenant_size: str | None
    tenant_initial_domain: str | None
    mixed_vendors: tuple[str, ...]
    evidence: tuple[str, ...]


# -- loading ------------------------------------------------------------------------------


def _named_suffixes(rows: Iterable[Mapping[str, Any]], key: str) -> NamedSuffixes:
    return tuple((row["name"], tuple(s.lower() for s in row[key])) for row in rows)


def _clue_rules(rows: Iterable[Mapping[str, Any]], key: str) -> tuple[ClueRule, ...]:
    return tuple(
        ClueRule(row[key].lower(), row["provider"], row["strength"] == "strong") for row in rows
    )


def _tenant_rules(raw: Mapping[str, Any]) -> TenantSizeRules:
    tests = tuple(_tenant_test(row) for row in raw["rules"])
    return TenantSizeRules(tests, raw["default"])


def _tenant_test(row: Mapping[str, str]) -> tuple[str, str, str]:
    kind = "regex" if "regex" in row else "contains"
    return (kind, row[kind], row["size"])


def provider_table_from_document(raw: Mapping[str, Any]) -> ProviderTable:
    """Build a ``ProviderTable`` from parsed providers.json; malformed data raises ValueError."""
    try:
        inference, selectors = raw["inference"], raw["dkim_selectors"]
        return ProviderTable(
            providers=_named_suffixes(raw["providers"], "patterns"),
            unmatched_provider=raw["unmatched_provider"],
            no_mx_provider=raw["no_mx_provider"],
            hosting_provider=raw["hosting_provider"],
            local_providers=_named_suffixes(raw["local_providers"], "suffixes"),
            hosting_brands=_named_suffixes(
                (row for row in raw["local_providers"] if row["kind"] == "hosting"), "suffixes"
            ),
            gateways=_named_suffixes(raw["gateways"], "suffixes"),
            tenant_size=MappingProxyType(
                {name: _tenant_rules(rules) for name, rules in raw["tenant_size"].items()}
            ),
            spf_clues=_clue_rules(inference["spf_includes"], "suffix"),
            dkim_clues=_clue_rules(inference["dkim_cname_targets"], "suffix"),
            dkim_selector_clues=_clue_rules(inference["dkim_selectors"], "selector"),
            autodiscover_clues=_clue_rules(inference["autodiscover_targets"], "suffix"),
            txt_clues=_clue_rules(inference["apex_txt_prefixes"], "prefix"),
            selectors_by_provider=MappingProxyType(
                {name: tuple(names) for name, names in selectors["by_provider"].items()}
            ),
            common_selectors=tuple(selectors["common"]),
            providers_when_unknown=tuple(selectors["providers_when_unknown"]),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed providers document: {exc!r}") from exc


@lru_cache(maxsize=8)
def _load_cached(path: Path) -> ProviderTable:
    return provider_table_from_document(read_json_document(path))


@lru_cache(maxsize=8)
def load_provider_table(path: str | os.PathLike[str] = PROVIDERS_PATH) -> ProviderTable:
    """Load providers.json once per path per process.

    Cached on the argument too: every decision asks for the table, and resolving the path
    (file-system calls) on each ask cost more than the decision itself.
    """
    return _load_cached(Path(path).resolve())


# -- single-name classification -----------------------------------------------------------


def _first_named_match(name: str, table: NamedSuffixes) -> str | None:
    # The name's own suffixes looked up in an index, instead of every row's suffixes tested
    # against the name: the table has grown to hundreds of suffixes.
    index = _suffix_index(table)
    labels = name.split(".")
    rows = [index[s] for i in range(len(labels)) if (s := ".".join(labels[i:])) in index]
    return table[min(rows)][0] if rows else None


_INDEXES: dict[int, tuple[NamedSuffixes, dict[str, int]]] = {}


def _suffix_index(table: NamedSuffixes) -> dict[str, int]:
    """Suffix -> the first row that lists it (the first matching row wins)."""
    cached = _INDEXES.get(id(table))
    if cached is None or cached[0] is not table:
        index: dict[str, int] = {}
        for row, (_, suffixes) in enumerate(table):
            for suffix in suffixes:
                index.setdefault(suffix, row)
        cached = _INDEXES[id(table)] = (table, index)
    return cached[1]


def classify_provider(mx_root: str | None, table: ProviderTable | None = None) -> str:
    """Provider of an ``mx_root`` (or a full MX host), by label-boundary suffix.

    Blank -> ``Unknown`` (no MX). A provider row that matches names the provider; a hosting
    company's shared mail (a ``hosting`` brand of ``local_providers``) is ``Hosting``, never
    self-hosted; anything else is ``Local`` (a server of the company's own).
    """
    table = table or load_provider_table()
    name = clean_host(mx_root)
    if not name:
        return table.no_mx_provider
    if provider := _first_named_match(name, table.providers):
        return provider
    if _first_named_match(name, table.hosting_brands):
        return table.hosting_provider
    return table.unmatched_provider


def classify_local_provider(mx_root: str | None, table: ProviderTable | None = None) -> str | None:
    """The hosting brand (or institution) whose domain ``mx_root`` sits under, or None."""
    table = table or load_provider_table()
    return _first_named_match(clean_host(mx_root), table.local_providers)


def detect_gateway(mx_host: str | None, table: ProviderTable | None = None) -> str | None:
    """Name of the mail-security gateway an MX host belongs to, or None."""
    table = table or load_provider_table()
    return _first_named_match(clean_host(mx_host), table.gateways)


def estimate_tenant_size(
    provider: str, primary_mx_host: str | None, table: ProviderTable | None = None
) -> str | None:
    """Tenant size (small/medium/large) read from the primary MX host name.

    Only providers with tenant rules (M365, Google) get a size; no host -> None. The host,
    not its ``mx_root``, is examined: the root (``outlook.com``) no longer tells the sizes apart.
    """
    table = table or load_provider_table()
    rules = table.tenant_size.get(provider)
    host = clean_host(primary_mx_host)
    if rules is None or not host:
        return None
    for kind, pattern, size in rules.tests:
        if (kind == "contains" and pattern in host) or (
            kind == "regex" and re.search(pattern, host)
        ):
            return size
    return rules.default


def _host_provider(host: str, table: ProviderTable) -> str:
    return classify_provider(extract_mx_root(host), table)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def dkim_selectors_for(
    mx_hosts: Sequence[str], table: ProviderTable | None = None
) -> tuple[str, ...]:
    """DKIM selectors to query, most likely first: :func:`dkim_selector_rounds_for` flattened."""
    return _unique(s for round_ in dkim_selector_rounds_for(mx_hosts, table) for s in round_)


def dkim_selector_rounds_for(
    mx_hosts: Sequence[str], table: ProviderTable | None = None
) -> tuple[tuple[str, ...], ...]:
    """DKIM selectors to query in rounds: each round is asked together, the next only when no
    key was found yet.

    The candidate providers are those seen among the MX hosts; when none of them has known
    selectors (self-hosted, a gateway, no MX) the providers most often hidden behind a
    gateway lead instead (``providers_when_unknown`` in the data file: Microsoft 365 and
    Google). Round one asks each candidate's first selector, round two their other selectors,
    the last round the common list: a key under the first selector, the usual case, then
    costs one question instead of every selector.
    """
    table = table or load_provider_table()
    providers = _unique(_host_provider(clean_host(h), table) for h in mx_hosts if clean_host(h))
    lists = [table.selectors_by_provider[p] for p in providers if p in table.selectors_by_provider]
    lists = lists or [table.selectors_by_provider[p] for p in table.providers_when_unknown]
    firsts = _unique(names[0] for names in lists if names)
    others = _unique(name for names in lists for name in names[1:] if name not in firsts)
    asked = {*firsts, *others}
    common = tuple(name for name in table.common_selectors if name not in asked)
    return tuple(round_ for round_ in (firsts, others, common) if round_)


# -- evidence behind a gateway ------------------------------------------------------------


def _name_clues(names: Iterable[str], rules: Sequence[ClueRule], label: str) -> list[Clue]:
    clues = []
    for name in (clean_host(n) for n in names):
        rule = next((r for r in rules if is_within(name, r.pattern)), None)
        if rule and name:
            clues.append(Clue(rule.provider, rule.strong, _fact(label, name, rule)))
    return clues


def _selector_clues(selectors: Iterable[str], rules: Sequence[ClueRule]) -> list[Clue]:
    # A provider's own selector publishing a key says who signs the domain's mail.
    by_selector = {rule.pattern: rule for rule in rules}
    clues = []
    for selector in selectors:
        rule = by_selector.get(selector.lower())
        if rule:
            clues.append(Clue(rule.provider, rule.strong, _fact("DKIM key at", selector, rule)))
    return clues


def _txt_clues(texts: Iterable[str], rules: Sequence[ClueRule]) -> list[Clue]:
    clues = []
    for text in texts:
        rule = next((r for r in rules if text.strip().lower().startswith(r.pattern)), None)
        if rule:
            shown = text.strip().split("=", 1)[0] + "=…"  # tokens are noise to a reader
            clues.append(Clue(rule.provider, rule.strong, _fact("apex TXT", shown, rule)))
    return clues


def _fact(label: str, value: str, rule: ClueRule) -> str:
    weight = "" if rule.strong else ", weak"
    return f"{label} {value} ({rule.provider}{weight})"


def _secondary_mx_clues(hosts: Sequence[str], table: ProviderTable) -> list[Clue]:
    # A provider's own host among the backup MX records says who really holds the mailboxes.
    clues = []
    for host in hosts[1:]:
        provider = _host_provider(host, table)
        if provider not in (table.unmatched_provider, table.no_mx_provider):
            clues.append(Clue(provider, True, f"secondary MX {host} ({provider})"))
    return clues


def collect_clues(
    evidence: ProviderEvidence, table: ProviderTable | None = None
) -> tuple[Clue, ...]:
    """Every provider hint in the evidence besides the primary MX host, in a stable order."""
    table = table or load_provider_table()
    hosts = _clean_hosts(evidence.mx_hosts)
    autodiscover = [evidence.autodiscover_target] if evidence.autodiscover_target else []
    return (
        *_secondary_mx_clues(hosts, table),
        *_name_clues(evidence.spf_includes, table.spf_clues, "SPF includes"),
        *_name_clues(evidence.dkim_cname_targets, table.dkim_clues, "DKIM CNAME to"),
        *_selector_clues(evidence.dkim_selectors_found, table.dkim_selector_clues),
        *_name_clues(autodiscover, table.autodiscover_clues, "autodiscover CNAME to"),
        *_txt_clues(evidence.apex_txt, table.txt_clues),
    )


def infer_provider(clues: Iterable[Clue], table: ProviderTable | None = None) -> str | None:
    """The provider most strong clues point at (ties: provider-table order), or None.

    Weak clues never decide: a Search Console token or a bulk-mail include is common in
    domains whose mailboxes live elsewhere.
    """
    table = table or load_provider_table()
    votes = Counter(clue.provider for clue in clues if clue.strong)
    if not votes:
        return None
    return min(votes, key=lambda provider: (-votes[provider], table.rank(provider)))


def tenant_initial_domain(dkim_cname_targets: Iterable[str]) -> str | None:
    """``<tenant>.onmicrosoft.com`` read from an M365 DKIM CNAME target, or None.

    Classic targets name it outright: ``selector1-contoso-com._domainkey.contoso.onmicrosoft.com``
    -> ``contoso.onmicrosoft.com``. Newer ones put the initial domain's prefix right after
    ``_domainkey``: ``selector1-contoso-com._domainkey.contoso.n-v1.dkim.mail.microsoft`` ->
    ``contoso.onmicrosoft.com``.
    """
    for target in (clean_host(t) for t in dkim_cname_targets):
        labels = target.split(".")
        if is_within(target, ONMICROSOFT) and len(labels) >= 3 and labels[-3]:
            return ".".join(labels[-3:])
        if is_within(target, MODERN_DKIM_SUFFIX) and "_domainkey" in labels[:-5]:
            prefix = labels[labels.index("_domainkey") + 1]
            return f"{prefix}.{ONMICROSOFT}"
    return None


def _clean_hosts(mx_hosts: Iterable[str]) -> tuple[str, ...]:
    return tuple(host for host in (clean_host(h) for h in mx_hosts) if host)


def mixed_vendors(mx_hosts: Sequence[str], table: ProviderTable | None = None) -> tuple[str, ...]:
    """Providers seen among the MX hosts when there is more than one (a migration under way)."""
    table = table or load_provider_table()
    generic = (table.unmatched_provider, table.no_mx_provider)
    seen = _unique(_host_provider(h, table) for h in _clean_hosts(mx_hosts))
    vendors = tuple(p for p in seen if p not in generic)
    return vendors if len(vendors) > 1 else ()


def _first_host_of(provider: str, hosts: Sequence[str], table: ProviderTable) -> str | None:
    return next((h for h in hosts if _host_provider(h, table) == provider), None)


def decide_provider(
    evidence: ProviderEvidence, table: ProviderTable | None = None
) -> ProviderVerdict:
    """The provider verdict for one domain; this is what scoring should use.

    The primary (lowest preference) MX host decides, unless it is a security gateway: then
    strong evidence (SPF includes, DKIM CNAMEs, autodiscover, MS=ms TXT, a provider's own
    secondary MX) names the provider behind it. Without such evidence the provider stays what
    the MX says (``Local``: the gateway is no mailbox provider) and the gateway is still named.
    """
    table = table or load_provider_table()
    hosts = _clean_hosts(evidence.mx_hosts)
    primary = hosts[0] if hosts else None
    mx_root = extract_mx_root(primary)
    gateway = detect_gateway(primary, table)
    clues = collect_clues(evidence, table)
    inferred = infer_provider(clues, table) if gateway else None
    provider = inferred or classify_provider(mx_root, table)
    vendors = mixed_vendors(hosts, table)
    return ProviderVerdict(
        provider=provider,
        mx_root=mx_root,
        primary_mx_host=primary,
        gateway=gateway,
        inferred_from_gateway=inferred is not None,
        local_provider=(
            classify_local_provider(mx_root, table)
            if provider in (table.unmatched_provider, table.hosting_provider)
            else None
        ),
        tenant_size=estimate_tenant_size(provider, _first_host_of(provider, hosts, table), table),
        tenant_initial_domain=tenant_initial_domain(evidence.dkim_cname_targets),
        mixed_vendors=vendors,
        evidence=_verdict_facts(primary, gateway, clues, vendors),
    )


def _verdict_facts(
    primary: str | None, gateway: str | None, clues: Sequence[Clue], vendors: Sequence[str]
) -> tuple[str, ...]:
    facts = [f"primary MX {primary}" + (f" is a {gateway} gateway" if gateway else "")]
    if primary is None:
        facts = ["no MX host"]
    facts.extend(clue.fact for clue in clues)
    if vendors:
        facts.append("MX hosts of several providers: " + ", ".join(vendors))
    return tuple(facts)
