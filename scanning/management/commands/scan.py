"""`manage.py scan`: scan domains from the command line without touching the database.

A contract other tools drive: with --json it prints one JSON object per input, one line each,
in input order. Exit status 0 when every input was scanned or judged invalid, 1 when DNS left
some unresolved (worth retrying), 2 for a usage error.

Inputs stream: the file is read as the scan goes and each line is printed as soon as it and
every line before it are done, so a million-line file needs no more memory than a short one
and the first results appear within seconds.
"""

from __future__ import annotations

import itertools
import json
import sys
from argparse import ArgumentParser
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, Protocol

from django.core.management.base import BaseCommand, CommandError

from scanning.config import engine_config
from scanning.engine.scan import EngineConfig, ScanResult, run, scan_stream


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

    def handle(self, *args: Any, **options: Any) -> None:
        with open_inputs(options["file"]) as source:
            inputs = non_empty(itertools.chain(options["inputs"], read_lines(source)))
            config = engine_config(registration=False if options["no_registration"] else None)
            write = write_json_line if options["json"] else TableWriter(self.stdout)
            unresolved = run(scan_to(inputs, config, write, self.stdout))
        if unresolved:
            sys.exit(1)


async def scan_to(inputs: Iterable[str], config: EngineConfig, write: Any, out: Writer) -> bool:
    """Print every result as it comes; True when DNS left any input unresolved."""
    unresolved = False
    async for result in scan_stream(inputs, config):
        write(result, out)
        unresolved = unresolved or result.status == "unresolved"
    return unresolved


def open_inputs(path: Path | None) -> AbstractContextManager[Iterable[str]]:
    """The input file (stdin for '-'; nothing without --file), or a usage error."""
    if path is None:
        return nullcontext([])
    if str(path) == "-":
        return nullcontext(sys.stdin)  # read, never closed by us
    try:
        return path.open(encoding="utf-8-sig")
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error}", returncode=2) from None


def read_lines(source: Iterable[str]) -> Iterator[str]:
    """Inputs one per line, blank lines and # comments skipped, read lazily."""
    try:
        for raw in source:
            line = raw.strip()
            if line and not line.startswith("#"):
                yield line
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read the input file: {error}", returncode=2) from None


def non_empty(inputs: Iterator[str]) -> Iterator[str]:
    """``inputs`` unchanged, or a usage error when there is not a single one."""
    first = next(inputs, None)
    if first is None:
        raise CommandError("give at least one INPUT or --file PATH", returncode=2)
    return itertools.chain([first], inputs)


def write_json_line(result: ScanResult, out: Writer) -> None:
    out.write(json.dumps(result.to_record(), ensure_ascii=False) + "\n")


class TableWriter:
    """Writes the table header once, then one row per result."""

    def __init__(self, out: Writer) -> None:
        out.write(_row([name.upper() for name, _ in TABLE_COLUMNS]) + "\n")

    def __call__(self, result: ScanResult, out: Writer) -> None:
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
