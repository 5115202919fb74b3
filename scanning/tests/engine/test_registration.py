"""Registration lookups against real loopback RDAP and WHOIS servers (hunter.testing)."""

import asyncio
import datetime as dt
import json
import socket
from pathlib import Path

import pytest

from scanning.engine.rdap import clear_bootstrap_cache
from scanning.engine.registration import (
    Registration,
    RegistrationConfig,
    lookup_registration_sync,
    lookup_registrations,
)
from scanning.engine.registration_facts import coerce_date, coerce_nameservers
from scanning.engine.whois_query import parse_whois_text

CANNED = Path(__file__).resolve().parent.parent / "registration"
EXAMPLE_NAMESERVERS = ("a.iana-servers.net", "b.iana-servers.net")
TR_REGISTRAR = "Turkticaret.Net Yazilim Hizmetleri Sanayi ve Ticaret A.S."


def canned_text(name: str) -> str:
    return (CANNED / name).read_text(encoding="utf-8")


def canned_rdap(name: str) -> dict:
    return json.loads(canned_text(f"{name}.rdap.json"))


@pytest.fixture(autouse=True)
def _fresh_bootstrap_cache():
    # Servers from earlier tests may have used the same port, so a cached bootstrap could lie.
    clear_bootstrap_cache()
    yield
    clear_bootstrap_cache()


def loopback_config(rdap, whois, **overrides) -> RegistrationConfig:
    """Everything pointed at the loopback servers; nothing may reach the internet."""
    settings = {
        "rdap_timeout": 2.0,
        "whois_timeout": 2.0,
        "rdap_base_url": rdap.base_url,
        "rdap_bootstrap_url": rdap.bootstrap_url,
        "rdap_bootstrap_file": None,
        "whois_server": whois.address,
        "whois_iana_server": None,
    }
    return RegistrationConfig(**(settings | overrides))


def bootstrap_config(rdap, whois, **overrides) -> RegistrationConfig:
    return loopback_config(rdap, whois, rdap_base_url=None, **overrides)


def closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_rdap_answer_gives_registrar_expiry_and_normalised_nameservers(rdap_server, whois_server):
    rdap_server.add_domain("example.com", canned_rdap("example.com"))
    result = lookup_registration_sync("example.com", loopback_config(rdap_server, whois_server))
    assert result == Registration(
        status="ok",
        registrar="MarkMonitor Inc.",
        expires_at=dt.date(2028, 8, 13),
        nameservers=EXAMPLE_NAMESERVERS,
        source="rdap",
    )
    assert whois_server.query_count() == 0


def test_rdap_service_is_found_through_the_bootstrap_document(rdap_server, whois_server):
    rdap_server.add_domain("example.com", canned_rdap("example.com"))
    result = lookup_registration_sync("example.com", bootstrap_config(rdap_server, whois_server))
    assert (result.status, result.source) == ("ok", "rdap")
    assert rdap_server.request_count("/bootstrap/dns.json") == 1
    assert rdap_server.request_count("/domain/example.com") == 1


def test_bootstrap_is_fetched_once_for_many_domains_on_a_shared_client(rdap_server, whois_server):
    for domain in ("example.com", "example.net", "example.org"):
        rdap_server.add_domain(domain, canned_rdap("example.com"))
    config = bootstrap_config(rdap_server, whois_server)
    results = asyncio.run(
        lookup_registrations(["example.com", "example.net", "example.org"], config)
    )
    assert {result.source for result in results.values()} == {"rdap"}
    assert rdap_server.request_count("/bootstrap/dns.json") == 1


def test_rdap_404_falls_back_to_whois(rdap_server, whois_server):
    whois_server.add_response("example.com", canned_text("example.com.whois.txt"))
    result = lookup_registration_sync("example.com", loopback_config(rdap_server, whois_server))
    assert (result.status, result.source) == ("ok", "whois")
    assert result.registrar == "MarkMonitor Inc."
    assert rdap_server.request_count("/domain/example.com") == 1


