"""REST API latency under load: the lead list (first and deep page), a lead, and the floor.

    python bench/api_latency.py [--leads 100000] [--duration 10] [--connections 16] [--rounds 3]

Seeds N scored leads in its own PostgreSQL database (DATABASE_URL's name + "_apibench";
DATABASE_URL unset = the local PostgreSQL of the test settings), starts Hunter under
gunicorn (hunter/gunicorn.conf.py) and drives it with wrk (Debian package ``wrk``) at 16
connections, each request signed with one of a few API keys (so the per-key limit is
exercised, not hit), with worker recycling off (a recycle's start-up is a one-off stall that
would land in whichever URL is running). Every URL runs ``--rounds`` times, interleaved, and
each figure is the median of its rounds. In the same run it measures:

* ``/api/v1/leads?segment=Migration`` - page 1 and a deep page (600, or the last one);
* ``/api/v1/leads/<domain>``;
* ``/bench/bare-leads?segment=Migration`` - the same query through a bare view
  (``.values()`` + orjson, no DRF): the floor the API adds to;
* the API-key check, in process: a request to a DRF view behind the check against the same
  view without it (the difference of medians is ``auth_overhead_ms``), and the check alone,
  with the uncached prefix lookup it avoids and the SHA-512 compare, in milliseconds;
* the export of every lead as CSV and as XLSX, in process, once each (``export_csv_s``,
  ``export_xlsx_s``): one request that must finish inside the web worker's timeout.

Prints a summary, then one JSON line with api_rps, bare_rps, rps_ratio, first_p99_ms,
bare_p99_ms, deep_p99_ms, detail_p99_ms, auth_overhead_ms and more. Figures, never
assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hunter"
SETTINGS = "bench.api_bench_settings"
SEED_BATCH = 5000
KEYS = 16
AUTH_CHECKS = 2000
AUTH_REQUESTS = 500
SEGMENTS = (("Migration", 0.40, 60, 100), ("Existing", 0.30, 20, 95), ("Cold", 0.25, 5, 59))
PROVIDERS = {"Migration": "Google", "Existing": "M365", "Cold": "Local", "Skip": "Unknown"}


def bench_database_url(url: str) -> str:
    """The benchmark's own database beside the given one, so it never touches real data."""
    base, _, name = url.rpartition("/")
    name, _, query = name.partition("?")
    return f"{base}/{name}_apibench" + (f"?{query}" if query else "")


def setup_django(database_url: str) -> None:
    from hunter.ensure_database import ensure_database

    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    ensure_database(database_url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _segment(number: int) -> tuple[str, int]:
    rng = random.Random(number)
    draw = rng.random()
    for name, share, low, high in SEGMENTS:
        if draw < share:
            return name, rng.randint(low, high)
        draw -= share
    return "Skip", 0


def seed(count: int) -> None:
    """Exactly ``count`` scored leads (reused between runs when the count matches)."""
    from django.db import connection

    from bench.bulk_scan import settle_tables
    from leads.models import Company, DomainSignals, LeadScore
    from leads.priority import priority_score

    if LeadScore.objects.filter(score__isnull=False).count() == count:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Company._meta.db_table} CASCADE")
    for start in range(0, count, SEED_BATCH):
        numbers = range(start, min(start + SEED_BATCH, count))
        companies = Company.objects.bulk_create(
            Company(domain=f"lead{n}.com.tr", canonical_name=f"Lead {n} A.Ş.", country="TR")
            for n in numbers
        )
        signals, scores = [], []
        for number, company in zip(numbers, companies, strict=True):
            segment, score = _segment(number)
            company.provider = PROVIDERS[segment]
            signals.append(
                DomainSignals(
                    company=company,
                    status="ok",
                    registration_status="ok",
                    provider=company.provider,
                    mx_root="google.com",
                    spf=True,
                    dkim=number % 3 > 0,
                    dmarc_policy="quarantine",
                    dmarc_coverage=100,
                    registrar="Registrar",
                    nameservers=["ns1.example.net", "ns2.example.net"],
                )
            )
            scores.append(
                LeadScore(
                    company=company,
                    score=score,
                    segment=segment,
                    reason=f"{segment}. Score: {score}",
                    priority_score=priority_score(segment, score),
                    priority_category=f"P{priority_score(segment, score) % 6 + 1}",
                    technical_heat="Cold",
                    commercial_segment="NO_GO",
                    commercial_heat="LOW",
                )
            )
        Company.objects.bulk_update(companies, ["provider"])
        DomainSignals.objects.bulk_create(signals)
        LeadScore.objects.bulk_create(scores)
    settle_tables()


