"""Plain values shared by the RDAP and WHOIS adapters, and the coercions they both need.

Registries disagree on shapes: an expiry may arrive as a list, a datetime, an ISO string or
"2026-Jan-15."; nameservers as a list, one string, or lines with addresses after the name.
Everything is squeezed into one shape here so the adapters only find values.
"""

import datetime as dt
import re
from dataclasses import dataclass

_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
# Formats seen outside ISO-8601: .tr ("2026-Jan-15."), and a few ccTLDs ("15.01.2026").
_OTHER_DATE_FORMATS = ("%Y-%b-%d", "%d-%b-%Y", "%d.%m.%Y", "%Y.%m.%d", "%Y/%m/%d")


class LookupFailed(Exception):
    """One protocol found nothing usable; the message is the short reason shown to users."""


@dataclass(frozen=True)
class RegistrationFacts:
    """The three registration values Hunter keeps, whichever protocol found them."""

    registrar: str | None = None
    expires_at: dt.date | None = None
    nameservers: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when no value was found: such an answer is no better than none."""
        return self.registrar is None and self.expires_at is None and not self.nameservers


def coerce_registrar(value: object) -> str | None:
    """First non-blank registrar name from a string or a list of strings."""
    candidates = value if isinstance(value, list | tuple) else [value]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return " ".join(candidate.split())
    return None


def coerce_date(value: object) -> dt.date | None:
    """A date from a list (first item), a datetime, a date or a date-like string."""
    if isinstance(value, list | tuple):
        return coerce_date(value[0]) if value else None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return _date_from_text(value)
    return None


def _date_from_text(text: str) -> dt.date | None:
    tokens = text.strip().split()
    if not tokens:
        return None
    token = tokens[0].rstrip(".")
    iso = _ISO_DATE.match(token)
    if iso:
        return _iso_date(iso.group(1))
    for date_format in _OTHER_DATE_FORMATS:
        try:
            return dt.datetime.strptime(token, date_format).date()
        except ValueError:
            continue
    return None


def _iso_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def coerce_nameservers(value: object) -> tuple[str, ...]:
    """Lower-cased host names without a trailing dot, in order, without duplicates.

    Accepts a list or a multi-line string; a line may carry addresses after the host name
    (".tr" and several ccTLDs do this), so only its first word is kept.
    """
    items = value if isinstance(value, list | tuple) else [value]
    lines = [line for item in items if isinstance(item, str) for line in item.splitlines()]
    names: list[str] = []
    for line in lines:
        words = line.split()
        name = words[0].lower().rstrip(".") if words else ""
        if name and name not in names:
            names.append(name)
    return tuple(names)
