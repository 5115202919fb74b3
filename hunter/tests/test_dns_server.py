"""The loopback DNS server, exercised with plain dnspython queries over real sockets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.nameserver
import dns.query
import dns.rcode
import dns.resolver
import pytest
from django.conf import LazySettings

from hunter.testing.dns_server import DnsServer

SHORT_TIMEOUT = 0.3


def ask(server: DnsServer, name: str, rdtype: str, *, tcp: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, "127.0.0.1", port=server.port, timeout=2)


def answer_texts(response: dns.message.Message) -> list[str]:
    return [rdata.to_text() for rrset in response.answer for rdata in rrset]


@pytest.fixture
def own_server() -> Iterator[DnsServer]:
    """A private server for tests that change data or latency."""
    with DnsServer() as server:
        server.add_zone("example.test")
        server.add("www.example.test", "A", "192.0.2.1")
        yield server


def test_udp_query_returns_the_zone_records(dns_server: DnsServer) -> None:
    response = ask(dns_server, "contoso.com", "MX")

    assert response.rcode() == dns.rcode.NOERROR
    assert answer_texts(response) == ["0 contoso-com.mail.protection.outlook.com."]


def test_tcp_query_returns_the_same_records(dns_server: DnsServer) -> None:
    response = ask(dns_server, "contoso.com", "MX", tcp=True)

    assert answer_texts(response) == ["0 contoso-com.mail.protection.outlook.com."]


def test_unknown_name_under_a_served_zone_is_nxdomain_with_the_soa(dns_server: DnsServer) -> None:
    response = ask(dns_server, "no-such-company.com", "MX")

    assert response.rcode() == dns.rcode.NXDOMAIN
    assert [rrset.name.to_text() for rrset in response.authority] == ["com."]


def test_existing_name_without_the_type_is_an_empty_noerror(dns_server: DnsServer) -> None:
    response = ask(dns_server, "contoso.com", "AAAA")

    assert response.rcode() == dns.rcode.NOERROR
    assert response.answer == []
    assert response.authority[0].name.to_text() == "contoso.com."


def test_parent_of_a_served_name_exists_even_without_records(dns_server: DnsServer) -> None:
    response = ask(dns_server, "_domainkey.contoso.com", "TXT")

    assert response.rcode() == dns.rcode.NOERROR


def test_name_outside_every_served_zone_is_refused(dns_server: DnsServer) -> None:
    response = ask(dns_server, "example.org", "A")

    assert response.rcode() == dns.rcode.REFUSED


def test_cname_chain_is_followed_within_served_data(dns_server: DnsServer) -> None:
    response = ask(dns_server, "selector1._domainkey.contoso.com", "TXT")

    texts = answer_texts(response)
    assert texts[0] == "selector1-contoso-com._domainkey.contoso.onmicrosoft.com."
    assert texts[1].startswith('"v=DKIM1; k=rsa;')


def test_servfail_behaviour_from_the_sidecar_file_answers_servfail(dns_server: DnsServer) -> None:
    response = ask(dns_server, "servfail.com", "MX")

    assert response.rcode() == dns.rcode.SERVFAIL


def test_behaviour_covers_names_below_the_chosen_name(dns_server: DnsServer) -> None:
    dns_server.set_behaviour("contoso.com", "servfail")

    response = ask(dns_server, "_dmarc.contoso.com", "TXT")

    assert response.rcode() == dns.rcode.SERVFAIL


def test_cleared_behaviour_restores_normal_answers(dns_server: DnsServer) -> None:
    dns_server.set_behaviour("contoso.com", "servfail")
    dns_server.set_behaviour("contoso.com", None)

    assert ask(dns_server, "contoso.com", "MX").rcode() == dns.rcode.NOERROR


def test_unknown_behaviour_is_rejected(dns_server: DnsServer) -> None:
    with pytest.raises(ValueError, match="unknown behaviour"):
        dns_server.set_behaviour("contoso.com", "sleepy")  # type: ignore[arg-type]


def test_silent_name_makes_the_client_time_out(dns_server: DnsServer) -> None:
    query = dns.message.make_query("silent.com", "MX")

    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(query, "127.0.0.1", port=dns_server.port, timeout=SHORT_TIMEOUT)
    assert dns_server.query_count("silent.com", "MX") == 1


def test_large_udp_answer_is_truncated(dns_server: DnsServer) -> None:
    response = ask(dns_server, "bigtxt.contoso.com", "TXT")

    assert response.flags & dns.flags.TC
    assert response.answer == []


def test_resolver_falls_back_to_tcp_after_truncation(dns_server: DnsServer) -> None:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver("127.0.0.1", dns_server.port)]

    answer = resolver.resolve("bigtxt.contoso.com", "TXT")

    assert len(answer) == 6
    assert dns_server.query_count("bigtxt.contoso.com", "TXT") == 2  # UDP, then TCP


def test_queries_are_counted_per_name_and_type(dns_server: DnsServer) -> None:
    ask(dns_server, "contoso.com", "MX")
    ask(dns_server, "CONTOSO.com", "MX", tcp=True)
    ask(dns_server, "contoso.com", "TXT")

    assert dns_server.query_count("contoso.com", "MX") == 2
    assert dns_server.query_count("contoso.com", "TXT") == 1
    assert dns_server.total_queries() == 3


def test_records_added_programmatically_are_served(own_server: DnsServer) -> None:
    own_server.add("synthetic-1.example.test", "MX", "10 mx.synthetic-1.example.test.")

    response = ask(own_server, "synthetic-1.example.test", "MX")

    assert answer_texts(response) == ["10 mx.synthetic-1.example.test."]


def test_latency_holds_answers_without_blocking_other_queries(own_server: DnsServer) -> None:
    own_server.latency_ms = 300
    own_server.record_events = True
    first, second = (socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2))
    with first, second:
        for sock, name in ((first, "www.example.test"), (second, "mail.example.test")):
            sock.sendto(dns.message.make_query(name, "A").to_wire(), ("127.0.0.1", own_server.port))
        for sock in (first, second):
            sock.settimeout(5)
            sock.recv(512)

    events = [(event, name) for event, name, _ in own_server.events]
    # Both questions arrived before either answer left: answers wait, the server does not.
    assert [event for event, _ in events] == ["received", "received", "answered", "answered"]


def test_app_dns_server_points_the_application_at_the_loopback_server(
    app_dns_server: DnsServer, settings: LazySettings
) -> None:
    assert os.environ["HUNTER_DNS_NAMESERVERS"] == app_dns_server.nameserver
    assert [str(ns) for ns in settings.HUNTER_DNS_NAMESERVERS] == [app_dns_server.nameserver]


def test_command_line_server_serves_a_zone_directory_from_another_process() -> None:
    zones = Path(__file__).resolve().parents[2] / "scanning" / "tests" / "zones"
    command = [sys.executable, "-m", "hunter.testing.dns_server", str(zones)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        host, _, port = process.stdout.readline().strip().partition(":")
        query = dns.message.make_query("contoso.com", "MX")
        response = dns.query.udp(query, host, port=int(port), timeout=5)
    finally:
        process.terminate()
        process.wait(timeout=5)

    assert answer_texts(response) == ["0 contoso-com.mail.protection.outlook.com."]
