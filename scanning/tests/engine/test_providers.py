"""Provider, gateway, local-brand and tenant detection (SPEC §6, §35)."""

from __future__ import annotations

import pytest

from scanning.engine.providers import (
    ProviderEvidence,
    classify_local_provider,
    classify_provider,
    decide_provider,
    detect_gateway,
    dkim_selector_rounds_for,
    dkim_selectors_for,
    estimate_tenant_size,
    load_provider_table,
    mixed_vendors,
    tenant_initial_domain,
)

MIMECAST = ("eu-smtp-inbound-1.mimecast.com", "eu-smtp-inbound-2.mimecast.com")


@pytest.mark.parametrize(
    ("mx_root", "provider"),
    [
        ("outlook.com", "M365"),
        ("contoso-com.mail.protection.outlook.com", "M365"),
        ("contoso-com.n-v1.mx.microsoft", "M365"),
        ("mx.microsoft", "M365"),
        ("google.com", "Google"),
        ("googlemail.com", "Google"),
        ("yandex.net", "Yandex"),
        ("zoho.eu", "Zoho"),
        ("amazonaws.com", "Amazon"),
        ("sendgrid.net", "SendGrid"),
        ("mailgun.org", "Mailgun"),
        ("hostinger.com", "Hosting"),
        ("OUTLOOK.COM ", "M365"),
        ("example.com", "Local"),
        ("mimecast.com", "Local"),
        (None, "Unknown"),
        ("", "Unknown"),
    ],
)
def test_classify_provider_matches_the_provider_table(mx_root: str | None, provider: str) -> None:
    assert classify_provider(mx_root) == provider


@pytest.mark.parametrize("mx_root", ["outlook.com.tr", "notgoogle.com", "hostinger.com.tr"])
def test_provider_patterns_match_by_suffix_not_substring(mx_root: str) -> None:
    assert classify_provider(mx_root) == "Local"


@pytest.mark.parametrize(
    ("mx_root", "brand"),
    [
        ("turkhost.com.tr", "TürkHost"),
        ("mail.turkhost.com.tr", "TürkHost"),
        ("natrohost.com", "Natro"),
        ("dns.com.tr", "DNS"),
        ("isimtescil.net", "İsimtescil"),
        ("ku.edu.tr", "Koç Üniversitesi"),
        ("mydns.com", None),
        ("notvit.com.tr", None),
        ("example.com", None),
        (None, None),
    ],
)
def test_local_brand_is_matched_by_suffix(mx_root: str | None, brand: str | None) -> None:
    assert classify_local_provider(mx_root) == brand


@pytest.mark.parametrize(
    ("host", "gateway"),
    [
        ("eu-smtp-inbound-1.mimecast.com", "Mimecast"),
        ("mx0a-00123.pphosted.com", "Proofpoint"),
        ("mx1.ppe-hosted.com", "Proofpoint"),
        ("d123.ess.barracudanetworks.com", "Barracuda"),
        ("mx1.hc123-45.iphmx.com", "Cisco IronPort"),
        ("example.in.tmes.trendmicro.eu", "Trend Micro"),
        ("mx-01-eu-west-1.prod.hydra.sophos.com", "Sophos"),
        ("mx01.hornetsecurity.com", "Hornetsecurity"),
        ("mx.spamexperts.com", "SpamExperts"),
        ("cluster1.eu.messagelabs.com", "Symantec/Broadcom"),
        ("cluster-a.mailcontrol.com", "Forcepoint"),
        ("aspmx.l.google.com", None),
        ("notmimecast.com", None),
    ],
)
def test_security_gateways_are_recognised_by_mx_host(host: str, gateway: str | None) -> None:
    assert detect_gateway(host) == gateway


