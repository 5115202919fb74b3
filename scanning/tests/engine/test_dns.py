"""The DNS collector against the real loopback DNS server serving scanning/tests/zones/."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Protocol

import pytest

from scanning.engine.dns import (
    DnsConfig,
    DnsFacts,
    DnsSession,
    DomainAsker,
    Lookup,
    analyse_spf,
    collect_dns,
    collect_many,
    read_mx,
)


class DnsServer(Protocol):
    """What these tests use of hunter.testing's loopback server (the engine may not import it)."""

    port: int
    queries: Counter[tuple[str, str]]

    def query_count(self, name: str, rdtype: str = "A") -> int: ...
    def total_queries(self) -> int: ...
    def set_behaviour(self, name: str, behaviour: str | None) -> None: ...


SHORT_TIMEOUT = 0.5  # the silent-name tests wait this long, once per question round
M365_INCLUDE = "spf.protection.outlook.com"


@pytest.fixture
def config(dns_server: DnsServer) -> DnsConfig:
    return DnsConfig(nameservers=(("127.0.0.1", dns_server.port),), timeout=SHORT_TIMEOUT)


def collect(domain: str, config: DnsConfig) -> DnsFacts:
    return asyncio.run(collect_dns(domain, config))


# --- providers as DNS shows them ------------------------------------------------------------


def test_m365_classic_domain_has_its_mx_dkim_cnames_and_autodiscover(config: DnsConfig) -> None:
    facts = collect("contoso.com", config)

    assert facts.status == "ok"
    assert facts.mx == ((0, "contoso-com.mail.protection.outlook.com"),)
    assert facts.dkim.selectors_found == ("selector1", "selector2")
    assert facts.dkim.cname_targets[0].endswith(".contoso.onmicrosoft.com")
    assert facts.autodiscover_target == "autodiscover.outlook.com"
    assert "MS=ms12345678" in facts.apex_txt
    assert facts.errors == ()


def test_m365_modern_mx_and_dkim_mail_microsoft_targets_are_read(config: DnsConfig) -> None:
    facts = collect("fabrikam.com", config)

    assert facts.mx_hosts == ("fabrikam-com.r-v1.mx.microsoft",)
    assert facts.dkim.present
    assert all(t.endswith(".dkim.mail.microsoft") for t in facts.dkim.cname_targets)


def test_google_mx_hosts_are_sorted_by_preference(config: DnsConfig) -> None:
    facts = collect("northwind.com", config)

    assert [preference for preference, _ in facts.mx] == [1, 5, 5, 10]
    assert facts.mx_hosts[0] == "aspmx.l.google.com"
    assert facts.dkim.selectors_found == ("google",)


def test_gateway_in_front_of_m365_shows_microsoft_evidence(config: DnsConfig) -> None:
    facts = collect("adatum.com", config)

    assert facts.mx_hosts == ("eu-smtp-inbound-1.mimecast.com", "eu-smtp-inbound-2.mimecast.com")
    assert M365_INCLUDE in facts.spf.includes
    assert facts.spf.include_count_top_level == 2
    assert facts.autodiscover_target == "autodiscover.outlook.com"
    assert facts.dkim.cname_targets == ("selector1-adatum-com._domainkey.adatum.onmicrosoft.com",)


def test_dkim_cname_without_a_published_key_is_evidence_but_not_a_key(config: DnsConfig) -> None:
    facts = collect("adatum.com", config)

    assert facts.dkim.status == "not_found"
    assert facts.dkim.message == "not found among 7 selectors"


def test_split_txt_strings_are_joined_into_one_spf_record(config: DnsConfig) -> None:
    facts = collect("adatum.com", config)

    assert facts.spf.record == (
        "v=spf1 include:eu._netblocks.mimecast.com include:spf.protection.outlook.com -all"
    )