def api_keys() -> list[str]:
    from hunter.api.models import APIKey

    APIKey.objects.all().delete()
    return [
        APIKey.objects.create_key(name=f"bench-{n}", rate_limit_per_minute=10_000)[1]
        for n in range(KEYS)
    ]


def _request_ms(client: Any, path: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    response = client.get(path, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.content
    return elapsed


def auth_overhead_ms(secret: str) -> dict[str, float]:
    """What the API-key check costs, in process, on this (possibly loaded) machine.

    ``auth_overhead_ms``: median time of a request to a DRF view behind the key check minus
    that of the same view without it, interleaved so both see the same load. Also the check
    alone (cached key row), the uncached lookup it replaces, and the hash compare alone.
    """
    from statistics import median

    from django.test import Client

    from hunter.api import keys
    from hunter.api.models import APIKey

    client, header = Client(HTTP_HOST="127.0.0.1"), {"X-API-Key": secret}
    with_key, without = [], []
    for _ in range(AUTH_REQUESTS):
        with_key.append(_request_ms(client, "/bench/ping-key", header))
        without.append(_request_ms(client, "/bench/ping", {}))
    key = keys.api_key_check(secret)
    assert key is not None
    check = _mean_ms(lambda: keys.api_key_check(secret))
    lookup = _mean_ms(lambda: keys._load(key.prefix))
    compare = _mean_ms(lambda: APIKey.objects.key_generator.verify(secret, key.hashed_key))
    return {
        "auth_overhead_ms": round(median(with_key) - median(without), 3),
        "request_with_key_ms": round(median(with_key), 3),
        "request_without_key_ms": round(median(without), 3),
        "auth_check_ms": round(check, 4),
        "auth_db_lookup_ms": round(lookup, 4),
        "auth_hash_ms": round(compare, 4),
    }


def export_seconds(secret: str) -> dict[str, float]:
    """Seconds to stream the whole lead list as CSV and as XLSX, once each, in process.

    One request must finish inside the web worker's timeout (HUNTER_WEB_TIMEOUT).
    """
    from django.test import Client

    client, header = Client(HTTP_HOST="127.0.0.1"), {"X-API-Key": secret}
    figures = {}
    for form in ("csv", "xlsx"):
        started = time.perf_counter()
        response = client.get(f"/api/v1/leads/export?format={form}", headers=header)
        assert response.status_code == 200, response.status_code
        assert response.getvalue()  # the whole stream, read as a client would
        figures[f"export_{form}_s"] = round(time.perf_counter() - started, 2)
    return figures


def _mean_ms(call: Any) -> float:
    started = time.perf_counter()
    for _ in range(AUTH_CHECKS):
        call()
    return (time.perf_counter() - started) * 1000 / AUTH_CHECKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(database_url: str, log_dir: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DATABASE_URL": database_url,
        "HUNTER_BIND": f"127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        # A recycled worker's start-up would land in whichever URL is being measured.
        "HUNTER_WEB_MAX_REQUESTS": "0",
    }
    command = [sys.executable, "-m", "gunicorn", "--config", "hunter/gunicorn.conf.py"]
    with open(log_dir / "gunicorn.log", "wb") as log:
        server = subprocess.Popen(
            [*command, "hunter.wsgi:application"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/healthz/live", timeout=2)  # noqa: S310
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start; see its log")


WRK_SCRIPT = """
local keys = {%s}
request = function()
  return wrk.format(nil, nil, {["X-API-Key"] = keys[math.random(#keys)]})
end
"""
_LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, script: Path, duration: int, connections: int) -> dict[str, float]:
    """requests/s, p50 and p99 (ms) and non-2xx count of ``url`` under wrk."""
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency",
        "-s", str(script), url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = {p: float(v) * _UNITS[u] for p, v, u in _LATENCY.findall(output)}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: .*timeout (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50_ms": round(latency["50"], 2),
        "p99_ms": round(latency["99"], 2),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (int(socket_errors.group(1)) if socket_errors else 0),
    }


def deep_page(lead_count: int) -> int:
    from hunter.api.pagination import DEFAULT_PAGE_SIZE
    from leads.models import LeadScore

    migration = LeadScore.objects.filter(segment="Migration").count()
    return max(1, min(600, -(-migration // DEFAULT_PAGE_SIZE)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per URL")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of every URL, interleaved; medians reported"
    )
    args = parser.parse_args()
    database_url = bench_database_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    setup_django(database_url)
    started = time.perf_counter()
    seed(args.leads)
    seeded_s = time.perf_counter() - started
    secrets = api_keys()
    figures: dict[str, Any] = {"leads": args.leads, "seed_s": round(seeded_s, 1)}
    figures.update(auth_overhead_ms(secrets[0]))
    figures.update(export_seconds(secrets[0]))
    page = deep_page(args.leads)
    urls = {
        "first": "/api/v1/leads?segment=Migration",
        "deep": f"/api/v1/leads?segment=Migration&page={page}",
        "detail": "/api/v1/leads/lead1.com.tr",
        "bare": "/bench/bare-leads?segment=Migration",
    }
    # Seconds a request: its backlog would still be running when the next URL starts, so it
    # runs once, last.
    bare_deep = f"/bench/bare-leads?segment=Migration&page={page}"
    with tempfile.TemporaryDirectory() as tmp, gunicorn(database_url, Path(tmp)) as base:
        script = Path(tmp) / "keys.lua"
        script.write_text(WRK_SCRIPT % ", ".join(f'"{s}"' for s in secrets))
        for path in urls.values():
            wrk(base + path, script, 2, args.connections)  # warm up
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
        for _ in range(args.rounds):  # interleaved, so a noisy minute spreads over every URL
            for name, path in urls.items():
                rounds[name].append(wrk(base + path, script, args.duration, args.connections))
        runs = {name: _medians(measured) for name, measured in rounds.items()}
        runs["bare_deep"] = wrk(base + bare_deep, script, args.duration, args.connections)
    report(figures, runs, page)


def _medians(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the rounds (errors: their sum)."""
    figures = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    figures["errors"] = sum(run["errors"] for run in runs)
    return figures


def report(figures: dict[str, Any], runs: dict[str, dict[str, float]], page: int) -> None:
    load = os.getloadavg()[0]
    print(
        f"API latency, {figures['leads']:,} leads (seeded in {figures['seed_s']} s), "
        f"deep page {page}, load average {load:.1f} on {os.cpu_count()} CPUs"
    )
    figures["load_average"] = round(load, 1)
    for name, run in runs.items():
        print(
            f"  {name:10} {run['rps']:8.1f} req/s   p50 {run['p50_ms']:7.2f} ms"
            f"   p99 {run['p99_ms']:7.2f} ms   errors {run['errors']}"
        )
    print(
        f"  API-key check, in process: a request with a key {figures['request_with_key_ms']} ms,"
        f" without {figures['request_without_key_ms']} ms (median): overhead"
        f" {figures['auth_overhead_ms']} ms; the check alone {figures['auth_check_ms']} ms"
        f" (the uncached row lookup it avoids {figures['auth_db_lookup_ms']} ms,"
        f" the hash compare {figures['auth_hash_ms']} ms)"
    )
    print(
        f"  Export of every lead, in process: CSV {figures['export_csv_s']} s,"
        f" XLSX {figures['export_xlsx_s']} s"
    )
    first, bare = runs["first"], runs["bare"]
    figures.update(
        api_rps=first["rps"],
        bare_rps=bare["rps"],
        rps_ratio=round(first["rps"] / bare["rps"], 3) if bare["rps"] else 0.0,
        first_p99_ms=first["p99_ms"],
        bare_p99_ms=bare["p99_ms"],
        deep_p99_ms=runs["deep"]["p99_ms"],
        bare_deep_p99_ms=runs["bare_deep"]["p99_ms"],
        detail_p99_ms=runs["detail"]["p99_ms"],
        detail_rps=runs["detail"]["rps"],
        deep_page=page,
        errors=sum(run["errors"] for run in runs.values()),
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
