"""Where the server may send requests that people configure (alert webhooks and Slack URLs).

Someone types the URL and the server makes the request, so an unchecked URL could make
Hunter POST to its own database port, the cloud metadata service (169.254.169.254) or an
intranet host. A URL is refused when its host is, or resolves to, an address that is not
publicly routable: loopback, private, link-local, shared, reserved, multicast or unspecified,
IPv4 and IPv6 alike (an IPv4 address written as IPv6 counts as the IPv4 one). An allow-list
may name hosts, addresses or networks that are reachable nonetheless (an in-house receiver).

The request then goes to the address that was checked (see ``OutboundTarget``): resolving
the name a second time could give another answer (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

# Why a URL was refused; the admin form words each one for people.
KIND_SCHEME = "scheme"
KIND_NO_HOST = "no host"
KIND_UNRESOLVABLE = "unresolvable"
KIND_LOOPBACK = "loopback"
KIND_PRIVATE = "private"
KIND_LINK_LOCAL = "link-local"
KIND_MULTICAST = "multicast"
KIND_NOT_PUBLIC = "not public"
_URL_PROBLEMS = {
    KIND_SCHEME: "not an http(s) URL",
    KIND_NO_HOST: "no host in the URL",
    KIND_UNRESOLVABLE: "host name not found",
}


class OutboundRefused(ValueError):
    """A URL the server must not fetch; ``kind`` says why, ``address`` names the culprit."""

    def __init__(self, kind: str, address: str = "") -> None:
        super().__init__(f"{kind} address {address}" if address else kind)
        self.kind = kind
        self.address = address

    @property
    def summary(self) -> str:
        """Why, in a few words and without the address (it may be stored and logged)."""
        return _URL_PROBLEMS.get(self.kind) or f"{self.kind} address"


@dataclass(frozen=True)
class OutboundTarget:
    """A checked URL and the address to connect to instead of resolving its host again."""

    url: str
    host: str
    address: str

    @property
    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address (port, path kept)."""
        parts = urlsplit(self.url)
        ip = f"[{self.address}]" if ":" in self.address else self.address
        netloc = f"{ip}:{parts.port}" if parts.port else ip
        return urlunsplit(parts._replace(netloc=netloc))

    @property
    def headers(self) -> dict[str, str]:
        """The Host header the original URL would have sent."""
        parts = urlsplit(self.url)
        host = f"[{self.host}]" if ":" in self.host else self.host
        return {"Host": f"{host}:{parts.port}" if parts.port else host}

    @property
    def extensions(self) -> dict[str, str]:
        """httpx request extensions: TLS is negotiated and verified for the original name."""
        return {"sni_hostname": self.host} if urlsplit(self.url).scheme == "https" else {}


@dataclass(frozen=True)
class AllowList:
    """Host names, addresses and networks that may be reached although they are not public."""

    hosts: frozenset[str]
    networks: tuple[IpNetwork, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Entries that read as an address or a CIDR network are networks; the rest host names."""
        hosts: set[str] = set()
        networks: list[IpNetwork] = []
        for entry in (item.strip().lower() for item in entries):
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts - {""}), tuple(networks))

    def allows(self, host: str, address: IpAddress) -> bool:
        return host in self.hosts or any(address in network for network in self.networks)


def address_kind(address: IpAddress) -> str | None:
    """Why ``address`` must not be reached, or None for a public (globally routable) one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return KIND_LOOPBACK
    if address.is_link_local:
        return KIND_LINK_LOCAL
    if address.is_multicast:
        return KIND_MULTICAST
    if address.is_private:
        return KIND_PRIVATE
    if not address.is_global:
        return KIND_NOT_PUBLIC
    return None


def resolve(host: str, port: int) -> list[IpAddress]:
    """Every address ``host`` resolves to (itself for an IP literal), in resolver order."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise OutboundRefused(KIND_UNRESOLVABLE) from None
    # A scoped IPv6 answer carries "%zone"; the address itself is what is checked.
    unique = dict.fromkeys(str(answer[4][0]).split("%", 1)[0] for answer in answers)
    if not unique:
        raise OutboundRefused(KIND_UNRESOLVABLE)
    return [ipaddress.ip_address(text) for text in unique]


def outbound_target(url: str, *, allow: AllowList) -> OutboundTarget:
    """Check ``url`` and return where to connect; raises OutboundRefused when it may not be.

    Every address the host resolves to must be public or allowed: a name with one private
    answer among public ones could be steered to the private one.
    """
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").rstrip("."), parts.port
    except ValueError:  # a port that is not a number, an unclosed IPv6 bracket
        raise OutboundRefused(KIND_NO_HOST) from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise OutboundRefused(KIND_SCHEME)
    if not host:
        raise OutboundRefused(KIND_NO_HOST)
    addresses = resolve(host, port or DEFAULT_PORTS[parts.scheme.lower()])
    for address in addresses:
        kind = address_kind(address)
        if kind and not allow.allows(host, address):
            raise OutboundRefused(kind, str(address))
    return OutboundTarget(url=url, host=host, address=str(addresses[0]))