def test_gateway_in_front_of_google_counts_the_macro_include_without_asking(
    config: DnsConfig, dns_server: DnsServer
) -> None:
    facts = collect("tailspin.com", config)

    assert facts.dkim.selectors_found == ("google",)
    assert facts.spf.dns_lookups == 5  # _spf.google.com + 3 netblocks + the macro include
    assert facts.spf.includes[0] == "_spf.google.com"
    assert not any("%" in name for name, _ in dns_server.queries)


def test_gateway_without_other_evidence_reports_dkim_as_not_found_among_selectors(
    config: DnsConfig,
) -> None:
    facts = collect("wingtip.com", config)

    assert facts.mx_hosts == ("d123456a.ess.barracudanetworks.com",)
    assert facts.dkim.message == "not found among 7 selectors"
    assert facts.dmarc is None
    assert facts.dmarc_status == "absent"
    assert facts.autodiscover_target is None
    assert (facts.spf.dns_lookups, facts.spf.void_lookups, facts.spf.error) == (2, 0, None)


def test_mixed_vendor_mx_hosts_are_all_kept(config: DnsConfig) -> None:
    facts = collect("migrating.com", config)

    assert facts.mx_hosts == ("migrating-com.mail.protection.outlook.com", "aspmx.l.google.com")


# --- unknown is not no --------------------------------------------------------------------------


def test_null_mx_means_accepts_no_mail_not_missing_mx(config: DnsConfig) -> None:
    facts = collect("nomail.com", config)

    assert facts.status == "ok"
    assert facts.null_mx
    assert facts.mx == ()


def test_nonexistent_domain_is_nxdomain_and_asks_nothing_more(config: DnsConfig) -> None:
    facts = collect("no-such-company.com", config)

    assert facts.status == "nxdomain"
    assert facts.questions == 4  # MX, TXT, _dmarc, autodiscover; no DKIM for a missing domain
    assert facts.spf.status == "absent"


def test_silent_nameserver_is_unresolved_never_no_mx(config: DnsConfig) -> None:
    facts = collect("silent.com", config)

    assert facts.status == "unresolved"
    assert "MX silent.com: timeout" in facts.errors
    assert facts.spf.status == "unresolved"
    assert facts.dkim.status == "unresolved"


def test_servfail_is_unresolved_never_no_mx(config: DnsConfig) -> None:
    facts = collect("servfail.com", config)

    assert facts.status == "unresolved"
    assert "MX servfail.com: servfail" in facts.errors
    assert facts.dmarc_status == "unresolved"


def test_failed_dmarc_question_keeps_the_domain_ok_but_dmarc_unresolved(
    config: DnsConfig,
) -> None:
    facts = collect("partial.com", config)

    assert facts.status == "ok"
    assert facts.dmarc is None
    assert facts.dmarc_status == "unresolved"
    assert facts.errors == ("TXT _dmarc.partial.com: servfail",)


def test_silent_dkim_selectors_make_dkim_unresolved_not_absent(
    config: DnsConfig, dns_server: DnsServer
) -> None:
    dns_server.set_behaviour("_domainkey.wingtip.com", "silent")

    facts = collect("wingtip.com", config)

    assert facts.status == "ok"
    assert facts.dkim.status == "unresolved"
    assert facts.dkim.message.startswith("could not be checked")


def test_unanswered_apex_txt_makes_spf_unresolved(config: DnsConfig) -> None:
    asker = DomainAsker(DnsSession(config))

    spf = asyncio.run(analyse_spf("contoso.com", Lookup("unresolved", reason="timeout"), asker))

    assert spf.status == "unresolved"
    assert not spf.present


@pytest.mark.parametrize("domain", ["", "bad..name", "nodots", "a" * 64 + ".com", "."])
def test_names_that_cannot_be_asked_are_invalid_without_questions(
    config: DnsConfig, dns_server: DnsServer, domain: str
) -> None:
    facts = collect(domain, config)

    assert facts.status == "invalid"
    assert facts.questions == 0
    assert dns_server.total_queries() == 0


# --- SPF done right -----------------------------------------------------------------------------


