"""Registration data for a domain: registrar, expiry date and nameservers.

RDAP first, through the IANA bootstrap (or a fixed base URL); port-43 WHOIS when RDAP has
nothing usable, which is always the case for ".tr". Each protocol has its own timeout. The
result is never an exception: a failure is a `Registration` with status "unknown" and a short
reason, and it round-trips through `to_dict()` so callers can cache it as a negative entry.
"""

import asyncio
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import httpx

from scanning.engine.rdap import DEFAULT_BOOTSTRAP_FILE, query_rdap
from scanning.engine.registration_facts import LookupFailed, RegistrationFacts
from scanning.engine.whois_query import DEFAULT_WHOIS_SERVERS, query_whois

RegistrationStatus = Literal["ok", "unknown", "disabled"]
RegistrationSource = Literal["rdap", "whois"]
IANA_RDAP_BOOTSTRAP_URL = "https://data.iana.org/rdap/dns.json"
IANA_WHOIS_SERVER = "whois.iana.org"
CACHE_FORMAT_VERSION = 1
_MAX_DOMAIN_LENGTH = 253


@dataclass(frozen=True)
class RegistrationConfig:
    """How registration data is looked up; the Django side builds one from settings.

    `rdap_base_url` replaces the bootstrap for every TLD and `whois_server` ("host[:port]")
    replaces the server table for every TLD: both exist so tests can point at loopback
    servers. `rdap_bootstrap_file` stands in while the bootstrap URL cannot be fetched (None:
    no stand-in). `whois_iana_server` refers TLDs missing from `whois_servers` (None: don't).
    """

    enabled: bool = True
    rdap_timeout: float = 3.0
    whois_timeout: float = 5.0
    rdap_base_url: str | None = None
    rdap_bootstrap_url: str = IANA_RDAP_BOOTSTRAP_URL
    rdap_bootstrap_file: Path | None = DEFAULT_BOOTSTRAP_FILE
    whois_server: str | None = None
    whois_servers: Mapping[str, str] = field(default_factory=lambda: DEFAULT_WHOIS_SERVERS)
    whois_iana_server: str | None = IANA_WHOIS_SERVER


