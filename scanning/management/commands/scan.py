"""`manage.py scan`: scan domains from the command line without touching the database.

It reads through the scan caches (Redis, never the database) unless --no-cache or
HUNTER_CACHE_ENABLED=false says otherwise.

A contract other tools drive: with --json it prints one JSON object per input, one line each,
in input order. Exit status 0 when every input was scanned or judged invalid, 1 when DNS left
some unresolved (worth retrying), 2 for a usage error.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, Protocol

from django.core.management.base import BaseCommand, CommandError

from scanning.caching import cached_scan
from scanning.config import engine_config
from scanning.engine.scan import ScanResult


class Writer(Protocol):
    def write(self, text: str) -> object: ...


TABLE_COLUMNS = (
    ("domain", 28),
    ("status", 10),
    ("provider", 18),
    ("score", 5),
    ("segment", 9),
    ("priority", 8),
    ("mx_root", 24),
)


class Command(BaseCommand):
    help = "Scan domains (DNS, registration data, provider, score) and print the results."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("inputs", nargs="*", metavar="INPUT", help="domain, URL or e-mail")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")
        parser.add_argument(
            "--no-registration", action="store_true", help="skip RDAP/WHOIS lookups"
        )
        parser.add_argument(
            "--file", type=Path, help="read inputs from a file, one per line ('-' for stdin)"
        )
        parser.add_argument(
            "--no-cache", action="store_true", help="ask DNS and registries, not the cache"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        inputs = [*options["inputs"], *read_inputs(options["file"])]
        if not inputs:
            raise CommandError("give at least one INPUT or --file PATH", returncode=2)
        config = engine_config(registration=False if options["no_registration"] else None)
        use_cache = False if options["no_cache"] else None  # None: HUNTER_CACHE_ENABLED
        results = cached_scan(inputs, config, use_cache=use_cache)
        if options["json"]:
            write_json_lines(results, self.stdout)
        else:
            write_table(results, self.stdout)
        if any(result.status == "unresolved" for result in results):
            sys.exit(1)


def read_inputs(path: Path | None) -> list[str]:
    """Inputs from a file (or stdin for '-'): one per line, blank lines and # comments skipped."""
    if path is None:
        return []
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read {path}: {error}", returncode=2) from None
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def write_json_lines(results: list[ScanResult], out: Writer) -> None:
    for result in results:
        out.write(json.dumps(result.to_record(), ensure_ascii=False) + "\n")


def write_table(results: list[ScanResult], out: Writer) -> None:
    out.write(_row([name.upper() for name, _ in TABLE_COLUMNS]) + "\n")
    for result in results:
        out.write(_row(table_cells(result)) + "\n")
        if result.message:
            out.write(f"  ↳ {result.input}: {result.message}\n")


def table_cells(result: ScanResult) -> list[str]:
    record = result.to_record()
    provider = record["provider"] or "-"
    if record["gateway"]:
        provider = f"{provider} via {record['gateway']}"
    return [
        record["domain"] or result.input,
        result.status,
        provider,
        "-" if record["score"] is None else str(record["score"]),
        record["segment"] or "-",
        record["priority_category"] or "-",
        record["mx_root"] or "-",
    ]


def _row(cells: list[str]) -> str:
    return "  ".join(
        cell.ljust(width) for cell, (_, width) in zip(cells, TABLE_COLUMNS, strict=True)
    ).rstrip()
