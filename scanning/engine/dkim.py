"""DKIM: which selectors to try, what counts as a key record, and how to report the result.

The lookups themselves are in :mod:`scanning.engine.dns`. A domain's DKIM keys can only be
found by guessing selector names, so a miss is reported as "not found among N selectors", never
as "missing": the key may sit under a selector nobody guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from scanning.engine.dmarc import parse_tags

DkimStatus = Literal["found", "not_found", "unresolved"]

# Tried only when the provider's own selectors found nothing: a guess costs a question.
COMMON_SELECTORS: tuple[str, ...] = ("default", "dkim", "mail", "smtp")
M365_SELECTORS: tuple[str, ...] = ("selector1", "selector2")
GOOGLE_SELECTORS: tuple[str, ...] = ("google",)
_M365_MX_SUFFIXES = (".mail.protection.outlook.com", ".mx.microsoft")
_GOOGLE_MX_SUFFIXES = (".google.com", ".googlemail.com")


@dataclass(frozen=True)
class DkimResult:
    """The DKIM selectors asked about, those with a key, and any CNAME targets on the way.

    ``cname_targets`` are kept even when the target publishes no key: a ``selector1`` CNAME to
    ``*.onmicrosoft.com`` is evidence of Microsoft 365 (and names the tenant) on its own.
    """

    status: DkimStatus
    selectors_checked: tuple[str, ...] = ()
    selectors_found: tuple[str, ...] = ()
    cname_targets: tuple[str, ...] = ()

    @property
    def present(self) -> bool:
        """Whether at least one selector publishes a DKIM key."""
        return bool(self.selectors_found)

    @property
    def message(self) -> str:
        """A sentence for people: what was found, or how many selectors were tried."""
        if self.status == "found":
            return "found at " + ", ".join(self.selectors_found)
        count = len(self.selectors_checked)
        noun = "selector" if count == 1 else "selectors"
        if self.status == "unresolved" and not count:
            return "could not be checked: DNS did not answer"
        if self.status == "unresolved":
            return f"could not be checked: DNS did not answer for some of {count} {noun}"
        return f"not found among {count} {noun}"


def default_dkim_selectors(mx_hosts: Sequence[str]) -> tuple[str, ...]:
    """Selectors to try first for a domain with these MX hosts (M365 and Google by default).

    A stand-in until provider detection supplies its own function; with no recognised MX host
    both big providers' selectors are tried, as a gateway often hides either of them.
    """
    hosts = [host.lower().rstrip(".") for host in mx_hosts]
    m365 = any(host.endswith(_M365_MX_SUFFIXES) for host in hosts)
    google = any(host.endswith(_GOOGLE_MX_SUFFIXES) for host in hosts)
    if m365 and not google:
        return M365_SELECTORS
    if google and not m365:
        return GOOGLE_SELECTORS
    return M365_SELECTORS + GOOGLE_SELECTORS


def is_dkim_key_record(text: str) -> bool:
    """Whether a TXT record is a (non-revoked) DKIM key: ``v=DKIM1`` or a non-empty ``p=``."""
    if not isinstance(text, str):
        return False
    tags = parse_tags(text)
    if tags.get("v", "").upper() == "DKIM1":
        return tags.get("p", "x") != ""  # "p=" with no value is a revoked key (RFC 6376)
    return bool(tags.get("p")) or tags.get("k", "").lower() == "rsa"


def dkim_status(found: Sequence[str], unresolved: Sequence[str]) -> DkimStatus:
    """Found beats everything; otherwise any unanswered selector makes the miss unknown."""
    if found:
        return "found"
    return "unresolved" if unresolved else "not_found"