@pytest.mark.parametrize(
    ("provider", "host", "size"),
    [
        ("M365", "contoso-com.mail.protection.outlook.com", "large"),
        ("M365", "abc12.protection.outlook.com", "small"),
        ("M365", "outlook-com.olc.protection.outlook.com", "small"),
        ("M365", "contoso-com.n-v1.mx.microsoft", "medium"),
        ("Google", "aspmx.l.google.com", "medium"),
        ("Google", "smtp.google.com", "large"),
        ("Google", "mx.googlemail.com", "large"),
        ("Yandex", "mx.yandex.net", None),
        ("M365", None, None),
    ],
)
def test_tenant_size_reads_the_full_primary_mx_host(
    provider: str, host: str | None, size: str | None
) -> None:
    assert estimate_tenant_size(provider, host) == size


def test_gateway_mx_with_m365_spf_is_m365() -> None:
    verdict = decide_provider(
        ProviderEvidence(mx_hosts=MIMECAST, spf_includes=("spf.protection.outlook.com",))
    )
    assert (verdict.provider, verdict.gateway, verdict.inferred_from_gateway) == (
        "M365",
        "Mimecast",
        True,
    )
    assert "SPF includes spf.protection.outlook.com (M365)" in verdict.evidence


def test_gateway_mx_with_microsoft_dkim_cname_is_m365_and_names_the_tenant() -> None:
    target = "selector1-contoso-com._domainkey.contoso.onmicrosoft.com"
    verdict = decide_provider(
        ProviderEvidence(mx_hosts=("mx0a.pphosted.com",), dkim_cname_targets=(target,))
    )
    assert (verdict.provider, verdict.gateway) == ("M365", "Proofpoint")
    assert verdict.tenant_initial_domain == "contoso.onmicrosoft.com"


def test_gateway_mx_with_new_style_microsoft_dkim_cname_is_m365() -> None:
    target = "selector1-contoso-com._domainkey.contoso.n-v1.dkim.mail.microsoft"
    verdict = decide_provider(ProviderEvidence(mx_hosts=MIMECAST, dkim_cname_targets=(target,)))
    assert verdict.provider == "M365"
    assert verdict.tenant_initial_domain == "contoso.onmicrosoft.com"


def test_gateway_mx_with_outlook_autodiscover_is_m365() -> None:
    verdict = decide_provider(
        ProviderEvidence(mx_hosts=MIMECAST, autodiscover_target="autodiscover.outlook.com.")
    )
    assert verdict.provider == "M365"
    assert verdict.inferred_from_gateway


def test_gateway_mx_with_ms_verification_txt_is_m365() -> None:
    verdict = decide_provider(ProviderEvidence(mx_hosts=MIMECAST, apex_txt=("MS=ms12345678",)))
    assert verdict.provider == "M365"


def test_gateway_mx_with_google_spf_is_google() -> None:
    verdict = decide_provider(
        ProviderEvidence(mx_hosts=("mx1.hc1-2.iphmx.com",), spf_includes=("_spf.google.com",))
    )
    assert (verdict.provider, verdict.gateway) == ("Google", "Cisco IronPort")


def test_gateway_without_evidence_stays_local_with_the_gateway_named() -> None:
    verdict = decide_provider(ProviderEvidence(mx_hosts=MIMECAST))
    assert (verdict.provider, verdict.gateway, verdict.inferred_from_gateway) == (
        "Local",
        "Mimecast",
        False,
    )
    assert verdict.evidence == ("primary MX eu-smtp-inbound-1.mimecast.com is a Mimecast gateway",)


def test_weak_evidence_alone_does_not_decide_the_provider_behind_a_gateway() -> None:
    verdict = decide_provider(
        ProviderEvidence(
            mx_hosts=MIMECAST,
            spf_includes=("sendgrid.net",),
            apex_txt=("google-site-verification=abc123",),
        )
    )
    assert verdict.provider == "Local"
    assert "apex TXT google-site-verification=… (Google, weak)" in verdict.evidence