def test_spf_over_ten_lookups_through_nested_includes_is_an_error(config: DnsConfig) -> None:
    spf = collect("toomany.com", config).spf

    assert spf.error == "too_many_lookups"
    assert spf.dns_lookups == 11  # the walk stops at the first lookup past the limit


def test_spf_with_three_void_lookups_is_an_error(config: DnsConfig) -> None:
    spf = collect("voids.com", config).spf

    assert spf.void_lookups == 3
    assert spf.error == "too_many_void_lookups"


def test_two_spf_records_are_an_error(config: DnsConfig) -> None:
    spf = collect("twospf.com", config).spf

    assert spf.records_found == 2
    assert spf.error == "multiple_records"


def test_spf_include_loop_is_an_error(config: DnsConfig) -> None:
    assert collect("loop.com", config).spf.error == "include_loop"


def test_m365_spf_follows_the_include_tree(config: DnsConfig) -> None:
    spf = collect("contoso.com", config).spf

    assert spf.present
    assert spf.record == "v=spf1 include:spf.protection.outlook.com -all"
    assert spf.includes == (M365_INCLUDE, "spfd.protection.outlook.com")
    assert (spf.dns_lookups, spf.error, spf.all_qualifier) == (2, None, "-")


def test_unanswered_include_is_reported_as_such(config: DnsConfig, dns_server: DnsServer) -> None:
    dns_server.set_behaviour(M365_INCLUDE, "servfail")

    facts = collect("contoso.com", config)

    assert facts.spf.error == "include_unresolved"
    assert f"TXT {M365_INCLUDE}: servfail" in facts.errors


# --- DMARC done right ---------------------------------------------------------------------------


def test_dmarc_sp_beside_p_keeps_the_p_policy(config: DnsConfig) -> None:
    dmarc = collect("contoso.com", config).dmarc

    assert dmarc is not None
    assert (dmarc.policy, dmarc.subdomain_policy, dmarc.enforced) == ("reject", "none", True)


def test_dmarc_in_test_mode_does_not_enforce(config: DnsConfig) -> None:
    dmarc = collect("fabrikam.com", config).dmarc

    assert dmarc is not None
    assert dmarc.policy == "reject"
    assert not dmarc.enforced


def test_dmarc_partial_rollout_is_visible(config: DnsConfig) -> None:
    dmarc = collect("northwind.com", config).dmarc

    assert dmarc is not None
    assert (dmarc.coverage, dmarc.partial) == (50, True)
    assert dmarc.rua == ("mailto:a@northwind.com", "mailto:b@reports.example")


# --- question economy ---------------------------------------------------------------------------


def test_common_dkim_selectors_are_asked_only_when_provider_selectors_miss(
    config: DnsConfig, dns_server: DnsServer
) -> None:
    found_first = collect("contoso.com", config)
    found_later = collect("selfhosted.com", config)

    assert dns_server.query_count("default._domainkey.contoso.com", "TXT") == 0
    assert found_first.dkim.selectors_checked == ("selector1", "selector2")
    assert found_later.dkim.selectors_found == ("default",)


def test_question_count_matches_what_the_server_received(
    config: DnsConfig, dns_server: DnsServer
) -> None:
    facts = collect("contoso.com", config)

    # MX, TXT, _dmarc, autodiscover; two SPF includes; two selectors; four posture questions.
    assert facts.questions == dns_server.total_queries() == 12


def test_collect_many_keeps_input_order(config: DnsConfig) -> None:
    domains = ["wingtip.com", "contoso.com", "no-such-company.com", "northwind.com"]

    results = asyncio.run(collect_many(domains, config, concurrency=2))

    assert [facts.domain for facts in results] == domains
    assert [facts.status for facts in results] == ["ok", "ok", "nxdomain", "ok"]


def test_collect_many_asks_a_shared_include_once_per_run(
    config: DnsConfig, dns_server: DnsServer
) -> None:
    domains = ["contoso.com", "fabrikam.com", "partial.com", "adatum.com"]

    results = asyncio.run(collect_many(domains, config, concurrency=4))

    assert all(M365_INCLUDE in facts.spf.includes for facts in results)
    assert dns_server.query_count(M365_INCLUDE, "TXT") == 1


