"""Registrable roots of host names (a domain's ``mx_root``).

The ICANN section of the Public Suffix List knows every TLD's registration rules; a fixed
list of second-level suffixes is kept as a floor, so a root is never shorter than
``<label>.<second-level suffix>`` even where the PSL lacks the suffix (``gov.mx``, say).
Private PSL entries (``blogspot.com`` and the like) are ignored on purpose: a mail provider's
hosts under its own domain must all share one root.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

# Second-level suffixes a root always keeps a label in front of (``x.com.tr``, not ``com.tr``).
# fmt: off
REFERENCE_SECOND_LEVEL_SUFFIXES = frozenset((
    "com.tr", "net.tr", "org.tr", "gov.tr", "edu.tr", "co.uk", "org.uk", "ac.uk", "gov.uk",
    "com.au", "net.au", "org.au", "gov.au", "edu.au", "co.za", "org.za", "gov.za", "com.br",
    "net.br", "org.br", "gov.br", "co.jp", "ne.jp", "or.jp", "go.jp", "ac.jp", "com.cn",
    "net.cn", "org.cn", "gov.cn", "edu.cn", "co.in", "net.in", "org.in", "gov.in", "edu.in",
    "com.mx", "net.mx", "org.mx", "gov.mx", "com.ar", "net.ar", "org.ar", "gov.ar", "co.nz",
    "net.nz", "org.nz", "govt.nz", "com.sg", "net.sg", "org.sg", "gov.sg", "com.my", "net.my",
    "org.my", "gov.my", "com.ph", "net.ph", "org.ph", "gov.ph",
))
# fmt: on


@lru_cache(maxsize=1)
def _icann_suffixes() -> PublicSuffixList:
    # Parsing the bundled list takes a while; one instance per process is plenty.
    return PublicSuffixList(only_icann=True)


def clean_host(host: str | None) -> str:
    """Lowercase a DNS host name and drop surrounding whitespace and the trailing root dot."""
    return (host or "").strip().rstrip(".").lower()


def is_within(name: str, suffix: str) -> bool:
    """True when ``name`` is ``suffix`` or a subdomain of it (label boundary, not substring)."""
    return bool(suffix) and (name == suffix or name.endswith("." + suffix))


def _reference_root(labels: list[str]) -> str:
    keep = 3 if ".".join(labels[-2:]) in REFERENCE_SECOND_LEVEL_SUFFIXES else 2
    return ".".join(labels[-keep:])


@lru_cache(maxsize=4096)
def registrable_root(name: str | None) -> str | None:
    """Registrable domain of ``name`` (``mail.example.co.uk`` -> ``example.co.uk``).

    Returns None for blank input and for names that are themselves a public suffix. Cached:
    a few provider hosts (aspmx.l.google.com, ...) make up most of the MX hosts of a scan.
    """
    cleaned = clean_host(name)
    labels = cleaned.split(".")
    if len(labels) < 2 or not all(labels):
        return None
    psl_root = _icann_suffixes().privatesuffix(cleaned)
    reference_root = _reference_root(labels) if len(labels) >= 3 else None
    candidates = [root for root in (psl_root, reference_root) if root]
    return max(candidates, key=lambda root: root.count("."), default=None)


def extract_mx_root(host: str | None) -> str | None:
    """The ``mx_root`` of an MX host: its registrable root, or the host itself.

    ``outlook-com.olc.protection.outlook.com`` -> ``outlook.com``; a single-label host, or one
    that has no registrable root, is returned unchanged (lowercased); blank input -> None.
    """
    cleaned = clean_host(host)
    if not cleaned:
        return None
    return registrable_root(cleaned) or cleaned


def primary_mx_root(mx_hosts: Sequence[str] | None) -> str | None:
    """The ``mx_root`` of the first (lowest preference) host of an ordered MX list."""
    return extract_mx_root(mx_hosts[0]) if mx_hosts else None
