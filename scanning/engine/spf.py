"""SPF (RFC 7208): find the record among a domain's TXT strings, parse it, judge the lookups.

Parsing is pure and never raises: any text gives an :class:`SpfRecord` (``valid`` says whether
it is an SPF record at all). Following ``include:``/``redirect=`` needs DNS, which lives in
:mod:`scanning.engine.dns`; it reports what it saw as an :class:`SpfAnalysis`, whose error is
chosen here by :func:`spf_error`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

MAX_DNS_LOOKUPS = 10  # RFC 7208 section 4.6.4
MAX_VOID_LOOKUPS = 2  # RFC 7208 section 4.6.4
QUALIFIERS = frozenset("+-~?")
MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
LOOKUP_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})
_VERSION = re.compile(r"v=spf1(?: |$)", re.IGNORECASE)
_MODIFIER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")

SpfStatus = Literal["present", "absent", "unresolved"]


@dataclass(frozen=True)
class SpfTerm:
    """One term of an SPF record: a mechanism (with qualifier) or a ``name=value`` modifier."""

    kind: Literal["mechanism", "modifier", "unknown"]
    name: str
    value: str | None = None
    qualifier: str = "+"

    @property
    def counts_as_lookup(self) -> bool:
        """Whether RFC 7208 counts this term toward the limit of 10 DNS lookups."""
        if self.kind == "modifier":
            return self.name == "redirect"
        return self.kind == "mechanism" and self.name in LOOKUP_MECHANISMS


@dataclass(frozen=True)
class SpfRecord:
    """A parsed SPF record; ``raw`` is the text as published."""

    raw: str
    valid: bool
    terms: tuple[SpfTerm, ...] = ()

    @property
    def includes(self) -> tuple[str, ...]:
        """The ``include:`` targets, in record order."""
        return tuple(t.value for t in self.terms if _is(t, "mechanism", "include") and t.value)

    @property
    def redirect(self) -> str | None:
        """The ``redirect=`` target, or None."""
        found = [t.value for t in self.terms if _is(t, "modifier", "redirect") and t.value]
        return found[0] if found else None

    @property
    def all_qualifier(self) -> str | None:
        """The qualifier of the ``all`` mechanism ("-", "~", "?", "+"), None without ``all``."""
        found = [t.qualifier for t in self.terms if _is(t, "mechanism", "all")]
        return found[0] if found else None

    @property
    def lookup_terms(self) -> tuple[SpfTerm, ...]:
        """The terms of this record that cost a DNS lookup, in record order."""
        return tuple(term for term in self.terms if term.counts_as_lookup)


@dataclass(frozen=True)
class SpfAnalysis:
    """What a domain's SPF says, with the whole include tree's lookup count.

    ``status`` tells an absent record from one that could not be read (a timeout is not "no
    SPF"). ``includes`` lists every include/redirect target met, recursively;
    ``include_count_top_level`` counts ``include:`` in the domain's own record only.
    """

    status: SpfStatus
    record: str | None = None
    records_found: int = 0
    error: str | None = None
    dns_lookups: int = 0
    void_lookups: int = 0
    includes: tuple[str, ...] = ()
    include_count_top_level: int = 0
    all_qualifier: str | None = None

    @property
    def present(self) -> bool:
        """Whether the domain publishes an SPF record."""
        return self.status == "present"


def _is(term: SpfTerm, kind: str, name: str) -> bool:
    return term.kind == kind and term.name == name


def is_spf_record(text: str) -> bool:
    """Whether ``text`` starts with the SPF version tag ``v=spf1`` (then a space or the end)."""
    return bool(_VERSION.match(text))


def find_spf_records(txt_strings: Iterable[str]) -> tuple[str, ...]:
    """The SPF records among a name's TXT records (each already joined without separator)."""
    return tuple(text for text in txt_strings if is_spf_record(text))


@lru_cache(maxsize=1024)  # provider include records are parsed once per process, not per domain
def parse_spf(text: str) -> SpfRecord:
    """Parse an SPF record; never raises. ``valid`` is False when the version tag is missing."""
    if not isinstance(text, str) or not is_spf_record(text):
        return SpfRecord(raw=text if isinstance(text, str) else "", valid=False)
    words = text.split()[1:]
    return SpfRecord(raw=text, valid=True, terms=tuple(parse_term(word) for word in words))


def parse_term(word: str) -> SpfTerm:
    """One whitespace-separated word of a record as a mechanism, modifier or unknown term."""
    qualifier = word[0] if word[:1] in QUALIFIERS else "+"
    body = word[1:] if word[:1] in QUALIFIERS else word
    name, separator, value = _split_term(body)
    if name.lower() in MECHANISMS and separator != "=":
        return SpfTerm("mechanism", name.lower(), value or None, qualifier)
    if separator == "=" and body is word and _MODIFIER_NAME.fullmatch(name):
        return SpfTerm("modifier", name.lower(), value)
    return SpfTerm("unknown", word)


def _split_term(body: str) -> tuple[str, str, str]:
    # A mechanism's domain follows ":" (or "/" for a bare a/mx with a CIDR length); a
    # modifier's value follows "="; whichever separator comes first decides.
    positions = [(body.find(sep), sep) for sep in ":/=" if sep in body]
    if not positions:
        return body, "", ""
    index, separator = min(positions)
    value = body[index + 1 :] if separator != "/" else ""
    return body[:index], separator, value


def spf_error(
    *,
    records_found: int,
    loop: bool,
    dns_lookups: int,
    void_lookups: int,
    missing_includes: int,
    unresolved_includes: int,
) -> str | None:
    """The one error to report for what the include walk saw, most serious first."""
    if records_found > 1:
        return "multiple_records"
    if loop:
        return "include_loop"
    if dns_lookups > MAX_DNS_LOOKUPS:
        return "too_many_lookups"
    if void_lookups > MAX_VOID_LOOKUPS:
        return "too_many_void_lookups"
    if missing_includes:
        return "include_without_spf"
    if unresolved_includes:
        return "include_unresolved"
    return None
