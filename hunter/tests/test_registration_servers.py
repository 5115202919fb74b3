"""The loopback RDAP and WHOIS test servers behave like the real services they stand in for."""

import socket

import httpx
import pytest

from hunter.testing.rdap_server import RdapServer
from hunter.testing.whois_server import GARBAGE, WhoisServer

DOMAIN_DOC = {"objectClassName": "domain", "ldhName": "EXAMPLE.COM"}


def whois_query(server: WhoisServer, query: str, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as conn:
        conn.sendall(query.encode() + b"\r\n")
        chunks = []
        while chunk := conn.recv(4096):
            chunks.append(chunk)
    return b"".join(chunks)


def test_rdap_server_serves_canned_json_for_a_known_domain(rdap_server):
    rdap_server.add_domain("example.com", DOMAIN_DOC)
    response = httpx.get(f"{rdap_server.base_url}domain/example.com")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/rdap+json"
    assert response.json() == DOMAIN_DOC


def test_rdap_server_answers_404_for_an_unknown_domain(rdap_server):
    response = httpx.get(f"{rdap_server.base_url}domain/nobody.com")
    assert response.status_code == 404


def test_rdap_server_counts_requests_per_path(rdap_server):
    rdap_server.add_domain("example.com", DOMAIN_DOC)
    for _ in range(2):
        httpx.get(f"{rdap_server.base_url}domain/example.com")
    httpx.get(f"{rdap_server.base_url}domain/other.com")
    assert rdap_server.request_count("/domain/example.com") == 2
    assert rdap_server.request_count() == 3


def test_rdap_server_error_behaviour_answers_500(rdap_server):
    rdap_server.add_domain("example.com", DOMAIN_DOC)
    rdap_server.set_behaviour("example.com", "server_error")
    assert httpx.get(f"{rdap_server.base_url}domain/example.com").status_code == 500


def test_rdap_server_malformed_behaviour_sends_a_body_that_is_not_json(rdap_server):
    rdap_server.set_behaviour("example.com", "malformed")
    response = httpx.get(f"{rdap_server.base_url}domain/example.com")
    assert response.status_code == 200
    with pytest.raises(ValueError, match="Expecting value"):
        response.json()


def test_rdap_server_redirect_behaviour_leads_to_the_canned_json(rdap_server):
    rdap_server.add_domain("example.com", DOMAIN_DOC)
    rdap_server.set_behaviour("example.com", "redirect")
    first = httpx.get(f"{rdap_server.base_url}domain/example.com")
    assert first.status_code == 302
    followed = httpx.get(f"{rdap_server.base_url}domain/example.com", follow_redirects=True)
    assert followed.json() == DOMAIN_DOC
    assert rdap_server.request_count("/redirected/domain/example.com") == 1


def test_rdap_server_silent_behaviour_outlasts_the_client_timeout(rdap_server):
    rdap_server.set_behaviour("example.com", "silent")
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{rdap_server.base_url}domain/example.com", timeout=0.3)


def test_silent_rdap_server_still_stops_when_asked():
    server = RdapServer(silent_seconds=60).start()
    server.set_behaviour("example.com", "silent")
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{server.base_url}domain/example.com", timeout=0.2)
    server.stop()
    assert server.stopping.is_set()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base_url}domain/example.com", timeout=1)


def test_rdap_bootstrap_document_points_back_at_the_server(rdap_server):
    document = httpx.get(rdap_server.bootstrap_url).json()
    assert document["version"] == "1.0"
    tlds, urls = document["services"][0]
    assert "com" in tlds
    assert "tr" not in tlds
    assert urls == [rdap_server.base_url]


def test_whois_server_answers_a_canned_query_and_closes(whois_server):
    whois_server.add_response("example.com", "Domain Name: EXAMPLE.COM\r\n")
    assert whois_query(whois_server, "EXAMPLE.COM") == b"Domain Name: EXAMPLE.COM\r\n"
    assert whois_server.query_count("example.com") == 1


def test_whois_server_answers_no_match_for_an_unknown_name(whois_server):
    assert whois_query(whois_server, "nobody.com").startswith(b'No match for "NOBODY.COM"')


def test_whois_server_empty_behaviour_closes_without_a_word(whois_server):
    whois_server.set_behaviour("example.com", "empty")
    assert whois_query(whois_server, "example.com") == b""


def test_whois_server_garbage_behaviour_sends_garbage(whois_server):
    whois_server.set_behaviour("example.com", "garbage")
    assert whois_query(whois_server, "example.com") == GARBAGE


def test_whois_server_silent_behaviour_outlasts_the_client_timeout(whois_server):
    whois_server.set_behaviour("example.com", "silent")
    with pytest.raises(TimeoutError):
        whois_query(whois_server, "example.com", timeout=0.3)
    assert whois_server.query_count() == 1


def test_silent_whois_server_still_stops_when_asked():
    server = WhoisServer(silent_seconds=60).start()
    server.set_behaviour("example.com", "silent")
    with pytest.raises(TimeoutError):
        whois_query(server, "example.com", timeout=0.2)
    server.stop()
    with pytest.raises(ConnectionRefusedError):
        whois_query(server, "example.com", timeout=1)
