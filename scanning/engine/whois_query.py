"""Port-43 WHOIS adapter: ask the registry's server directly, then parse the text.

The query is a plain asyncio TCP exchange with its own deadline: nothing here touches the
process-wide socket timeout, which would slow every other connection of the process, and the
server comes from our own table, because python-whois's `whois()` cannot be told which
server to ask. The text is parsed by python-whois, with a small parser of our own for ".tr",
whose registry format the library reads only partly (it has no registrar).
"""

import asyncio
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from whois.exceptions import WhoisDomainNotFoundError
from whois.parser import WhoisEntry

from scanning.engine.registration_facts import (
    LookupFailed,
    RegistrationFacts,
    coerce_date,
    coerce_nameservers,
    coerce_registrar,
)

WHOIS_PORT = 43
# Real answers are a few KiB; the cap stops a misbehaving server from filling memory.
MAX_RESPONSE_BYTES = 256 * 1024
_TABLE = json.loads((Path(__file__).parent / "data" / "whois_servers.json").read_text("utf-8"))
DEFAULT_WHOIS_SERVERS: Mapping[str, str] = MappingProxyType(_TABLE["servers"])
QUERY_FORMATS: Mapping[str, str] = MappingProxyType(_TABLE["query_formats"])
_REFERRAL = re.compile(r"^(?:refer|whois):\s*(\S+)", re.MULTILINE | re.IGNORECASE)


def parse_server_address(address: str) -> tuple[str, int]:
    """("host", port) from "host" or "host:port"; port 43 unless given."""
    host, _, port = address.strip().partition(":")
    if not host or (port and not port.isdigit()):
        raise LookupFailed(f"bad WHOIS server address {address!r}")
    return host, int(port) if port else WHOIS_PORT


async def ask_whois(address: tuple[str, int], query: str, timeout: float) -> str:
    """Send one query line to a WHOIS server and return its whole answer as text."""
    host, port = address
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(query.encode("utf-8") + b"\r\n")
                await writer.drain()
                payload = await _read_until_closed(reader)
            finally:
                writer.close()
    except TimeoutError as exc:
        raise LookupFailed("timeout") from exc
    except OSError as exc:
        raise LookupFailed(f"connection failed ({exc.strerror or type(exc).__name__})") from exc
    return _decode(payload)


async def _read_until_closed(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < MAX_RESPONSE_BYTES and (chunk := await reader.read(65536)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _decode(payload: bytes) -> str:
    # Most registries answer in UTF-8; the rest use Latin-1, which decodes any byte.
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("latin-1")


async def whois_server_for(
    domain: str,
    *,
    override: str | None,
    servers: Mapping[str, str],
    iana_server: str | None,
    timeout: float,
) -> tuple[str, int]:
    """The server to ask about `domain`: the override, the TLD table, else IANA's referral."""
    if override:
        return parse_server_address(override)
    tld = domain.rsplit(".", 1)[-1]
    if tld in servers:
        return parse_server_address(servers[tld])
    if iana_server:
        referral = _REFERRAL.search(
            await ask_whois(parse_server_address(iana_server), tld, timeout)
        )
        if referral:
            return parse_server_address(referral.group(1))
    raise LookupFailed(f"no WHOIS server known for .{tld}")


def whois_query_text(domain: str) -> str:
    """The query line for `domain`: the bare name unless its registry wants more."""
    query_format = QUERY_FORMATS.get(domain.rsplit(".", 1)[-1], "{domain}")
    return query_format.format(domain=domain)


async def query_whois(
    domain: str,
    *,
    timeout: float,
    override: str | None,
    servers: Mapping[str, str],
    iana_server: str | None,
) -> RegistrationFacts:
    """Registration facts for `domain` from its registry's port-43 WHOIS server.

    Raises LookupFailed with a short reason when the server is silent, unreachable, or its
    answer holds nothing usable.
    """
    address = await whois_server_for(
        domain, override=override, servers=servers, iana_server=iana_server, timeout=timeout
    )
    return parse_whois_text(domain, await ask_whois(address, whois_query_text(domain), timeout))


def parse_whois_text(domain: str, text: str) -> RegistrationFacts:
    """Registrar, expiry date and nameservers from a WHOIS answer about `domain`."""
    if not text.strip():
        raise LookupFailed("empty response")
    own_parser = _OWN_PARSERS.get(domain.rsplit(".", 1)[-1])
    fields = own_parser(text) if own_parser else {}
    # python-whois wins wherever it found a value; ours fills the gaps it leaves.
    fields |= {key: value for key, value in _library_fields(domain, text).items() if value}
    if not fields.get("domain_name"):
        raise LookupFailed("unrecognised response")
    facts = RegistrationFacts(
        registrar=coerce_registrar(fields.get("registrar")),
        expires_at=coerce_date(fields.get("expiration_date")),
        nameservers=coerce_nameservers(fields.get("name_servers")),
    )
    if facts.is_empty:
        raise LookupFailed("no registration data in the response")
    return facts


def _library_fields(domain: str, text: str) -> dict[str, Any]:
    try:
        return dict(WhoisEntry.load(domain, text))
    except WhoisDomainNotFoundError as exc:
        raise LookupFailed("domain not found") from exc
    except Exception:
        # The library raises on date formats and quirks it does not know; for TLDs with our
        # own parser that is not the end, and for the rest "unrecognised" says it.
        return {}


_TR_HEADER = re.compile(r"^\*\*\s*([^:]+):\s*(.*)$")
_TR_EXPIRY = re.compile(r"^Expires on\.*\s*:\s*(\S+)", re.MULTILINE | re.IGNORECASE)
_TR_ORGANIZATION = re.compile(r"^Organization Name\s*:\s*(.+)$", re.IGNORECASE)


def parse_tr_text(text: str) -> dict[str, Any]:
    """Fields from a whois.nic.tr answer: "** Section:" headers with their lines below."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        header = _TR_HEADER.match(line.strip())
        if header:
            current = sections.setdefault(header.group(1).strip().lower(), [])
            if header.group(2).strip():
                current.append(header.group(2).strip())
        elif line.strip():
            current.append(line.strip())
    expiry = _TR_EXPIRY.search(text)
    return {
        "domain_name": next(iter(sections.get("domain name", [])), None),
        "registrar": _tr_registrar(sections.get("registrar", [])),
        "expiration_date": expiry.group(1) if expiry else None,
        "name_servers": sections.get("domain servers", []),
    }


def _tr_registrar(lines: list[str]) -> str | None:
    for line in lines:
        organization = _TR_ORGANIZATION.match(line)
        if organization:
            return organization.group(1).strip()
    return None


_OWN_PARSERS: Mapping[str, Callable[[str], dict[str, Any]]] = MappingProxyType(
    {"tr": parse_tr_text}
)
