"""Registrable roots and mx_root (SPEC §4)."""

from __future__ import annotations

import pytest

from scanning.engine.domains import (
    REFERENCE_SECOND_LEVEL_SUFFIXES,
    extract_mx_root,
    is_within,
    primary_mx_root,
    registrable_root,
)


@pytest.mark.parametrize(
    ("host", "root"),
    [
        ("outlook-com.olc.protection.outlook.com", "outlook.com"),
        ("aspmx.l.google.com", "google.com"),
        ("aspmx.vit.com.tr", "vit.com.tr"),
        ("mail.example.co.uk", "example.co.uk"),
        ("mail.example.com", "example.com"),
        ("Contoso-com.Mail.Protection.Outlook.com.", "outlook.com"),
        ("contoso-com.n-v1.mx.microsoft", "mx.microsoft"),
        ("localhost", "localhost"),
    ],
)
def test_mx_root_is_the_registrable_root_of_the_host(host: str, root: str) -> None:
    assert extract_mx_root(host) == root


@pytest.mark.parametrize("host", [None, "", "  ", "."])
def test_blank_mx_host_has_no_root(host: str | None) -> None:
    assert extract_mx_root(host) is None


@pytest.mark.parametrize("suffix", sorted(REFERENCE_SECOND_LEVEL_SUFFIXES))
def test_every_reference_second_level_suffix_keeps_three_labels(suffix: str) -> None:
    assert extract_mx_root(f"mx1.firma.{suffix}") == f"firma.{suffix}"


def test_private_public_suffix_entries_are_ignored_so_provider_hosts_share_one_root() -> None:
    # "s3.amazonaws.com" is a private PSL entry; MX roots must still read "amazonaws.com".
    assert extract_mx_root("inbound-smtp.us-east-1.amazonaws.com") == "amazonaws.com"


def test_host_that_is_itself_a_public_suffix_is_returned_unchanged() -> None:
    assert registrable_root("co.uk") is None
    assert extract_mx_root("co.uk") == "co.uk"


def test_primary_mx_root_reads_the_first_host_only() -> None:
    assert primary_mx_root(["aspmx.l.google.com", "mx.example.com"]) == "google.com"
    assert primary_mx_root([]) is None
    assert primary_mx_root(None) is None


@pytest.mark.parametrize(
    ("name", "suffix", "inside"),
    [
        ("dns.com", "dns.com", True),
        ("mx.dns.com", "dns.com", True),
        ("mydns.com", "dns.com", False),
        ("outlook.com.tr", "outlook.com", False),
        ("example.com", "", False),
    ],
)
def test_is_within_respects_label_boundaries(name: str, suffix: str, inside: bool) -> None:
    assert is_within(name, suffix) is inside
