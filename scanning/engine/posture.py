"""The mail posture records security-minded buyers ask about: MTA-STS, TLS-RPT and BIMI.

Each parser takes every TXT string found at the record's name and never raises. The status
says what a mail sender would conclude:

* ``valid``: exactly one record of the kind, with its required tags well formed;
* ``malformed``: the record is there but a sender would ignore it (two records of the kind,
  the version tag not first, a required tag missing or ill-formed);
* ``absent``: no record of the kind (TXT strings without its ``v=`` tag are not ours);
* ``declined`` (BIMI only): ``v=BIMI1`` with empty ``l=`` and ``a=``, an explicit "no logo";
* ``unresolved``: DNS did not answer, so nothing is known (reported as null, never "absent").

The rules: MTA-STS is ``v=STSv1`` first, then an ``id`` of 1 to 32 letters and digits
(RFC 8461 section 3.1). TLS-RPT is ``v=TLSRPTv1`` first, then ``rua`` with one or more
comma-separated ``mailto:`` or ``https:`` addresses (RFC 8460 section 3). BIMI is ``v=BIMI1``
first; ``l`` (the SVG logo) and ``a`` (the mark certificate) are HTTPS URLs when present.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from scanning.engine.dmarc import parse_tags

PostureStatus = Literal["valid", "malformed", "absent", "declined", "unresolved"]
MTA_STS_NAME = "_mta-sts"
TLS_RPT_NAME = "_smtp._tls"
BIMI_NAME = "default._bimi"
_MTA_STS_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_RUA_SCHEMES = ("mailto:", "https:")


@dataclass(frozen=True)
class MtaStsRecord:
    """The ``_mta-sts`` TXT record: status and the policy ``id`` when valid."""

    status: PostureStatus
    policy_id: str | None = None
    record: str | None = None


@dataclass(frozen=True)
class TlsRptRecord:
    """The ``_smtp._tls`` TXT record: status and where reports go (``rua``) when valid."""

    status: PostureStatus
    rua: tuple[str, ...] = ()
    record: str | None = None


@dataclass(frozen=True)
class BimiRecord:
    """The ``default._bimi`` TXT record: status, logo URL (``l=``), certificate URL (``a=``)."""

    status: PostureStatus
    logo_url: str | None = None
    authority_url: str | None = None
    record: str | None = None


UNRESOLVED_MTA_STS = MtaStsRecord("unresolved")
UNRESOLVED_TLS_RPT = TlsRptRecord("unresolved")
UNRESOLVED_BIMI = BimiRecord("unresolved")


def _the_record(texts: Iterable[object], version: str) -> tuple[str | None, bool]:
    """The record of this kind and whether a sender would read it at all.

    A record of the kind has a ``v=<version>`` tag; exactly one may exist and its version tag
    must come first. One placed wrongly is reported as malformed rather than passed over.
    """
    wanted = version.lower()
    records = [
        text.strip()
        for text in texts
        if isinstance(text, str) and parse_tags(text).get("v", "").lower() == wanted
    ]
    if not records:
        return None, False
    return records[0], len(records) == 1 and _version_first(records[0], version)


def _version_first(tags_text: str, version: str) -> bool:
    key, _, value = tags_text.split(";", 1)[0].partition("=")
    return key.strip() == "v" and value.strip() == version


def parse_mta_sts(texts: Iterable[object]) -> MtaStsRecord:
    """The MTA-STS announcement among the TXT strings at ``_mta-sts.<domain>``."""
    record, readable = _the_record(texts, "STSv1")
    if record is None:
        return MtaStsRecord("absent")
    policy_id = parse_tags(record).get("id", "")
    if not readable or not _MTA_STS_ID.fullmatch(policy_id):
        return MtaStsRecord("malformed", record=record)
    return MtaStsRecord("valid", policy_id, record)


def parse_tls_rpt(texts: Iterable[object]) -> TlsRptRecord:
    """The TLS reporting policy among the TXT strings at ``_smtp._tls.<domain>``."""
    record, readable = _the_record(texts, "TLSRPTv1")
    if record is None:
        return TlsRptRecord("absent")
    rua = tuple(uri.strip() for uri in parse_tags(record).get("rua", "").split(","))
    if not readable or not all(_is_report_uri(uri) for uri in rua):
        return TlsRptRecord("malformed", record=record)
    return TlsRptRecord("valid", rua, record)


def parse_bimi(texts: Iterable[object]) -> BimiRecord:
    """The BIMI assertion among the TXT strings at ``default._bimi.<domain>``."""
    record, readable = _the_record(texts, "BIMI1")
    if record is None:
        return BimiRecord("absent")
    tags = parse_tags(record)
    logo, authority = tags.get("l", ""), tags.get("a", "")
    if not readable or not all(_is_https_url(url) for url in (logo, authority) if url):
        return BimiRecord("malformed", record=record)
    if not logo and not authority:
        return BimiRecord("declined", record=record)
    return BimiRecord("valid", logo or None, authority or None, record)


def _is_report_uri(value: str) -> bool:
    scheme = next((s for s in _RUA_SCHEMES if value.lower().startswith(s)), None)
    return scheme is not None and len(value) > len(scheme)


def _is_https_url(value: str) -> bool:
    return (
        value.lower().startswith("https://") and len(value) > len("https://x") and " " not in value
    )
