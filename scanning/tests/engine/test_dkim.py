"""DKIM helpers (pure): key records, default selectors, result wording, selector rounds."""

from __future__ import annotations

from scanning.engine.dkim import (
    COMMON_SELECTORS,
    DkimResult,
    default_dkim_selectors,
    dkim_status,
    is_dkim_key_record,
)
from scanning.engine.dns import selector_rounds


def test_record_with_version_and_key_is_a_dkim_key() -> None:
    assert is_dkim_key_record("v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3")


def test_record_with_only_a_key_is_a_dkim_key() -> None:
    assert is_dkim_key_record("k=rsa; p=MIGfMA0GCSqGSIb3")


def test_revoked_key_is_not_a_dkim_key() -> None:
    assert not is_dkim_key_record("v=DKIM1; p=")


def test_unrelated_text_is_not_a_dkim_key() -> None:
    assert not is_dkim_key_record("v=spf1 -all")


def test_m365_mx_hosts_get_m365_selectors_only() -> None:
    hosts = ["contoso-com.mail.protection.outlook.com"]

    assert default_dkim_selectors(hosts) == ("selector1", "selector2")
    assert default_dkim_selectors(["fabrikam-com.r-v1.mx.microsoft"]) == ("selector1", "selector2")


def test_google_mx_hosts_get_the_google_selector() -> None:
    assert default_dkim_selectors(["aspmx.l.google.com"]) == ("google",)


def test_lookalike_host_is_not_google() -> None:
    assert default_dkim_selectors(["mx.notgoogle.com"]) == ("selector1", "selector2", "google")


def test_unknown_or_mixed_mx_hosts_get_both_big_providers() -> None:
    mixed = ["x.mail.protection.outlook.com", "aspmx.l.google.com"]

    assert default_dkim_selectors(mixed) == ("selector1", "selector2", "google")
    assert default_dkim_selectors([]) == ("selector1", "selector2", "google")


def test_miss_is_reported_as_not_found_among_the_selectors_tried() -> None:
    result = DkimResult(status="not_found", selectors_checked=("a", "b", "c", "d", "e", "f"))

    assert result.message == "not found among 6 selectors"
    assert not result.present


def test_found_result_names_the_selectors() -> None:
    result = DkimResult(status="found", selectors_checked=("s1",), selectors_found=("s1",))

    assert result.present
    assert result.message == "found at s1"


def test_unanswered_selector_makes_a_miss_unresolved() -> None:
    assert dkim_status([], ["selector1"]) == "unresolved"
    assert dkim_status(["google"], ["selector1"]) == "found"
    assert dkim_status([], []) == "not_found"


def test_provider_selectors_come_first_and_common_ones_later() -> None:
    first, rest = selector_rounds(["selector1", "selector2"], COMMON_SELECTORS)

    assert first == ("selector1", "selector2")
    assert rest == COMMON_SELECTORS


def test_chooser_that_appends_the_common_list_still_gets_two_rounds() -> None:
    first, rest = selector_rounds(["google", *COMMON_SELECTORS, "google"], COMMON_SELECTORS)

    assert first == ("google",)
    assert rest == COMMON_SELECTORS


def test_chooser_that_leads_with_common_selectors_gets_one_round() -> None:
    first, rest = selector_rounds(["default", "selector1", "google"], COMMON_SELECTORS)

    assert first == ("default", "selector1", "google", "dkim", "mail", "smtp")
    assert rest == ()
