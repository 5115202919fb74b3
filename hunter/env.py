"""Typed readers for settings that come from the environment.

Every setting Hunter reads from the environment goes through one of these helpers, so a
malformed value stops the process with a message naming the variable instead of being read
as something else (``DEBUG=flase`` is an error, not ``True``). Each helper takes the mapping
to read from, so tests can pass a plain dict instead of patching ``os.environ``.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
DNS_PORT = 53


class EnvError(ImproperlyConfigured):
    """An environment variable holds a value that cannot be used."""

    def __init__(self, name: str, value: str, expected: str) -> None:
        super().__init__(f"{name}={value!r} is not valid: expected {expected}.")
        self.name = name


@dataclass(frozen=True)
class Nameserver:
    """One DNS server to ask: an IP address and a port."""

    ip: str
    port: int = DNS_PORT

    def __str__(self) -> str:
        host = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"{host}:{self.port}"


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    """The trimmed value of ``name``, or None when it is unset or blank."""
    value = (os.environ if environ is None else environ).get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def env_str(name: str, default: str = "", *, environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ)
    return default if value is None else value


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    word = value.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise EnvError(name, value, "one of " + ", ".join(sorted(TRUE_WORDS | FALSE_WORDS)))


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise EnvError(name, value, "a whole number") from None
    _check_range(name, value, number, minimum, maximum)
    return number


def env_float(
    name: str,
    default: float,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    environ: Mapping[str, str] | None = None,
) -> float:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise EnvError(name, value, "a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise EnvError(name, value, "a finite number")
    _check_range(name, value, number, minimum, maximum)
    return number


def _check_range(
    name: str, raw: str, number: float, minimum: float | None, maximum: float | None
) -> None:
    if minimum is not None and number < minimum:
        raise EnvError(name, raw, f"at least {minimum}")
    if maximum is not None and number > maximum:
        raise EnvError(name, raw, f"at most {maximum}")


def env_choice(
    name: str, default: str, choices: Iterable[str], *, environ: Mapping[str, str] | None = None
) -> str:
    allowed = tuple(choices)
    value = _raw(name, environ)
    if value is None:
        return default
    if value not in allowed:
        raise EnvError(name, value, "one of " + ", ".join(allowed))
    return value


def env_list(
    name: str, default: Iterable[str] = (), *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """A comma-separated list; blank items are dropped."""
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_nameservers(
    name: str, *, environ: Mapping[str, str] | None = None
) -> tuple[Nameserver, ...]:
    """A comma list of ``ip`` or ``ip:port`` (IPv6 as ``[ip]:port``); empty = system resolver."""
    return tuple(_parse_nameserver(name, item) for item in env_list(name, environ=environ))


def _parse_nameserver(name: str, item: str) -> Nameserver:
    host, port = item, DNS_PORT
    if item.startswith("["):
        host, _, rest = item[1:].partition("]")
        if rest:
            port = _parse_port(name, item, rest.removeprefix(":"))
    elif item.count(":") == 1:
        host, _, port_text = item.partition(":")
        port = _parse_port(name, item, port_text)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise EnvError(name, item, "an IP address, optionally with :port") from None
    return Nameserver(ip=host, port=port)


def _parse_port(name: str, item: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise EnvError(name, item, "a port between 1 and 65535")
    return int(text)


def redis_db_url(url: str, offset: int) -> str:
    """The same Redis server as ``url``, on the database ``offset`` places after url's own.

    Cache, broker and rate limits each get their own Redis database so that flushing or
    evicting one never touches the others; one ``REDIS_URL`` is enough to configure all three.
    """
    base, _, db_text = url.rstrip("/").rpartition("/")
    if "://" not in base or not db_text.isdigit():
        base, db_text = url.rstrip("/"), "0"
    return f"{base}/{int(db_text) + offset}"


def env_networks(
    name: str, default: Iterable[str] = (), *, environ: Mapping[str, str] | None = None
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """A comma list of IP addresses or networks (``10.0.0.0/8``); an address is a /32 or /128."""
    networks = []
    for item in env_list(name, default, environ=environ):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise EnvError(name, item, "an IP address or network such as 10.0.0.0/8") from None
    return tuple(networks)


RATE_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_rate(name: str, default: str, *, environ: Mapping[str, str] | None = None) -> str:
    """A request rate as ``count/period`` with period s, m, h or d (``10/m``)."""
    value = env_str(name, default, environ=environ)
    count, _, period = value.partition("/")
    if not (count.isdigit() and int(count) > 0 and period in RATE_PERIODS):
        raise EnvError(name, value, "count/period such as 10/m (period s, m, h or d)")
    return value
