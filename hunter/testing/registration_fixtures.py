"""pytest fixtures (see hunter.testing): loopback RDAP and WHOIS servers.

Each test gets fresh servers, so request counters start at zero and canned answers never
leak between tests.
"""

from collections.abc import Iterator

import pytest

from hunter.testing.rdap_server import RdapServer
from hunter.testing.whois_server import WhoisServer


@pytest.fixture
def rdap_server() -> Iterator[RdapServer]:
    """A started RDAP server on 127.0.0.1 (.base_url, .bootstrap_url, .add_domain())."""
    with RdapServer() as server:
        yield server


@pytest.fixture
def whois_server() -> Iterator[WhoisServer]:
    """A started port-43 WHOIS server on 127.0.0.1 (.address, .port, .add_response())."""
    with WhoisServer() as server:
        yield server