def test_tr_domain_goes_straight_to_whois_because_bootstrap_has_no_tr_service(
    rdap_server, whois_server
):
    whois_server.add_response("example.com.tr", canned_text("example.com.tr.whois.txt"))
    result = lookup_registration_sync("example.com.tr", bootstrap_config(rdap_server, whois_server))
    assert result == Registration(
        status="ok",
        registrar=TR_REGISTRAR,
        expires_at=dt.date(2026, 1, 15),
        nameservers=("ns1.ornekdns.com.tr", "ns2.ornekdns.com.tr"),
        source="whois",
    )
    assert rdap_server.request_count("/domain/example.com.tr") == 0


def test_com_whois_text_in_verisign_format_gives_all_three_values():
    facts = parse_whois_text("example.com", canned_text("example.com.whois.txt"))
    assert facts.registrar == "MarkMonitor Inc."
    assert facts.expires_at == dt.date(2028, 8, 13)
    assert facts.nameservers == EXAMPLE_NAMESERVERS


def test_rdap_timeout_then_whois_timeout_is_unknown_with_both_reasons(rdap_server, whois_server):
    rdap_server.set_behaviour("example.com", "silent")
    whois_server.set_behaviour("example.com", "silent")
    config = loopback_config(rdap_server, whois_server, rdap_timeout=0.3, whois_timeout=0.3)
    result = lookup_registration_sync("example.com", config)
    assert result == Registration.unknown("rdap: timeout; whois: timeout")
    assert whois_server.query_count("example.com") == 1


def test_whois_timeout_leaves_the_process_socket_timeout_alone(rdap_server, whois_server):
    before = socket.getdefaulttimeout()
    whois_server.set_behaviour("example.com", "silent")
    config = loopback_config(rdap_server, whois_server, whois_timeout=0.3)
    assert lookup_registration_sync("example.com", config).status == "unknown"
    assert socket.getdefaulttimeout() == before


@pytest.mark.parametrize(
    ("behaviour", "reason"), [("malformed", "malformed JSON"), ("server_error", "HTTP 500")]
)
def test_broken_rdap_answer_falls_back_to_whois(rdap_server, whois_server, behaviour, reason):
    rdap_server.set_behaviour("example.com", behaviour)
    whois_server.set_behaviour("example.com", "empty")
    result = lookup_registration_sync("example.com", loopback_config(rdap_server, whois_server))
    assert result == Registration.unknown(f"rdap: {reason}; whois: empty response")
    assert whois_server.query_count("example.com") == 1


def test_rdap_redirect_is_followed(rdap_server, whois_server):
    rdap_server.add_domain("example.com", canned_rdap("example.com"))
    rdap_server.set_behaviour("example.com", "redirect")
    result = lookup_registration_sync("example.com", loopback_config(rdap_server, whois_server))
    assert (result.source, result.registrar) == ("rdap", "MarkMonitor Inc.")
    assert rdap_server.request_count("/redirected/domain/example.com") == 1


def test_garbage_whois_answer_is_unknown(rdap_server, whois_server):
    whois_server.set_behaviour("example.com", "garbage")
    result = lookup_registration_sync("example.com", loopback_config(rdap_server, whois_server))
    assert result == Registration.unknown(
        "rdap: not found (HTTP 404); whois: unrecognised response"
    )


def test_unregistered_domain_is_unknown_with_not_found(rdap_server, whois_server):
    result = lookup_registration_sync("nobody.com", loopback_config(rdap_server, whois_server))
    assert result.status == "unknown"
    assert result.error == "rdap: not found (HTTP 404); whois: domain not found"


def test_disabled_lookup_reaches_no_server(rdap_server, whois_server):
    rdap_server.add_domain("example.com", canned_rdap("example.com"))
    config = bootstrap_config(rdap_server, whois_server, enabled=False)
    assert lookup_registration_sync("example.com", config) == Registration("disabled")
    assert rdap_server.request_count() == 0
    assert whois_server.query_count() == 0


