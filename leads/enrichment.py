"""Contact enrichment: normalize contact e-mails, rate them, guess the address pattern.

Pure functions: plain values in, plain values out, no database. The webhook and the manual
"enrich" action both call ``enrich_contacts`` and store what it returns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from scanning.engine.normalize import extract_domain_from_email

PATTERN_FIRSTNAME_LASTNAME = "firstname.lastname"
PATTERN_F_LASTNAME = "f.lastname"
PATTERN_FIRSTNAME = "firstname"

# (at least this many unique e-mails, points), largest first.
COUNT_POINTS = ((10, 60), (5, 45), (3, 30), (2, 20), (1, 10))
DOMAIN_MATCH_POINTS = 40
MAX_SCORE = 100


@dataclass(frozen=True)
class ContactEnrichment:
    """What enrichment concludes from a list of contact e-mails for one company domain."""

    contact_emails: tuple[str, ...]
    contact_quality_score: int
    linkedin_pattern: str | None


def normalize_emails(emails: Iterable[object]) -> list[str]:
    """Trimmed, lowercased, de-duplicated e-mails in first-seen order; values without ``@`` drop.

    Anything that is not a string (None, numbers from a spreadsheet) is dropped, never raised on.
    """
    seen: dict[str, None] = {}
    for value in emails:
        if not isinstance(value, str):
            continue
        email = value.strip().lower()
        if "@" in email:
            seen.setdefault(email, None)
    return list(seen)


def _count_points(count: int) -> int:
    return next((points for minimum, points in COUNT_POINTS if count >= minimum), 0)


def contact_quality_score(emails: Iterable[object], domain: str) -> int:
    """0-100: points for how many unique e-mails there are plus up to 40 for on-domain ones.

    Example: three unique e-mails, two of them at the company domain → 30 + 26 = 56.
    """
    unique = normalize_emails(emails)
    if not unique:
        return 0
    company_domain = domain.strip().lower()
    matching = sum(1 for email in unique if extract_domain_from_email(email) == company_domain)
    score = _count_points(len(unique)) + int(DOMAIN_MATCH_POINTS * matching / len(unique))
    return min(score, MAX_SCORE)


def _local_part_pattern(local_part: str) -> str | None:
    # f.lastname is tested before firstname.lastname, which would otherwise swallow it.
    first, dot, last = local_part.partition(".")
    if dot and len(first) == 1 and first.isalpha() and last.isalpha():
        return PATTERN_F_LASTNAME
    if dot and first.isalpha() and last.isalpha():
        return PATTERN_FIRSTNAME_LASTNAME
    if not dot and local_part.isalpha():
        return PATTERN_FIRSTNAME
    return None


def detect_linkedin_pattern(emails: Iterable[object]) -> str | None:
    """The most frequent address pattern among the e-mails' local parts, or None if none fits.

    Patterns: ``firstname.lastname``, ``f.lastname``, ``firstname``. Ties go to the pattern
    seen first, so the answer is stable for a given list.
    """
    local_parts = (email.rsplit("@", 1)[0] for email in normalize_emails(emails))
    patterns = Counter(p for p in map(_local_part_pattern, local_parts) if p is not None)
    if not patterns:
        return None
    return patterns.most_common(1)[0][0]


def enrich_contacts(emails: Iterable[object], domain: str) -> ContactEnrichment:
    """Normalized e-mails with their quality score and address pattern, for one company."""
    unique = normalize_emails(emails)
    return ContactEnrichment(
        contact_emails=tuple(unique),
        contact_quality_score=contact_quality_score(unique, domain),
        linkedin_pattern=detect_linkedin_pattern(unique),
    )
