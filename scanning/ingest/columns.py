"""Which column of an upload holds what: domain, company name, e-mail, website.

Pure Python. With auto-detection the header words decide (Turkish and English), and when no
header names a domain column the column with the most domain-looking cells in a sample of
rows wins. Without it, the file must have a column called ``domain``; ``company_name``,
``email`` and ``website`` are optional.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from scanning.ingest.readers import Row, UploadError

# Header words, matched inside ASCII-folded, lowercased names without punctuation
# ("E-posta Adresi" -> "epostaadresi", "Şirket Ünvanı" -> "sirketunvani").
EMAIL_WORDS = ("email", "eposta", "mail")
# Tiers, strongest first: "adres" alone is often a street address, so it only counts when
# no column says domain or web. (The reference took the first column matching any word.)
DOMAIN_WORD_TIERS = (("domain", "alanadi"), ("website", "web", "site", "url", "internet"))
WEAK_DOMAIN_WORDS = ("adres",)
WEBSITE_WORDS = ("website", "web", "site", "url", "internet")
COMPANY_WORDS = ("firma", "unvan", "company", "name", "title", "sirket")
DOMAIN_LIKE = re.compile(r"https?://|www\.|\.com|\.com\.tr|\.net|\.org|\.tr|@", re.IGNORECASE)
EXACT_NAMES = {
    "domain": "domain",
    "company_name": "company",
    "email": "email",
    "website": "website",
}


class ColumnError(UploadError):
    """No usable domain column; ``columns`` lists what the file has, for the message."""

    def __init__(self, message: str, columns: Sequence[str]) -> None:
        listing = ", ".join(f"'{name}'" for name in columns) or "none"
        super().__init__("no_domain_column", f"{message} Columns in the file: {listing}.")
        self.columns = tuple(columns)


@dataclass(frozen=True)
class ColumnMap:
    """Positions (0-based) of the columns an import reads; None when the file has none."""

    domain: int
    company: int | None = None
    email: int | None = None
    website: int | None = None

    def cell(self, row: Row, name: str) -> str | None:
        """The cell of ``row`` in column ``name`` ("domain", "company"...), None if absent."""
        index = getattr(self, name)
        return row[index] if index is not None and index < len(row) else None


def header_key(name: str) -> str:
    """A header folded for matching: lowercase ASCII letters and digits only."""
    text = name.replace("ı", "i").replace("İ", "i")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def _first_matching(keys: Sequence[str], words: Sequence[str], skip: set[int]) -> int | None:
    for index, key in enumerate(keys):
        if index not in skip and any(word in key for word in words):
            return index
    return None


def domain_like_counts(sample: Sequence[Row], width: int) -> list[int]:
    """Per column, how many sample cells look like a domain, URL or e-mail (§13 pattern)."""
    counts = [0] * width
    for row in sample:
        for index, cell in enumerate(row[:width]):
            if cell and DOMAIN_LIKE.search(cell):
                counts[index] += 1
    return counts


def _most_domain_like(sample: Sequence[Row], width: int) -> int | None:
    counts = domain_like_counts(sample, width)
    best = max(range(width), key=lambda index: counts[index], default=None)
    return best if best is not None and counts[best] > 0 else None


def _detect_domain(keys: Sequence[str], sample: Sequence[Row], email: int | None) -> int | None:
    skip = {email} if email is not None else set()
    for words in DOMAIN_WORD_TIERS:
        if (found := _first_matching(keys, words, skip)) is not None:
            return found
    if (found := _most_domain_like(sample, len(keys))) is not None:
        return found
    return _first_matching(keys, WEAK_DOMAIN_WORDS, skip)


def detect_columns(header: Sequence[str], sample: Sequence[Row]) -> ColumnMap:
    """Auto-detect the columns from header words and, for the domain, a sample of rows.

    Raises ColumnError listing the available columns when nothing looks like a domain.
    """
    keys = [header_key(name) for name in header]
    email = _first_matching(keys, EMAIL_WORDS, set())
    domain = _detect_domain(keys, sample, email)
    if domain is None:
        raise ColumnError("No column looks like it holds domains, websites or e-mails.", header)
    # A domain column found by a web word holds URLs, so it is read as a website too: the
    # website extractor accepts "www.acme.com/about", the domain normalizer does not.
    website = _first_matching(keys, WEBSITE_WORDS, {email} if email is not None else set())
    taken = {index for index in (domain, email, website) if index is not None}
    company = _detect_company(keys, taken)
    return ColumnMap(domain=domain, company=company, email=email, website=website)


def _detect_company(keys: Sequence[str], taken: set[int]) -> int | None:
    found = _first_matching(keys, COMPANY_WORDS, taken)
    if found is not None:
        return found
    # The reference falls back to the first column; never to one already holding a domain.
    return 0 if keys and 0 not in taken else None


def exact_columns(header: Sequence[str]) -> ColumnMap:
    """Columns named exactly domain / company_name / email / website (case and spaces ignored).

    Raises ColumnError listing the available columns when there is no ``domain`` column.
    """
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        role = EXACT_NAMES.get(name.strip().lower())
        if role is not None:
            positions.setdefault(role, index)
    if "domain" not in positions:
        raise ColumnError(
            "The file has no 'domain' column (turn on column auto-detection, or rename it).",
            header,
        )
    return ColumnMap(**positions)


def choose_columns(header: Sequence[str], sample: Sequence[Row], *, auto_detect: bool) -> ColumnMap:
    """The ColumnMap for an upload: detected when ``auto_detect``, else by exact names."""
    return detect_columns(header, sample) if auto_detect else exact_columns(header)
