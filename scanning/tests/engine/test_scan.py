"""End-to-end engine scans against the loopback DNS server's zone files (SPEC §35)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from hunter.testing.dns_server import DnsServer
from scanning.engine.dns import DnsConfig
from scanning.engine.providers import dkim_selector_rounds_for
from scanning.engine.registration import RegistrationConfig
from scanning.engine.scan import (
    WINDOW_PER_SLOT,
    EngineConfig,
    ScanResult,
    run,
    scan_many_sync,
    scan_stream,
    score_input,
    score_input_from_signals,
)
from scanning.engine.scoring import ScoreInput

# Short enough that the silent-name tests stay quick, long enough for a loaded CI machine.
TIMEOUT = 0.5


@pytest.fixture
def config(dns_server: DnsServer) -> EngineConfig:
    return EngineConfig(
        dns=DnsConfig(
            nameservers=(("127.0.0.1", dns_server.port),),
            timeout=TIMEOUT,
            dkim_rounds=dkim_selector_rounds_for,
        ),
        registration=RegistrationConfig(enabled=False),
    )


def scan(config: EngineConfig, *inputs: str) -> list[ScanResult]:
    return scan_many_sync(list(inputs), config)


def scan_one(config: EngineConfig, value: str) -> ScanResult:
    (result,) = scan(config, value)
    return result


def test_classic_m365_with_full_posture_is_an_existing_renewal(config: EngineConfig) -> None:
    result = scan_one(config, "https://www.contoso.com/about")
    record = result.to_record()
    assert result.domain == "contoso.com"
    assert record["provider"] == "M365"
    assert record["tenant_size"] == "large"
    assert record["tenant_initial_domain"] == "contoso.onmicrosoft.com"
    # p=reject with sp=none beside it is a reject policy (the reference read it as none).
    assert record["dmarc_policy"] == "reject"
    assert record["dmarc_subdomain_policy"] == "none"
    assert (record["score"], record["segment"], record["priority_category"]) == (
        90,
        "Existing",
        "P4",
    )
    assert record["rules_hash"] == config.rules.hash


def test_gateway_in_front_of_m365_scores_as_m365_and_names_the_gateway(
    config: EngineConfig,
) -> None:
    record = scan_one(config, "adatum.com").to_record()
    assert record["gateway"] == "Mimecast"
    assert record["provider"] == "M365"
    assert record["provider_inferred_behind_gateway"] is True
    assert any("spf.protection.outlook.com" in fact for fact in record["evidence"])
    assert record["segment"] == "Existing"


def test_gateway_in_front_of_google_is_a_migration_lead(config: EngineConfig) -> None:
    record = scan_one(config, "tailspin.com").to_record()
    assert record["gateway"] == "Proofpoint"
    assert record["provider"] == "Google"
    assert record["dkim"] is True
    assert record["dkim_selectors"] == ["google"]


def test_gateway_without_evidence_stays_local_with_the_gateway_named(
    config: EngineConfig,
) -> None:
    record = scan_one(config, "wingtip.com").to_record()
    assert record["gateway"] == "Barracuda"
    assert record["provider"] == "Local"
    assert record["provider_inferred_behind_gateway"] is False


def test_modern_m365_records_are_m365_and_dmarc_in_test_mode_scores_as_none(
    config: EngineConfig,
) -> None:
    record = scan_one(config, "fabrikam.com").to_record()
    assert record["provider"] == "M365"
    assert record["dkim"] is True
    assert record["tenant_initial_domain"] == "fabrikam.onmicrosoft.com"
    assert record["dmarc_policy"] == "reject"
    assert record["dmarc_testing"] is True
    rules = {reason["rule"] for reason in record["reasons"]}
    assert "dmarc_reject" not in rules
    assert "risk.dmarc_none" in rules or "dmarc_none" in rules


def test_mixed_vendors_are_flagged(config: EngineConfig) -> None:
    record = scan_one(config, "migrating.com").to_record()
    assert record["mixed_vendors"] == ["M365", "Google"]
    assert record["provider"] == "M365"


def test_null_mx_is_the_mx_hard_fail_not_unresolved(config: EngineConfig) -> None:
    result = scan_one(config, "nomail.com")
    record = result.to_record()
    assert result.status == "ok"
    assert record["null_mx"] is True
    assert (record["score"], record["segment"], record["hard_fail"]) == (0, "Skip", True)
    assert record["priority_category"] == "P6"


def test_a_domain_that_does_not_exist_is_hard_failed_with_status_nxdomain(
    config: EngineConfig,
) -> None:
    result = scan_one(config, "no-such-company.com")
    assert result.status == "nxdomain"
    assert result.score is not None
    assert (result.score.score, result.score.segment, result.score.hard_fail) == (0, "Skip", True)


@pytest.mark.parametrize("domain", ["silent.com", "servfail.com"])
def test_timeouts_and_servfail_leave_the_lead_unresolved_and_unscored(
    config: EngineConfig, domain: str
) -> None:
    result = scan_one(config, domain)
    record = result.to_record()
    assert result.status == "unresolved"
    assert record["score"] is None
    assert record["segment"] is None
    assert record["spf"] is None  # unknown, not "no SPF"
    assert "MX" in (result.message or "")


def test_a_dmarc_question_that_failed_keeps_the_lead_unscored(config: EngineConfig) -> None:
    result = scan_one(config, "partial.com")
    assert result.status == "unresolved"
    assert result.message == "DNS did not answer for: DMARC"
    assert result.verdict is not None
    assert result.verdict.provider == "M365"  # what is known is still reported


def test_spf_over_the_lookup_limit_is_reported(config: EngineConfig) -> None:
    record = scan_one(config, "toomany.com").to_record()
    assert record["spf_error"] == "too_many_lookups"
    assert record["spf_dns_lookups"] > 10


def test_invalid_inputs_are_judged_without_lookups_and_do_not_stop_the_others(
    config: EngineConfig, dns_server: DnsServer
) -> None:
    results = scan(config, "nan", "contoso.com", "exa_mple.com")
    assert [r.status for r in results] == ["invalid", "ok", "invalid"]
    assert results[0].message == "not a valid domain: placeholder value"
    assert results[0].score is not None
    assert results[0].score.priority_category == "P6"
    assert not any("exa_mple" in name for name, _ in dns_server.queries)
    assert dns_server.query_count("contoso.com", "MX") == 1


def test_duplicate_inputs_are_looked_up_once_and_answered_in_input_order(
    config: EngineConfig, dns_server: DnsServer
) -> None:
    results = scan(config, "contoso.com", "northwind.com", "WWW.CONTOSO.COM")
    assert [r.domain for r in results] == ["contoso.com", "northwind.com", "contoso.com"]
    assert [r.input for r in results] == ["contoso.com", "northwind.com", "WWW.CONTOSO.COM"]
    assert dns_server.query_count("contoso.com", "MX") == 1


def test_the_record_carries_every_key_of_the_cli_contract(config: EngineConfig) -> None:
    record = scan_one(config, "northwind.com").to_record()
    contract = (
        "input domain status provider gateway tenant_size local_provider mx_root mx spf "
        "spf_record spf_dns_lookups dkim dkim_selectors dmarc_policy dmarc_coverage "
        "dmarc_record score segment priority_score technical_heat commercial_segment "
        "commercial_heat priority_category priority_label reasons registrar expires_at "
        "rules_hash"
    ).split()
    assert set(contract) <= set(record)
    assert record["mx"][0] == "aspmx.l.google.com"
    assert record["dmarc_coverage"] == 50


def test_the_record_carries_the_posture_keys(config: EngineConfig) -> None:
    record = scan_one(config, "contoso.com").to_record()

    assert {key: record[key] for key in POSTURE_KEYS} == {
        "mta_sts": "valid",
        "mta_sts_id": "20240101T000000",
        "tls_rpt": "valid",
        "tls_rpt_rua": ["mailto:tlsrpt@contoso.com", "https://reports.contoso.com/tls"],
        "bimi": "valid",
        "bimi_logo_url": "https://contoso.com/logo.svg",
        "bimi_authority_url": "https://contoso.com/vmc.pem",
        "dnssec": True,
    }


def test_unknown_posture_is_null_and_malformed_posture_says_so(config: EngineConfig) -> None:
    record = scan_one(config, "badposture.com").to_record()

    assert (record["mta_sts"], record["tls_rpt"], record["bimi"]) == (
        "malformed",
        "malformed",
        None,
    )
    assert (record["mta_sts_id"], record["tls_rpt_rua"], record["dnssec"]) == (None, [], False)


def test_posture_does_not_change_the_score(config: EngineConfig) -> None:
    with_posture = scan_one(config, "contoso.com")
    assert with_posture.score is not None
    breakdown = {rule for rule, _ in with_posture.score.breakdown}
    assert not breakdown & {"mta_sts", "tls_rpt", "bimi", "dnssec"}


def test_invalid_inputs_carry_null_posture(config: EngineConfig) -> None:
    record = scan_one(config, "not a domain").to_record()

    assert all(record[key] is None for key in POSTURE_KEYS)


POSTURE_KEYS = (
    "mta_sts mta_sts_id tls_rpt tls_rpt_rua bimi bimi_logo_url bimi_authority_url dnssec"
).split()


# --- streaming --------------------------------------------------------------------------------


def stream(config: EngineConfig, inputs: Iterable[str]) -> list[ScanResult]:
    async def main() -> list[ScanResult]:
        return [result async for result in scan_stream(inputs, config)]

    return run(main())


def test_a_stream_answers_in_input_order(config: EngineConfig) -> None:
    inputs = ["silent.com", "contoso.com", "not a domain", "northwind.com", "nonexistent.com"]

    results = stream(config, inputs)

    assert [r.input for r in results] == inputs
    assert [r.status for r in results] == ["unresolved", "ok", "invalid", "ok", "nxdomain"]


def test_a_stream_pulls_inputs_only_as_its_window_frees(config: EngineConfig) -> None:
    narrow = dataclasses.replace(config, dns_concurrency=2)
    pulled: list[int] = []
    seen_when_first_result: list[int] = []

    def inputs() -> Iterator[str]:
        for index in range(40):
            pulled.append(index)
            yield "contoso.com" if index % 2 else "northwind.com"

    async def main() -> int:
        count = 0
        async for _ in scan_stream(inputs(), narrow):
            if not seen_when_first_result:
                seen_when_first_result.append(len(pulled))
            count += 1
        return count

    assert run(main()) == 40
    assert seen_when_first_result[0] <= WINDOW_PER_SLOT * 2


def test_a_stream_shares_the_lookup_of_a_domain_repeated_while_it_is_under_way(
    config: EngineConfig, dns_server: DnsServer
) -> None:
    results = stream(config, ["contoso.com", "WWW.CONTOSO.COM", "contoso.com"])

    assert [r.domain for r in results] == ["contoso.com"] * 3
    assert dns_server.query_count("contoso.com", "MX") == 1


# --- score_input_from_signals: the one mapping from signal values to the scorer's input ----

STORED_GOOGLE: dict[str, Any] = {
    "provider": "Google",
    "mx_hosts": ["aspmx.l.google.com"],
    "spf": True,
    "dkim": True,
    "dmarc_policy": "reject",
    "dmarc_testing": False,
    "spf_record": "v=spf1 include:_spf.google.com ~all",
    "domain_exists": True,
    "accepts_mail": True,
}


def test_stored_signals_map_to_the_score_input_field_by_field() -> None:
    assert score_input_from_signals(**STORED_GOOGLE) == ScoreInput(
        provider="Google",
        mx_hosts=("aspmx.l.google.com",),
        spf=True,
        dkim=True,
        dmarc_policy="reject",
        spf_record="v=spf1 include:_spf.google.com ~all",
        domain_exists=True,
        accepts_mail=True,
    )


def test_a_dmarc_policy_in_test_mode_scores_as_none_whatever_p_says() -> None:
    inp = score_input_from_signals(**(STORED_GOOGLE | {"dmarc_testing": True}))
    assert inp.dmarc_policy == "none"


def test_stored_blanks_and_unknowns_become_absent_and_the_provider_unknown() -> None:
    blanks = {"provider": "", "spf": None, "dkim": None, "dmarc_policy": "", "spf_record": ""}
    inp = score_input_from_signals(**(STORED_GOOGLE | blanks | {"mx_hosts": None}))
    assert (inp.provider, inp.spf, inp.dkim) == ("Unknown", False, False)
    assert (inp.dmarc_policy, inp.spf_record, inp.mx_hosts) == (None, None, None)


def test_a_scan_and_a_rescore_of_its_stored_signals_build_the_same_input(
    config: EngineConfig,
) -> None:
    result = scan_one(config, "fabrikam.com")  # DMARC p=reject in test mode
    assert result.dns is not None
    record = result.to_record()
    from_record = score_input_from_signals(
        provider=record["provider"],
        mx_hosts=[row["host"] for row in record["mx_records"]],
        spf=record["spf"],
        dkim=record["dkim"],
        dmarc_policy=record["dmarc_policy"],
        dmarc_testing=record["dmarc_testing"],
        spf_record=record["spf_record"],
        domain_exists=result.status != "nxdomain",
        accepts_mail=not record["null_mx"],
    )
    assert from_record == score_input(result.dns, result.verdict)
    assert from_record.dmarc_policy == "none"