def test_strong_evidence_majority_wins_over_a_single_competing_clue() -> None:
    verdict = decide_provider(
        ProviderEvidence(
            mx_hosts=MIMECAST,
            spf_includes=("spf.protection.outlook.com", "_spf.google.com"),
            autodiscover_target="autodiscover.outlook.com",
        )
    )
    assert verdict.provider == "M365"


def test_evidence_behind_a_non_gateway_mx_does_not_change_the_provider() -> None:
    verdict = decide_provider(
        ProviderEvidence(
            mx_hosts=("mail.example.com",), spf_includes=("spf.protection.outlook.com",)
        )
    )
    assert (verdict.provider, verdict.gateway, verdict.inferred_from_gateway) == (
        "Local",
        None,
        False,
    )


def test_modern_mx_microsoft_host_is_m365_with_its_root() -> None:
    verdict = decide_provider(ProviderEvidence(mx_hosts=("contoso-com.n-v1.mx.microsoft",)))
    assert (verdict.provider, verdict.mx_root) == ("M365", "mx.microsoft")


def test_primary_mx_decides_and_tenant_size_uses_its_full_host() -> None:
    verdict = decide_provider(
        ProviderEvidence(
            mx_hosts=("contoso-com.mail.protection.outlook.com.", "backup.example.com")
        )
    )
    assert verdict.provider == "M365"
    assert verdict.primary_mx_host == "contoso-com.mail.protection.outlook.com"
    assert verdict.tenant_size == "large"
    assert verdict.mixed_vendors == ()


def test_m365_and_google_mx_hosts_flag_mixed_vendors() -> None:
    verdict = decide_provider(
        ProviderEvidence(mx_hosts=("contoso-com.mail.protection.outlook.com", "aspmx.l.google.com"))
    )
    assert verdict.mixed_vendors == ("M365", "Google")
    assert "MX hosts of several providers: M365, Google" in verdict.evidence


def test_self_hosted_backup_mx_is_not_a_second_vendor() -> None:
    assert mixed_vendors(["aspmx.l.google.com", "mail.example.com"]) == ()


def test_gateway_with_a_provider_backup_mx_infers_that_provider() -> None:
    verdict = decide_provider(
        ProviderEvidence(mx_hosts=(*MIMECAST, "contoso-com.mail.protection.outlook.com"))
    )
    assert verdict.provider == "M365"
    assert verdict.tenant_size == "large"


def test_a_hosting_companys_shared_mail_is_hosting_with_its_brand_kept() -> None:
    verdict = decide_provider(ProviderEvidence(mx_hosts=("mx.natro.com",)))
    assert (verdict.provider, verdict.local_provider) == ("Hosting", "Natro")


def test_an_institution_running_its_own_mail_stays_local_with_its_name_kept() -> None:
    verdict = decide_provider(ProviderEvidence(mx_hosts=("mx.metu.edu.tr",)))
    assert (verdict.provider, verdict.local_provider) == ("Local", "ODTÜ")


@pytest.mark.parametrize(
    "host", ["MX1.PRIVATEEMAIL.COM.", "mx1.privateemail.com", "Mx1.PrivateEmail.com"]
)
def test_capitals_and_a_trailing_dot_match_the_same_row(host: str) -> None:
    verdict = decide_provider(ProviderEvidence(mx_hosts=(host,)))
    assert (verdict.provider, verdict.local_provider) == ("Hosting", "Namecheap Private Email")


def test_a_google_dkim_key_behind_a_gateway_is_evidence_for_google() -> None:
    evidence = ProviderEvidence(
        mx_hosts=("eu-smtp-inbound-1.mimecast.com",), dkim_selectors_found=("google",)
    )
    verdict = decide_provider(evidence)
    assert (verdict.provider, verdict.gateway, verdict.inferred_from_gateway) == (
        "Google",
        "Mimecast",
        True,
    )
    assert "DKIM key at google (Google)" in verdict.evidence


