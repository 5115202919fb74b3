"""DMARC (RFC 7489, RFC 9989): pick the record at ``_dmarc.<domain>`` and read its tags.

Tags are parsed properly (``;``-separated ``key=value``, case-insensitive keys and policy
values): ``sp=none`` is never read as ``p=none``, and ``p=Reject`` is ``reject``. Parsing
never raises: any text gives a :class:`DmarcPolicy`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Policy = Literal["none", "quarantine", "reject"]
_POLICY_WORDS: dict[str, Policy] = {"none": "none", "quarantine": "quarantine", "reject": "reject"}
ENFORCING: frozenset[str] = frozenset({"quarantine", "reject"})
DEFAULT_PCT = 100


@dataclass(frozen=True)
class DmarcPolicy:
    """A domain's DMARC record as read; ``raw`` is the record as published.

    ``policy`` is None only when the text is not a DMARC1 record at all; a DMARC1 record
    without a usable ``p`` counts as ``none``. ``coverage`` is the percentage of mail the
    policy applies to (``pct``), None without a record. ``enforced`` is true only for
    quarantine/reject that is not in test mode (``t=y``) and covers some mail.
    """

    raw: str
    valid: bool
    policy: Policy | None
    subdomain_policy: Policy | None = None
    np: Policy | None = None
    pct: int = DEFAULT_PCT
    rua: tuple[str, ...] = ()
    testing: bool = False

    @property
    def coverage(self) -> int | None:
        """The share of mail covered (``pct``), None when the text is not a DMARC record."""
        return self.pct if self.valid else None

    @property
    def enforced(self) -> bool:
        """Whether failing mail is actually quarantined or rejected."""
        return self.policy in ENFORCING and not self.testing and self.pct > 0

    @property
    def partial(self) -> bool:
        """Whether the policy is rolled out to only part of the mail (pct below 100)."""
        return self.valid and self.pct < DEFAULT_PCT


def is_dmarc_record(text: str) -> bool:
    """Whether ``text`` carries the DMARC version tag ``v=DMARC1``."""
    return "v=dmarc1" in text.lower().replace(" ", "")


def select_dmarc_record(txt_strings: Iterable[str]) -> str | None:
    """The first TXT record (strings already joined) that contains ``v=DMARC1``, or None."""
    for text in txt_strings:
        if isinstance(text, str) and is_dmarc_record(text):
            return text
    return None


def parse_tags(text: str) -> dict[str, str]:
    """``;``-separated ``key=value`` pairs, keys lower-cased; a repeated key keeps its first."""
    tags: dict[str, str] = {}
    for part in text.split(";"):
        key, separator, value = part.partition("=")
        key = key.strip().lower()
        if separator and key and key not in tags:
            tags[key] = value.strip()
    return tags


def parse_dmarc(text: str) -> DmarcPolicy:
    """Read a DMARC record's tags; never raises (non-DMARC text gives ``valid=False``)."""
    if not isinstance(text, str) or not is_dmarc_record(text):
        return DmarcPolicy(raw=text if isinstance(text, str) else "", valid=False, policy=None)
    tags = parse_tags(text)
    return DmarcPolicy(
        raw=text,
        valid=True,
        policy=_policy(tags.get("p")) or "none",
        subdomain_policy=_policy(tags.get("sp")),
        np=_policy(tags.get("np")),
        pct=_pct(tags.get("pct")),
        rua=_uris(tags.get("rua")),
        testing=tags.get("t", "").lower() == "y",
    )


def dmarc_from_txt(txt_strings: Iterable[str]) -> DmarcPolicy | None:
    """The parsed DMARC policy among ``_dmarc`` TXT records, or None when there is none."""
    record = select_dmarc_record(txt_strings)
    return None if record is None else parse_dmarc(record)


def _policy(value: str | None) -> Policy | None:
    return _POLICY_WORDS.get((value or "").strip().lower())


def _pct(value: str | None) -> int:
    # An unreadable pct is ignored (RFC 7489 section 6.3: default 100); a readable one is
    # clamped so "pct=250" still means "all mail".
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit():
        return DEFAULT_PCT
    return max(0, min(DEFAULT_PCT, int(text)))


def _uris(value: str | None) -> tuple[str, ...]:
    return tuple(uri.strip() for uri in (value or "").split(",") if uri.strip())