@dataclass(frozen=True)
class Registration:
    """The outcome of one lookup: "ok" with values, "unknown" with a reason, or "disabled"."""

    status: RegistrationStatus
    registrar: str | None = None
    expires_at: dt.date | None = None
    nameservers: tuple[str, ...] = ()
    source: RegistrationSource | None = None
    error: str | None = None

    @classmethod
    def found(cls, facts: RegistrationFacts, source: RegistrationSource) -> "Registration":
        """A successful lookup carrying what `source` reported."""
        return cls("ok", facts.registrar, facts.expires_at, facts.nameservers, source)

    @classmethod
    def unknown(cls, error: str) -> "Registration":
        """A failed lookup; `error` says why in a few words."""
        return cls("unknown", error=error)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for a cache; failures stay distinguishable from a cache miss."""
        return {
            "v": CACHE_FORMAT_VERSION,
            "status": self.status,
            "registrar": self.registrar,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "nameservers": list(self.nameservers),
            "source": self.source,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: object) -> "Registration | None":
        """The Registration stored by `to_dict()`, or None when `data` is not one.

        None means "treat as a cache miss": an entry from an older format or a damaged one.
        """
        if not isinstance(data, dict) or data.get("v") != CACHE_FORMAT_VERSION:
            return None
        try:
            return cls(
                status=_member(data["status"], RegistrationStatus),
                registrar=_optional_text(data["registrar"]),
                expires_at=_optional_date(data["expires_at"]),
                nameservers=_names(data["nameservers"]),
                source=_member(data["source"], RegistrationSource) if data["source"] else None,
                error=_optional_text(data["error"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


DISABLED = Registration("disabled")


def _member(value: object, choices: Any) -> Any:
    if value not in get_args(choices):
        raise ValueError(f"{value!r} is not one of {get_args(choices)}")
    return value


def _optional_date(value: object) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(_optional_text(value) or "")


def _names(value: object) -> tuple[str, ...]:
    if not (isinstance(value, list) and all(isinstance(name, str) for name in value)):
        raise TypeError("nameservers must be a list of names")
    return tuple(value)


def _optional_text(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


async def lookup_registration(
    domain: str, config: RegistrationConfig, client: httpx.AsyncClient | None = None
) -> Registration:
    """Registrar, expiry date and nameservers of `domain` (already normalised, e.g. "x.com.tr").

    Pass one `client` to share HTTP connections across many lookups. Never raises: failures
    come back as status "unknown" with the reason from each protocol.
    """
    if not config.enabled:
        return DISABLED
    name = _lookup_name(domain)
    if name is None:
        return Registration.unknown("invalid domain")
    try:
        if client is not None:
            return await _lookup(name, config, client)
        async with httpx.AsyncClient(follow_redirects=True) as own_client:
            return await _lookup(name, config, own_client)
    except Exception as exc:
        # The contract is "never raises": a bug or a surprise from a library becomes an
        # unknown result for this one domain instead of failing a whole batch.
        return Registration.unknown(f"unexpected error ({type(exc).__name__})")


def lookup_registration_sync(domain: str, config: RegistrationConfig) -> Registration:
    """`lookup_registration` for synchronous callers (a Celery task); not inside an event loop."""
    return asyncio.run(lookup_registration(domain, config))


async def lookup_registrations(
    domains: list[str], config: RegistrationConfig, concurrency: int = 10
) -> dict[str, Registration]:
    """Look many domains up over one shared HTTP client, at most `concurrency` at a time.

    A fixed pool of lookups pulls from one iterator (as DNS collection does), so a huge input
    never parks one task per domain.
    """
    results: dict[str, Registration] = {}
    queue = iter(domains)
    async with httpx.AsyncClient(follow_redirects=True) as client:

        async def worker() -> None:
            for domain in queue:
                results[domain] = await lookup_registration(domain, config, client)

        await asyncio.gather(*(worker() for _ in range(min(max(1, concurrency), len(domains)))))
    return {domain: results[domain] for domain in domains}


async def _lookup(
    domain: str, config: RegistrationConfig, client: httpx.AsyncClient
) -> Registration:
    try:
        return Registration.found(await _rdap(domain, config, client), "rdap")
    except LookupFailed as rdap_failure:
        rdap_error = str(rdap_failure)
    try:
        return Registration.found(await _whois(domain, config), "whois")
    except LookupFailed as whois_failure:
        return Registration.unknown(f"rdap: {rdap_error}; whois: {whois_failure}")


async def _rdap(
    domain: str, config: RegistrationConfig, client: httpx.AsyncClient
) -> RegistrationFacts:
    return await query_rdap(
        domain,
        client,
        timeout=config.rdap_timeout,
        base_url=config.rdap_base_url,
        bootstrap_url=config.rdap_bootstrap_url,
        bootstrap_file=config.rdap_bootstrap_file,
    )


async def _whois(domain: str, config: RegistrationConfig) -> RegistrationFacts:
    return await query_whois(
        domain,
        timeout=config.whois_timeout,
        override=config.whois_server,
        servers=config.whois_servers,
        iana_server=config.whois_iana_server,
    )


def _lookup_name(domain: object) -> str | None:
    """The name as registries expect it (lower case, no trailing dot), or None if it is not one.

    Normalisation proper (URLs, IDN) happens before the engine is called; this only refuses
    input that would make a malformed query line or URL.
    """
    if not isinstance(domain, str):
        return None
    name = domain.strip().lower().rstrip(".")
    labels = name.split(".")
    if len(labels) < 2 or len(name) > _MAX_DOMAIN_LENGTH:
        return None
    return name if all(_is_ldh_label(label) for label in labels) else None


def _is_ldh_label(label: str) -> bool:
    # Letters, digits and hyphens: what a punycode-normalised label is made of.
    return bool(label) and all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in label)


__all__ = [
    "DISABLED",
    "Registration",
    "RegistrationConfig",
    "lookup_registration",
    "lookup_registration_sync",
    "lookup_registrations",
]
