"""Domain normalisation and validation.

Every lead is keyed by one canonical form of its domain: lowercase ASCII (punycode for
internationalised names), no scheme, port, path, trailing dot or leading ``www.`` labels.
Normalising is idempotent: the canonical form of a canonical form is itself, so any layer may
normalise again (and a writer may check its input) without changing or refusing a value.
The functions here never raise on bad input; they return ``""`` or a result carrying the
reason, because CSV rows and form fields are routinely junk and callers report a reason per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import idna
from publicsuffixlist import PublicSuffixList

# Values spreadsheets put in an empty "website" column; never a domain.
PLACEHOLDER_VALUES = frozenset(
    {"nan", "n/a", "na", "none", "null", "web sitesi", "website", "web", "http", "https"}
)
HTTP_SCHEMES = ("http", "https")

REASON_EMPTY = "empty"
REASON_PLACEHOLDER = "placeholder value"
REASON_NOT_A_DOMAIN = "not a domain name"
REASON_IDNA = "IDNA encoding failed"
REASON_SCHEME = "unsupported URL scheme"
REASON_NOT_AN_EMAIL = "not an email address"
REASON_NOTHING_GIVEN = "no domain, email or website given"
REASON_PUBLIC_SUFFIX = "a public suffix (registry-owned name), not a company domain"
REASON_PUNYCODE = "punycode label that does not decode"

MAX_DOMAIN_CHARS = 253  # the longest name DNS can carry, written without the root dot
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_PUNYCODE_PREFIX = "xn--"
_WWW_LABEL = "www."


@lru_cache(maxsize=1)
def _public_suffixes() -> PublicSuffixList:
    # Both sections of the list: ``github.io`` is as registry-owned as ``com.tr`` for us.
    # Parsing the bundled list takes a while; one instance per process is plenty.
    return PublicSuffixList()


@dataclass(frozen=True)
class NormalizedDomain:
    """A normalisation outcome: the canonical domain, or ``""`` and the reason it failed."""

    domain: str
    reason: str | None = None
    source: str | None = None  # which input field produced it: "domain", "email", "website"

    @property
    def ok(self) -> bool:
        """True when a usable domain was produced."""
        return bool(self.domain)


def _as_text(value: object) -> str:
    # CSV readers hand over floats (NaN) and None; treat them as text rather than crash.
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _looks_like_url(value: str) -> bool:
    lowered = value.lower()
    return "://" in value or lowered.startswith(("http://", "https://"))


def domain_problem(value: object) -> str | None:
    """Return why ``value`` is not a usable company domain, or None when it is one.

    A usable domain has at most 253 characters in at least two dot-separated labels of
    letters, digits and inner hyphens (1-63 characters each), a TLD of two or more
    characters and punycode labels that decode, and is not itself a public suffix
    (``com.tr``, ``co.uk``, ``github.io``).
    """
    text = _as_text(value).strip()
    if not text:
        return REASON_EMPTY
    if text.lower() in PLACEHOLDER_VALUES:
        return REASON_PLACEHOLDER
    if _looks_like_url(text) or "." not in text:
        return REASON_NOT_A_DOMAIN
    if len(text) > MAX_DOMAIN_CHARS:
        return REASON_NOT_A_DOMAIN
    labels = text.lower().split(".")
    if not all(_LABEL.match(label) for label in labels) or len(labels[-1]) < 2:
        return REASON_NOT_A_DOMAIN
    if not all(_punycode_decodes(label) for label in labels):
        return REASON_PUNYCODE
    if _public_suffixes().is_public(".".join(labels)):
        return REASON_PUBLIC_SUFFIX
    return None


def _punycode_decodes(label: str) -> bool:
    """False for an ``xn--`` label whose payload is not punycode of printable non-ASCII text."""
    if not label.startswith(_PUNYCODE_PREFIX):
        return True
    try:
        decoded = label[len(_PUNYCODE_PREFIX) :].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        return False
    return not decoded.isascii() and decoded.isprintable()


def is_valid_domain(value: object) -> bool:
    """True when ``value`` (trimmed) is a usable company domain name (see domain_problem)."""
    return domain_problem(value) is None


def _first_path_segment(value: str) -> str:
    without_scheme = _SCHEME.sub("", value, count=1)
    return re.split(r"[/?#]", without_scheme, maxsplit=1)[0]


def _url_host(value: str) -> str:
    """Host of an http(s) URL without port; when the URL parser finds none, cut the text at the
    first /, ? or #."""
    candidate = value if _SCHEME.match(value) else f"http://{value}"
    try:
        parts = urlsplit(candidate)
        host = parts.hostname or parts.path.lstrip("/").split("/", 1)[0]
    except ValueError:  # malformed netloc such as an unclosed IPv6 bracket
        host = ""
    if _acceptable_host(host):
        return host
    return _first_path_segment(value)


def _acceptable_host(host: str) -> bool:
    try:
        return domain_problem(_to_ascii(host.rstrip(".").lower())) is None
    except ValueError:  # IDNAError and UnicodeError are ValueErrors
        return False