@pytest.mark.parametrize("bad", ["", "localhost", "exa mple.com", "a..com", "x" * 250 + ".com"])
def test_invalid_domain_is_unknown_without_any_request(rdap_server, whois_server, bad):
    result = lookup_registration_sync(bad, loopback_config(rdap_server, whois_server))
    assert result == Registration.unknown("invalid domain")
    assert rdap_server.request_count() + whois_server.query_count() == 0


def test_unreachable_bootstrap_falls_back_to_the_shipped_file(rdap_server, whois_server, tmp_path):
    shipped = tmp_path / "dns.json"
    shipped.write_text(json.dumps(rdap_server.bootstrap_document()))
    rdap_server.add_domain("example.com", canned_rdap("example.com"))
    config = bootstrap_config(
        rdap_server,
        whois_server,
        rdap_bootstrap_url=f"http://127.0.0.1:{closed_loopback_port()}/dns.json",
        rdap_bootstrap_file=shipped,
    )
    assert lookup_registration_sync("example.com", config).source == "rdap"


def test_tld_missing_from_the_table_is_referred_by_the_iana_server(rdap_server, whois_server):
    whois_server.add_response("test", f"domain:       TEST\nrefer:        {whois_server.address}\n")
    whois_server.add_response("example.test", canned_text("example.com.whois.txt"))
    config = loopback_config(
        rdap_server,
        whois_server,
        whois_server=None,
        whois_servers={},
        whois_iana_server=whois_server.address,
    )
    result = lookup_registration_sync("example.test", config)
    assert (result.status, result.source) == ("ok", "whois")
    assert whois_server.query_count("test") == 1


def test_denic_is_asked_in_the_query_format_it_requires(rdap_server, whois_server):
    whois_server.add_response(
        "-T dn,ace example.de", "Domain: example.de\nNserver: ns1.example.de\n"
    )
    result = lookup_registration_sync("example.de", loopback_config(rdap_server, whois_server))
    assert result.nameservers == ("ns1.example.de",)


def test_registration_round_trips_through_a_json_cache_entry():
    found = Registration(
        "ok", "MarkMonitor Inc.", dt.date(2028, 8, 13), EXAMPLE_NAMESERVERS, "rdap"
    )
    stored = json.loads(json.dumps(found.to_dict()))
    assert Registration.from_dict(stored) == found


def test_negative_entry_round_trips_and_is_not_a_cache_miss():
    failed = Registration.unknown("rdap: timeout; whois: timeout")
    stored = json.loads(json.dumps(failed.to_dict()))
    assert stored is not None
    assert Registration.from_dict(stored) == failed


@pytest.mark.parametrize(
    "damaged",
    [
        None,
        [],
        {"status": "ok"},
        {"v": 1, "status": "maybe"},
        {**Registration("ok").to_dict(), "v": 0},
        {**Registration("ok").to_dict(), "nameservers": "ns1.example.com"},
        {**Registration("ok").to_dict(), "expires_at": 20280813},
    ],
)
def test_damaged_cache_entry_reads_as_a_miss(damaged):
    assert Registration.from_dict(damaged) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([dt.datetime(2027, 5, 1, 12, 0), dt.datetime(2028, 1, 1)], dt.date(2027, 5, 1)),
        (dt.datetime(2027, 5, 1, 23, 59), dt.date(2027, 5, 1)),
        ("2027-05-01T04:00:00Z", dt.date(2027, 5, 1)),
        ("2027-05-01 expires", dt.date(2027, 5, 1)),
        ("2026-Jan-15.", dt.date(2026, 1, 15)),
        ("not a date", None),
        ([], None),
        (42, None),
    ],
)
def test_expiry_is_read_from_every_shape_registries_use(raw, expected):
    assert coerce_date(raw) == expected


def test_nameservers_from_a_string_become_one_clean_name_per_line():
    raw = "NS1.Example.COM. 192.0.2.1\nns1.example.com\n\nns2.example.com"
    assert coerce_nameservers(raw) == ("ns1.example.com", "ns2.example.com")
