"""Every row of providers.json, published the way its provider tells customers to, is
classified as the row says: one zone per row, generated from the data file and served by the
real loopback DNS server, scanned by the engine end to end."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from hunter.testing.dns_server import DnsServer
from scanning.engine.dns import DnsConfig
from scanning.engine.providers import dkim_selector_rounds_for
from scanning.engine.registration import RegistrationConfig
from scanning.engine.rules import PROVIDERS_PATH, read_json_document
from scanning.engine.scan import EngineConfig, ScanResult, scan_many_sync

TABLE: dict[str, Any] = read_json_document(PROVIDERS_PATH)
ZONE = "table.test"
M365_SPF = "spf.protection.outlook.com"
GATEWAY_MX = "eu-smtp-inbound-1.mimecast.com"


@dataclass(frozen=True)
class Case:
    """One row as DNS would show it, and the verdict the row promises."""

    row: str
    mx: str
    spf_include: str | None
    provider: str
    brand: str | None = None
    gateway: str | None = None


def _spf_of(provider: str) -> str | None:
    rules = TABLE["inference"]["spf_includes"]
    return next((rule["suffix"] for rule in rules if rule["provider"] == provider), None)


def _cases() -> Iterator[Case]:
    for row in TABLE["providers"]:
        if "example_mx" in row:
            name = row["name"]
            yield Case(
                f"provider {name} {row['example_mx']}", row["example_mx"], _spf_of(name), name
            )
    for row in TABLE["local_providers"]:
        kind = (
            TABLE["hosting_provider"] if row["kind"] == "hosting" else TABLE["unmatched_provider"]
        )
        yield Case(f"brand {row['name']}", row["example_mx"], None, kind, brand=row["name"])
    for row in TABLE["gateways"]:
        name = row["name"]
        yield Case(f"gateway {name}", row["example_mx"], M365_SPF, "M365", gateway=name)
    for rule in TABLE["inference"]["spf_includes"]:
        strong = rule["strength"] == "strong"
        provider = rule["provider"] if strong else TABLE["unmatched_provider"]
        yield Case(
            f"SPF {rule['suffix']}", GATEWAY_MX, rule["suffix"], provider, gateway="Mimecast"
        )


CASES = list(_cases())


def _domain(index: int) -> str:
    return f"case{index}.{ZONE}"


@pytest.fixture(scope="module")
def table_server() -> Iterator[DnsServer]:
    """A server holding one domain per case and the SPF records its includes point at."""
    server = DnsServer()
    server.add_zone(ZONE)
    for index, case in enumerate(CASES):
        server.add(_domain(index), "MX", f"10 {case.mx}.")
        if case.spf_include:
            server.add(_domain(index), "TXT", f'"v=spf1 include:{case.spf_include} -all"')
    for include in {case.spf_include for case in CASES if case.spf_include}:
        server.add_zone(include)
        server.add(include, "TXT", '"v=spf1 -all"')
    with server:
        yield server


@pytest.fixture(scope="module")
def results(table_server: DnsServer) -> list[ScanResult]:
    config = EngineConfig(
        dns=DnsConfig(
            nameservers=(("127.0.0.1", table_server.port),),
            timeout=2.0,
            dkim_rounds=dkim_selector_rounds_for,
        ),
        registration=RegistrationConfig(enabled=False),
    )
    return scan_many_sync([_domain(index) for index in range(len(CASES))], config)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[case.row for case in CASES])
def test_each_row_of_the_data_file_is_classified_as_it_says(
    results: list[ScanResult], index: int
) -> None:
    case, result = CASES[index], results[index]

    assert result.status == "ok", result.message
    assert result.verdict is not None
    assert result.verdict.provider == case.provider
    assert result.verdict.gateway == case.gateway
    if case.brand is not None:
        assert result.verdict.local_provider == case.brand


def test_every_row_names_its_source() -> None:
    rows = [*TABLE["providers"], *TABLE["local_providers"], *TABLE["gateways"]]
    rows += TABLE["inference"]["spf_includes"]

    assert [row.get("name") or row.get("suffix") for row in rows if not row.get("source")] == [
        "Local",
        "Unknown",
    ]


def test_no_hosted_mailbox_row_is_filed_as_local_or_unknown() -> None:
    generic = {TABLE["unmatched_provider"], TABLE["no_mx_provider"]}
    hosting = [case for case in CASES if case.row.startswith("brand ") and case.provider in generic]

    institutions = {row["name"] for row in TABLE["local_providers"] if row["kind"] != "hosting"}
    assert {case.brand for case in hosting} == institutions
