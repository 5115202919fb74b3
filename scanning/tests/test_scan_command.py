"""`manage.py scan`: the command-line contract other tools drive (issue: scanning engine)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from hunter.testing.dns_server import DnsServer

ROOT = Path(__file__).resolve().parents[2]


def run_scan(*args: str) -> tuple[list[dict], int]:
    out = StringIO()
    try:
        call_command("scan", *args, stdout=out)
        code = 0
    except CommandError as error:
        code = error.returncode
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    return lines, code


def test_json_lines_come_in_input_order_with_invalid_inputs_judged_not_fatal(
    app_dns_server: DnsServer,
) -> None:
    records, code = run_scan("--json", "--no-registration", "northwind.com", "N/A", "contoso.com")
    assert [r["input"] for r in records] == ["northwind.com", "N/A", "contoso.com"]
    assert [r["status"] for r in records] == ["ok", "invalid", "ok"]
    assert records[1]["message"] == "not a valid domain: placeholder value"
    assert records[0]["provider"] == "Google"
    assert code == 0


def test_unresolved_inputs_make_the_exit_status_one(app_dns_server: DnsServer, settings) -> None:
    settings.HUNTER_DNS_TIMEOUT = 0.5
    records, code = run_scan("--json", "--no-registration", "silent.com", "contoso.com")
    assert [r["status"] for r in records] == ["unresolved", "ok"]
    assert code == 1


def test_inputs_can_come_from_a_file_with_comments_and_blank_lines(
    app_dns_server: DnsServer, tmp_path: Path
) -> None:
    listing = tmp_path / "domains.txt"
    listing.write_text("# fair leads\n\nnorthwind.com\n  info@contoso.com  \n", encoding="utf-8")
    records, code = run_scan("--json", "--no-registration", "--file", str(listing))
    assert [r["domain"] for r in records] == ["northwind.com", "contoso.com"]
    assert code == 0


def test_the_readable_table_names_the_provider_and_the_gateway(app_dns_server: DnsServer) -> None:
    out = StringIO()
    call_command("scan", "--no-registration", "adatum.com", stdout=out)
    header, row = out.getvalue().splitlines()[:2]
    assert header.split()[:3] == ["DOMAIN", "STATUS", "PROVIDER"]
    assert "M365 via Mimecast" in row


def test_no_inputs_is_a_usage_error() -> None:
    with pytest.raises(CommandError, match="at least one INPUT"):
        call_command("scan")


def test_an_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("scan", "--file", str(tmp_path / "missing.txt"))


def test_the_command_runs_as_a_process_and_prints_one_json_line_per_input(
    dns_server: DnsServer,
) -> None:
    env = {
        **os.environ,
        "HUNTER_DNS_NAMESERVERS": dns_server.nameserver,
        "HUNTER_DNS_TIMEOUT": "1",
    }
    completed = subprocess.run(
        [sys.executable, "manage.py", "scan", "--json", "--no-registration", "nomail.com"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    (record,) = [json.loads(line) for line in completed.stdout.splitlines()]
    assert (record["domain"], record["null_mx"], record["segment"]) == ("nomail.com", True, "Skip")
