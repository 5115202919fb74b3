"""RDAP adapter: find the registry's RDAP service (RFC 9224 bootstrap) and read a domain.

The IANA bootstrap document is fetched once per URL and kept in process memory for a day; if
it cannot be fetched, the copy shipped in data/rdap_bootstrap.json stands in for a few
minutes so one outage does not cost every domain a bootstrap timeout.
"""

import asyncio
import datetime as dt
import json
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from scanning.engine.registration_facts import (
    LookupFailed,
    RegistrationFacts,
    coerce_date,
    coerce_nameservers,
    coerce_registrar,
)

DEFAULT_BOOTSTRAP_FILE = Path(__file__).parent / "data" / "rdap_bootstrap.json"
BOOTSTRAP_TTL_SECONDS = 24 * 3600.0
# After a failed fetch, retry soon: the shipped copy is a stop-gap, not the truth.
FALLBACK_RETRY_SECONDS = 300.0

_bootstrap_cache: dict[str, tuple[float, "RdapBootstrap"]] = {}
# asyncio locks belong to one event loop; the sync wrapper starts a new loop per call.
_bootstrap_locks: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]" = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class RdapBootstrap:
    """RDAP base URLs by domain suffix, as published in an RFC 9224 "dns.json"."""

    services: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def base_url_for(self, domain: str) -> str | None:
        """The service for the longest matching suffix ("com.tr" before "tr"), https first."""
        labels = domain.split(".")
        for start in range(1, len(labels)):
            urls = self.services.get(".".join(labels[start:]), ())
            if urls:
                return next((url for url in urls if url.startswith("https:")), urls[0])
        return None


def parse_bootstrap(document: object) -> RdapBootstrap:
    """Read an RFC 9224 bootstrap document; entries that are not well formed are skipped."""
    services = document.get("services") if isinstance(document, dict) else None
    if not isinstance(services, list):
        raise LookupFailed("RDAP bootstrap has no services")
    table: dict[str, tuple[str, ...]] = {}
    for entry in services:
        if not (isinstance(entry, list) and len(entry) >= 2):
            continue
        suffixes, urls = entry[0], entry[1]
        if isinstance(suffixes, list) and isinstance(urls, list):
            good_urls = tuple(url for url in urls if isinstance(url, str) and url)
            for suffix in suffixes:
                if isinstance(suffix, str) and good_urls:
                    table[suffix.lower().strip(".")] = good_urls
    return RdapBootstrap(table)


def read_bootstrap_file(path: Path | None) -> RdapBootstrap:
    """The bootstrap stored at `path`, or an empty one when there is none or it is unreadable."""
    if path is None:
        return RdapBootstrap()
    try:
        return parse_bootstrap(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, LookupFailed):
        return RdapBootstrap()


def clear_bootstrap_cache() -> None:
    """Forget fetched bootstrap documents (tests start servers on reused ports)."""
    _bootstrap_cache.clear()


async def load_bootstrap(
    client: httpx.AsyncClient, url: str, timeout: float, fallback_file: Path | None
) -> RdapBootstrap:
    """The bootstrap at `url`, fetched at most once per TTL per process."""
    cached = _fresh_bootstrap(url)
    if cached is not None:
        return cached
    async with _bootstrap_lock():
        # Another task may have fetched it while this one waited for the lock.
        cached = _fresh_bootstrap(url)
        if cached is not None:
            return cached
        try:
            bootstrap = parse_bootstrap(await fetch_json(client, url, timeout))
            lifetime = BOOTSTRAP_TTL_SECONDS
        except LookupFailed:
            bootstrap, lifetime = read_bootstrap_file(fallback_file), FALLBACK_RETRY_SECONDS
        _bootstrap_cache[url] = (time.monotonic() + lifetime, bootstrap)
        return bootstrap


def _fresh_bootstrap(url: str) -> RdapBootstrap | None:
    fresh_until, bootstrap = _bootstrap_cache.get(url, (0.0, None))
    return bootstrap if time.monotonic() < fresh_until else None


def _bootstrap_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _bootstrap_locks.get(loop)
    if lock is None:
        lock = _bootstrap_locks[loop] = asyncio.Lock()
    return lock


async def fetch_json(client: httpx.AsyncClient, url: str, timeout: float) -> Any:
    """GET `url` (following redirects) within `timeout` seconds in all; JSON body of a 200."""
    try:
        async with asyncio.timeout(timeout):
            response = await client.get(url, timeout=timeout, follow_redirects=True)
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise LookupFailed("timeout") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise LookupFailed(f"request failed ({type(exc).__name__})") from exc
    if response.status_code == httpx.codes.NOT_FOUND:
        raise LookupFailed("not found (HTTP 404)")
    if response.status_code != httpx.codes.OK:
        raise LookupFailed(f"HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError as exc:
        raise LookupFailed("malformed JSON") from exc


async def query_rdap(
    domain: str,
    client: httpx.AsyncClient,
    *,
    timeout: float,
    base_url: str | None,
    bootstrap_url: str,
    bootstrap_file: Path | None,
) -> RegistrationFacts:
    """Registration facts for `domain` from its registry's RDAP service.

    `base_url`, when given, is used for every TLD instead of the bootstrap. Raises
    LookupFailed with a short reason when RDAP has nothing usable.
    """
    if base_url is None:
        bootstrap = await load_bootstrap(client, bootstrap_url, timeout, bootstrap_file)
        base_url = bootstrap.base_url_for(domain)
    if base_url is None:
        raise LookupFailed(f"no RDAP service for .{domain.rsplit('.', 1)[-1]}")
    document = await fetch_json(client, f"{base_url.rstrip('/')}/domain/{domain}", timeout)
    facts = parse_rdap_domain(document)
    if facts.is_empty:
        raise LookupFailed("no registration data in the answer")
    return facts


def parse_rdap_domain(document: object) -> RegistrationFacts:
    """Registrar, expiry date and nameservers from an RDAP domain object (RFC 9083)."""
    if not isinstance(document, dict):
        raise LookupFailed("answer is not an RDAP object")
    return RegistrationFacts(
        registrar=_registrar_name(document),
        expires_at=_expiry_date(document),
        nameservers=coerce_nameservers(
            [ns.get("ldhName") or ns.get("unicodeName") for ns in _objects(document, "nameservers")]
        ),
    )


def _registrar_name(document: Mapping[str, object]) -> str | None:
    for entity in _objects(document, "entities"):
        roles = entity.get("roles")
        if isinstance(roles, list) and "registrar" in roles:
            name = _vcard_name(entity.get("vcardArray"))
            if name:
                return name
    return None


def _vcard_name(vcard: object) -> str | None:
    """The "fn" (else "org") value of a jCard: ["vcard", [[name, params, type, value], ...]]."""
    if not (isinstance(vcard, list) and len(vcard) >= 2 and isinstance(vcard[1], list)):
        return None
    values = {
        prop[0]: prop[3]
        for prop in vcard[1]
        if isinstance(prop, list) and len(prop) >= 4 and isinstance(prop[0], str)
    }
    return coerce_registrar(values.get("fn")) or coerce_registrar(values.get("org"))


def _expiry_date(document: Mapping[str, object]) -> dt.date | None:
    for event in _objects(document, "events"):
        if event.get("eventAction") == "expiration":
            return coerce_date(event.get("eventDate"))
    return None


def _objects(document: Mapping[str, object], key: str) -> list[dict[str, Any]]:
    """The JSON objects in `document[key]`, ignoring anything that is not one."""
    value = document.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
