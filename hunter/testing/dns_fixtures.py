"""pytest fixtures: a real DNS server on 127.0.0.1 serving scanning/tests/zones/.

``dns_server`` gives a test the shared server with its counters cleared and its behaviours and
latency as the zones directory defines them. ``app_dns_server`` also points the application at
it through HUNTER_DNS_NAMESERVERS (and the already-loaded Django setting), which is
configuration, not a mock: every lookup still travels over a real socket.

Records added programmatically are not undone between tests: a test that needs its own data
starts its own ``DnsServer()`` (cheap: one thread, one port).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hunter.testing.dns_server import BEHAVIOURS_FILE, DnsServer

ZONES_DIR = Path(__file__).resolve().parents[2] / "scanning" / "tests" / "zones"


@pytest.fixture(scope="session")
def dns_server_session() -> Iterator[DnsServer]:
    """One loopback DNS server for the whole run (loading the zones once)."""
    with DnsServer(ZONES_DIR) as server:
        yield server


@pytest.fixture
def dns_server(dns_server_session: DnsServer) -> Iterator[DnsServer]:
    """The shared server, reset so one test's counters and behaviour changes never leak."""
    _reset(dns_server_session)
    yield dns_server_session
    _reset(dns_server_session)


@pytest.fixture
def app_dns_server(
    dns_server: DnsServer, monkeypatch: pytest.MonkeyPatch, settings: object
) -> DnsServer:
    """The loopback server, set as the application's only nameserver for this test."""
    from hunter.env import env_nameservers  # Django settings machinery loads only when used

    monkeypatch.setenv("HUNTER_DNS_NAMESERVERS", dns_server.nameserver)
    settings.HUNTER_DNS_NAMESERVERS = env_nameservers("HUNTER_DNS_NAMESERVERS")  # type: ignore[attr-defined]
    return dns_server


def _reset(server: DnsServer) -> None:
    server.reset_counts()
    server.latency_ms = 0
    server.record_events = False
    server.behaviours.clear()
    sidecar = ZONES_DIR / BEHAVIOURS_FILE
    for name, behaviour in json.loads(sidecar.read_text()).items():
        server.set_behaviour(name, behaviour)