def test_a_weak_dkim_selector_alone_does_not_decide() -> None:
    evidence = ProviderEvidence(
        mx_hosts=("mx1.hornetsecurity.com",), dkim_selectors_found=("zmail",)
    )
    assert decide_provider(evidence).provider == "Local"


def test_no_mx_is_unknown() -> None:
    verdict = decide_provider(ProviderEvidence(mx_hosts=("", " ")))
    assert (verdict.provider, verdict.mx_root, verdict.primary_mx_host) == ("Unknown", None, None)
    assert verdict.evidence == ("no MX host",)


@pytest.mark.parametrize(
    ("targets", "initial"),
    [
        (("selector1-contoso-com._domainkey.contoso.onmicrosoft.com.",), "contoso.onmicrosoft.com"),
        (
            ("s1.domainkey.u1.wl.sendgrid.net", "x._domainkey.fabrikam.onmicrosoft.com"),
            "fabrikam.onmicrosoft.com",
        ),
        (("onmicrosoft.com",), None),
        (
            ("selector1-contoso-com._domainkey.contoso.n-v1.dkim.mail.microsoft",),
            "contoso.onmicrosoft.com",
        ),
        (("n-v1.dkim.mail.microsoft",), None),
        ((), None),
    ],
)
def test_tenant_initial_domain_is_read_from_an_onmicrosoft_dkim_target(
    targets: tuple[str, ...], initial: str | None
) -> None:
    assert tenant_initial_domain(targets) == initial


def test_dkim_selectors_put_the_providers_own_selectors_first() -> None:
    assert dkim_selectors_for(["contoso-com.mail.protection.outlook.com"]) == (
        "selector1",
        "selector2",
        "default",
        "dkim",
        "mail",
        "smtp",
    )
    assert dkim_selectors_for(["mx.zoho.eu"])[:2] == ("zoho", "zmail")


def test_dkim_selectors_have_no_duplicates_when_provider_and_common_lists_overlap() -> None:
    # Yandex signs with "mail", which is also on the common list.
    assert dkim_selectors_for(["mx.yandex.net"]) == ("mail", "default", "dkim", "smtp")


def test_dkim_selectors_of_mixed_vendors_follow_mx_order() -> None:
    selectors = dkim_selectors_for(["aspmx.l.google.com", "x.mail.protection.outlook.com"])
    assert selectors[:3] == ("google", "selector1", "selector2")


def test_dkim_selectors_behind_a_gateway_try_m365_and_google_then_the_common_list() -> None:
    assert dkim_selector_rounds_for(list(MIMECAST)) == (
        ("selector1", "google"),
        ("selector2",),
        ("default", "dkim", "mail", "smtp"),
    )


def test_dkim_rounds_ask_the_providers_first_selector_alone_before_the_others() -> None:
    assert dkim_selector_rounds_for(["contoso-com.mail.protection.outlook.com"]) == (
        ("selector1",),
        ("selector2",),
        ("default", "dkim", "mail", "smtp"),
    )


def test_dkim_rounds_never_ask_a_selector_twice() -> None:
    rounds = dkim_selector_rounds_for(["mx.yandex.net"])
    flat = [selector for round_ in rounds for selector in round_]

    assert rounds[0] == ("mail",)
    assert len(flat) == len(set(flat))


def test_dkim_selectors_of_a_self_hosted_domain_stay_few() -> None:
    assert len(dkim_selectors_for(["mail.example.com"])) == 7


def test_provider_table_keeps_the_reference_order() -> None:
    names = list(dict.fromkeys(name for name, _ in load_provider_table().providers))
    assert names == [
        "M365",
        "Google",
        "Yandex",
        "Zoho",
        "Proton",
        "Fastmail",
        "Mailbox.org",
        "Amazon",
        "SendGrid",
        "Mailgun",
        "Hosting",
        "Local",
        "Unknown",
    ]
