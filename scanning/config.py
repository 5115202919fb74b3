"""The engine's configuration, built from Django settings (the engine itself reads none)."""

from __future__ import annotations

from django.conf import settings

from scanning.engine.dns import DnsConfig
from scanning.engine.providers import dkim_selector_rounds_for
from scanning.engine.registration import RegistrationConfig
from scanning.engine.scan import EngineConfig


def dns_config() -> DnsConfig:
    """How the engine asks DNS: HUNTER_DNS_NAMESERVERS and HUNTER_DNS_TIMEOUT."""
    return DnsConfig(
        nameservers=tuple((ns.ip, ns.port) for ns in settings.HUNTER_DNS_NAMESERVERS),
        timeout=settings.HUNTER_DNS_TIMEOUT,
        dkim_rounds=dkim_selector_rounds_for,
    )


def registration_config(*, enabled: bool | None = None) -> RegistrationConfig:
    """RDAP/WHOIS settings; ``enabled`` overrides HUNTER_REGISTRATION_ENABLED (a CLI flag)."""
    return RegistrationConfig(
        enabled=settings.HUNTER_REGISTRATION_ENABLED if enabled is None else enabled,
        rdap_timeout=settings.HUNTER_RDAP_TIMEOUT,
        whois_timeout=settings.HUNTER_WHOIS_TIMEOUT,
        rdap_base_url=settings.HUNTER_RDAP_BASE_URL or None,
        rdap_bootstrap_url=settings.HUNTER_RDAP_BOOTSTRAP_URL,
        whois_server=settings.HUNTER_WHOIS_SERVER or None,
    )


def engine_config(*, registration: bool | None = None) -> EngineConfig:
    """The whole engine configuration from settings."""
    return EngineConfig(
        dns=dns_config(),
        registration=registration_config(enabled=registration),
        dns_concurrency=settings.HUNTER_DNS_CONCURRENCY,
        registration_concurrency=settings.HUNTER_REGISTRATION_CONCURRENCY,
    )
