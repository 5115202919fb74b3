"""Generic mailbox addresses for a company domain, and their checks from stored data.

No network here: whether the domain takes mail is read from its last scan (a web request
never resolves DNS), and SMTP probing is switched off, so its check is always "skipped".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

GENERIC_MAILBOXES = (
    "info",
    "iletisim",
    "muhasebe",
    "satis",
    "sales",
    "admin",
    "support",
    "ik",
    "hr",
)
_SYNTAX = re.compile(r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$")


@dataclass(frozen=True)
class EmailCheck:
    """The verdict on one address: status valid / invalid / unknown, and why."""

    email: str
    status: str
    confidence: str
    checks: dict[str, Any]
    reason: str


def generic_emails(domain: str) -> list[str]:
    """The nine generic mailboxes at ``domain``, de-duplicated and sorted."""
    return sorted({f"{box}@{domain}" for box in GENERIC_MAILBOXES})


def check_email(email: str, *, has_mx: bool | None) -> EmailCheck:
    """Syntax, then MX from the stored scan (None = not scanned); SMTP is never probed."""
    if not _SYNTAX.match(email):
        return EmailCheck(
            email,
            "invalid",
            "high",
            {"syntax": False, "mx": None, "smtp": "skipped"},
            "Invalid syntax",
        )
    if has_mx is None:
        checks = {"syntax": True, "mx": None, "smtp": "skipped"}
        return EmailCheck(email, "unknown", "low", checks, "MX not known: scan the domain first")
    if not has_mx:
        return EmailCheck(
            email,
            "invalid",
            "high",
            {"syntax": True, "mx": False, "smtp": "skipped"},
            "No MX records",
        )
    checks = {"syntax": True, "mx": True, "smtp": "skipped"}
    return EmailCheck(
        email, "valid", "medium", checks, "Valid syntax and MX records (SMTP not checked)"
    )