def _to_ascii(value: str) -> str:
    if value.isascii():
        return value
    # UTS-46 mapping (IDNA 2008, non-transitional) so "ß" and full-width dots behave.
    return idna.encode(value, uts46=True).decode("ascii")


def _scheme_problem(text: str) -> str | None:
    match = _SCHEME.match(text)
    if match and match.group(1).lower() not in HTTP_SCHEMES:
        return REASON_SCHEME
    return None


def normalize_domain_checked(value: object) -> NormalizedDomain:
    """Normalise ``value`` to its canonical domain and say why when it cannot be."""
    text = _as_text(value).strip()
    if not text:
        return NormalizedDomain("", REASON_EMPTY)
    if problem := _scheme_problem(text):
        return NormalizedDomain("", problem)
    host = _url_host(text) if _looks_like_url(text) else text
    try:
        # Encode before stripping "www." so full-width and other mapped forms are seen too.
        host = _to_ascii(host.rstrip(".").lower()).rstrip(".")
    except ValueError:  # IDNAError and UnicodeError are ValueErrors
        return NormalizedDomain("", REASON_IDNA)
    host = _strip_www_labels(host)
    if problem := domain_problem(host):
        # The input was not blank, so an empty host means a URL with nothing usable in it.
        return NormalizedDomain("", REASON_NOT_A_DOMAIN if problem == REASON_EMPTY else problem)
    return NormalizedDomain(host)


def _strip_www_labels(host: str) -> str:
    # Every leading "www." goes: stripping only one would leave "www.x.com" from
    # "www.www.x.com", which a second pass changes again.
    while host.startswith(_WWW_LABEL):
        host = host[len(_WWW_LABEL) :]
    return host


def _is_placeholder(text: str) -> bool:
    return text.strip().lower() in PLACEHOLDER_VALUES


def normalize_domain(value: object) -> str:
    """Return the canonical ASCII domain for ``value``, or ``""`` when it is not one."""
    return normalize_domain_checked(value).domain


def extract_domain_checked(email: object) -> NormalizedDomain:
    """Domain of an email address (text after the last ``@``), normalised, with a reason."""
    text = _as_text(email).strip()
    if not text:
        return NormalizedDomain("", REASON_EMPTY)
    if "@" not in text:
        return NormalizedDomain("", REASON_NOT_AN_EMAIL)
    outcome = normalize_domain_checked(text.rsplit("@", 1)[1])
    if outcome.reason == REASON_EMPTY:  # "user@" has an @ but nothing after it
        return NormalizedDomain("", REASON_NOT_AN_EMAIL)
    return outcome


def extract_domain_from_email(email: object) -> str:
    """Return the normalised domain of an email address, or ``""``."""
    return extract_domain_checked(email).domain


def website_domain_checked(website: object) -> NormalizedDomain:
    """Host of a website value (URL or bare host with path/port), normalised, with a reason."""
    text = _as_text(website).strip()
    if not text:
        return NormalizedDomain("", REASON_EMPTY)
    if _is_placeholder(text):
        return NormalizedDomain("", REASON_PLACEHOLDER)
    if problem := _scheme_problem(text):
        return NormalizedDomain("", problem)
    return normalize_domain_checked(_url_host(text))


def extract_domain_from_website(website: object) -> str:
    """Return the normalised host of a website value, or ``""``."""
    return website_domain_checked(website).domain


def resolve_input_domain(
    *, domain: object = None, email: object = None, website: object = None
) -> NormalizedDomain:
    """Pick the lead's domain from an input row: website beats email beats domain.

    A field only wins when it yields a valid domain; when none does, the reason reported is
    the one of the most specific field that was actually filled in.
    """
    candidates = (
        ("website", website_domain_checked(website)),
        ("email", extract_domain_checked(email)),
        ("domain", domain_field_checked(domain)),
    )
    for source, outcome in candidates:
        if outcome.ok:
            return NormalizedDomain(outcome.domain, None, source)
    for source, outcome in candidates:
        if outcome.reason != REASON_EMPTY:
            return NormalizedDomain("", outcome.reason, source)
    return NormalizedDomain("", REASON_NOTHING_GIVEN)


def normalize_free_text(value: object) -> NormalizedDomain:
    """The domain in whatever one person typed: an e-mail address, a URL or a domain.

    An ``@`` outside a URL means an e-mail address; a path, query or fragment means a website
    (so ``www.example.com/about`` works here although ``normalize_domain`` rejects it);
    anything else is read as a domain name.
    """
    text = _as_text(value).strip()
    if any(mark in text for mark in "/?#") and not _is_email(text):
        return website_domain_checked(text)
    return domain_field_checked(text)


def _is_email(text: str) -> bool:
    return "@" in text and "://" not in text


def domain_field_checked(value: object) -> NormalizedDomain:
    """A value from a Domain field: a domain name, or an e-mail address meaning its domain.

    Spreadsheets and forms often carry a contact's address where the domain belongs; the
    domain after the last ``@`` is what was meant.
    """
    text = _as_text(value).strip()
    if _is_email(text):
        return extract_domain_checked(text)
    return normalize_domain_checked(text)
