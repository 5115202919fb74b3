"""Synthetic domains with a realistic mail-record mix, served by the loopback DNS server.

Shared by the benchmarks: ``write_zones`` writes zone files for N domains under ``bench.test``
plus the provider zones their records point at; ``served_zones`` runs the loopback server in a
separate process (so the server never competes with the measured client for the GIL) and
yields its "ip:port".
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_ZONE = "bench.test"
DKIM_KEY = '"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"'

# Shares of the mix, in percent (they add up to 100).
MIX = (
    ("m365", 30),
    ("google", 20),
    ("hosting", 15),
    ("selfhosted", 15),
    ("gateway", 10),
    ("m365_modern", 5),
    ("nxdomain", 5),
)

PROVIDER_ZONES = {
    "outlook.com": [
        'spf.protection IN TXT "v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 -all"',
        "autodiscover IN A 192.0.2.1",
    ],
    "google.com": [
        '_spf IN TXT "v=spf1 include:_netblocks.google.com ~all"',
        '_netblocks IN TXT "v=spf1 ip4:35.190.247.0/24 ~all"',
        "aspmx.l IN A 192.0.2.2",
    ],
    "hostinger.com": ['_spf.mail IN TXT "v=spf1 ip4:192.0.2.0/24 ~all"', "mx1 IN A 192.0.2.3"],
    "mimecast.com": ['_netblocks IN TXT "v=spf1 ip4:192.0.2.128/25 ~all"'],
    "onmicrosoft.com": [],
}


def kind_of(index: int) -> str:
    """The record mix a synthetic domain gets, spread evenly over the index range."""
    # Stepping by 37 (coprime with 100) interleaves the kinds, so even 40 domains get a mix.
    slot = (index * 37) % 100
    for kind, share in MIX:
        if slot < share:
            return kind
        slot -= share
    return MIX[-1][0]  # pragma: no cover


def domain_name(index: int) -> str:
    return f"d{index:06d}.{BENCH_ZONE}"


DNSKEY = (
    "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxIL"
    "fDLUT0rAK9iUzy1L53eKGQ=="
)


def domain_records(index: int) -> list[str]:
    """Zone-file lines (relative to bench.test) for one synthetic domain."""
    kind, label = kind_of(index), f"d{index:06d}"
    dmarc = ("none", "quarantine", "reject")[index % 3]
    lines = {
        "m365": _m365(label, f"{label}-bench-test.mail.protection.outlook.com."),
        "m365_modern": _m365(label, f"{label}-bench-test.r-v1.mx.microsoft."),
        "google": [
            f"{label} IN MX 1 aspmx.l.google.com.",
            f"{label} IN MX 5 alt1.aspmx.l.google.com.",
            f'{label} IN TXT "v=spf1 include:_spf.google.com ~all"',
            f"google._domainkey.{label} IN TXT {DKIM_KEY}",
        ],
        "hosting": [
            f"{label} IN MX 10 mx1.hostinger.com.",
            f'{label} IN TXT "v=spf1 include:_spf.mail.hostinger.com ~all"',
        ],
        "selfhosted": [
            f"{label} IN MX 10 mail.{label}",
            f"mail.{label} IN A 192.0.2.40",
            f'{label} IN TXT "v=spf1 mx a -all"',
            f"default._domainkey.{label} IN TXT {DKIM_KEY}",
        ],
        "gateway": [
            f"{label} IN MX 10 eu-smtp-inbound-1.mimecast.com.",
            f'{label} IN TXT "v=spf1 include:_netblocks.mimecast.com '
            'include:spf.protection.outlook.com -all"',
            f"selector1._domainkey.{label} IN CNAME "
            f"selector1-{label}._domainkey.{label}.onmicrosoft.com.",
        ],
        "nxdomain": [],
    }[kind]
    if kind not in ("nxdomain", "hosting"):
        lines.append(
            f'_dmarc.{label} IN TXT "v=DMARC1; p={dmarc}; rua=mailto:d@{label}.bench.test"'
        )
    if kind != "nxdomain" and index % 4 == 0:
        lines.extend(_posture(label, index))
    return lines


def _posture(label: str, index: int) -> list[str]:
    # A quarter of the domains publish the modern posture records, as larger companies do.
    lines = [
        f'_mta-sts.{label} IN TXT "v=STSv1; id={index}"',
        f'_smtp._tls.{label} IN TXT "v=TLSRPTv1; rua=mailto:tls@{label}.bench.test"',
        f"{label} IN DNSKEY {DNSKEY}",
    ]
    if index % 8 == 0:
        lines.append(f'default._bimi.{label} IN TXT "v=BIMI1; l=https://{label}.test/logo.svg"')
    return lines


def _m365(label: str, mx_host: str) -> list[str]:
    return [
        f"{label} IN MX 0 {mx_host}",
        f'{label} IN TXT "v=spf1 include:spf.protection.outlook.com -all"',
        f'{label} IN TXT "MS=ms{label}"',
        f"selector1._domainkey.{label} IN CNAME "
        f"selector1-{label}._domainkey.{label}.onmicrosoft.com.",
        f"selector2._domainkey.{label} IN CNAME "
        f"selector2-{label}._domainkey.{label}.onmicrosoft.com.",
        f"autodiscover.{label} IN CNAME autodiscover.outlook.com.",
    ]


def _onmicrosoft_keys(count: int) -> list[str]:
    # The DKIM keys the M365 and gateway domains' selector CNAMEs point at.
    lines = []
    for index in range(count):
        if kind_of(index) in ("m365", "m365_modern", "gateway"):
            label = f"d{index:06d}"
            for selector in ("selector1", "selector2"):
                lines.append(f"{selector}-{label}._domainkey.{label} IN TXT {DKIM_KEY}")
    return lines


def domain_names(count: int) -> Iterator[str]:
    """The synthetic domain names, generated (a list of 20,000 would weigh on peak memory)."""
    return (domain_name(index) for index in range(count))


def write_zones(directory: Path, count: int) -> list[str]:
    """Write every zone file for ``count`` synthetic domains; return the domain names."""
    directory.mkdir(parents=True, exist_ok=True)
    body = (line for index in range(count) for line in domain_records(index))
    _write_zone(directory, BENCH_ZONE, body)
    for origin, lines in PROVIDER_ZONES.items():
        extra = _onmicrosoft_keys(count) if origin == "onmicrosoft.com" else []
        _write_zone(directory, origin, [*lines, *extra])
    return list(domain_names(count))


def _write_zone(directory: Path, origin: str, lines: Iterable[str]) -> None:
    header = [
        "$TTL 300",
        f"@ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 60",
        f"@ IN NS ns.{origin}.",
    ]
    with (directory / f"{origin}.zone").open("w") as zone:
        for line in itertools.chain(header, lines):
            zone.write(line + "\n")


@contextmanager
def served_zones(directory: Path, *, latency_ms: float = 0) -> Iterator[str]:
    """Serve ``directory`` from a separate process; yields the server's "ip:port"."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hunter.testing.dns_server",
            str(directory),
            "--latency-ms",
            str(latency_ms),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        address = process.stdout.readline().strip()
        if not address:
            raise RuntimeError("the loopback DNS server did not start")
        yield address
    finally:
        process.terminate()
        process.wait(timeout=30)