def test_custom_dkim_selector_chooser_is_used(config: DnsConfig, dns_server: DnsServer) -> None:
    custom = DnsConfig(
        nameservers=config.nameservers, timeout=SHORT_TIMEOUT, dkim_selectors=lambda _: ("zoho",)
    )

    facts = collect("northwind.com", custom)

    assert facts.dkim.selectors_checked[0] == "zoho"
    assert dns_server.query_count("zoho._domainkey.northwind.com", "TXT") == 1


def test_read_mx_drops_malformed_rdata_and_sorts() -> None:
    records, null_mx = read_mx(["20 b.example.", "garbage", "10 A.example."])

    assert records == ((10, "a.example"), (20, "b.example"))
    assert not null_mx


# --- posture records ----------------------------------------------------------------------------


def test_valid_posture_records_and_a_dnskey_are_read_in_the_same_pass(config: DnsConfig) -> None:
    facts = collect("contoso.com", config)

    assert (facts.mta_sts.status, facts.mta_sts.policy_id) == ("valid", "20240101T000000")
    assert facts.tls_rpt.rua == ("mailto:tlsrpt@contoso.com", "https://reports.contoso.com/tls")
    assert facts.bimi.logo_url == "https://contoso.com/logo.svg"
    assert facts.dnssec is True


def test_malformed_posture_is_reported_as_such_and_a_failed_question_as_unknown(
    config: DnsConfig,
) -> None:
    facts = collect("badposture.com", config)

    assert facts.status == "ok"
    assert facts.mta_sts.status == "malformed"
    assert facts.tls_rpt.status == "malformed"
    assert facts.bimi.status == "unresolved"
    assert facts.dnssec is False
    assert "TXT default._bimi.badposture.com: servfail" in facts.errors


def test_a_domain_that_does_not_exist_is_asked_no_posture_question(
    config: DnsConfig, dns_server: DnsServer
) -> None:
    facts = collect("nonexistent.com", config)

    assert facts.status == "nxdomain"
    assert dns_server.query_count("_mta-sts.nonexistent.com", "TXT") == 0
    assert dns_server.query_count("nonexistent.com", "DNSKEY") == 0
    assert (facts.mta_sts.status, facts.dnssec) == ("absent", False)


def test_an_unresolved_domain_has_unknown_posture(config: DnsConfig) -> None:
    facts = collect("servfail.com", config)

    assert facts.status == "unresolved"
    assert (facts.mta_sts.status, facts.tls_rpt.status, facts.bimi.status) == ("unresolved",) * 3
    assert facts.dnssec is None


# --- DKIM rounds --------------------------------------------------------------------------------


def test_dkim_rounds_stop_once_a_selector_has_a_key(dns_server: DnsServer) -> None:
    rounds = DnsConfig(
        nameservers=(("127.0.0.1", dns_server.port),),
        timeout=SHORT_TIMEOUT,
        dkim_rounds=lambda hosts: (("selector1",), ("selector2",), ("default", "dkim")),
    )

    facts = collect("contoso.com", rounds)

    assert facts.dkim.selectors_checked == ("selector1",)
    assert dns_server.query_count("selector2._domainkey.contoso.com", "TXT") == 0


def test_dkim_rounds_go_on_while_no_key_is_found(dns_server: DnsServer) -> None:
    rounds = DnsConfig(
        nameservers=(("127.0.0.1", dns_server.port),),
        timeout=SHORT_TIMEOUT,
        dkim_rounds=lambda hosts: (("selector1", "google"), ("selector2",), ("default", "dkim")),
    )

    facts = collect("badposture.com", rounds)

    assert facts.dkim.selectors_checked == ("selector1", "google", "selector2", "default", "dkim")
    assert facts.dkim.selectors_found == ("default",)
