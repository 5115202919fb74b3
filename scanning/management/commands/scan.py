"""`manage.py scan`: scan domains from the command line without touching the database.

It reads through the scan caches (Redis, never the database) unless --no-cache or
HUNTER_CACHE_ENABLED=false says otherwise.

A contract other tools drive: with --json it prints one JSON object per input, one line each,
in input order. Exit status 0 when every input was scanned or judged invalid, 1 when DNS left
some unresolved (worth retrying), 2 for a usage error.

Inputs stream: the file is read as the scan goes, so a million-line file needs no more memory
than a short one and the first results appear within seconds. Without the caches each line is
printed as soon as it and every line before it are done; through the caches a window of inputs
(four per DNS slot) is looked up at once and printed in order.
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

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from scanning.caching import cached_scan
from scanning.config import engine_config
from scanning.engine.scan import WINDOW_PER_SLOT, EngineConfig, ScanResult, run, scan_stream


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
        with open_inputs(options["file"]) as source:
            inputs = non_empty(itertools.chain(options["inputs"], read_lines(source)))
            config = engine_config(registration=False if options["no_registration"] else None)
            write = write_json_line if options["json"] else TableWriter(self.stdout)
            if options["no_cache"] or not settings.HUNTER_CACHE_ENABLED:
                unresolved = run(scan_to(inputs, config, write, self.stdout))
            else:
                unresolved = scan_cached(inputs, config, write, self.stdout)
        if unresolved:
            raise CommandError(f"DNS did not answer for {unresolved} input(s)", returncode=1)


async def scan_to(inputs: Iterable[str], config: EngineConfig, write: Any, out: Writer) -> int:
    """Print every result as it comes; return how many inputs DNS left unresolved."""
    unresolved = 0
    async for result in scan_stream(inputs, config):
        write(result, out)
        unresolved += result.status == "unresolved"
    return unresolved


def scan_cached(inputs: Iterator[str], config: EngineConfig, write: Any, out: Writer) -> int:
    """Scan through the caches one window of inputs at a time, printing each window in order.

    The caches answer a whole batch in one round trip, so inputs go in windows of the
    streamed scan's size: memory stays bounded by the window, whatever the file's length.
    Returns how many inputs DNS left unresolved.
    """
    size = WINDOW_PER_SLOT * max(1, config.dns_concurrency)
    unresolved = 0
    while batch := list(itertools.islice(inputs, size)):
        for result in cached_scan(batch, config):
            write(result, out)
            unresolved += result.status == "unresolved"
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
