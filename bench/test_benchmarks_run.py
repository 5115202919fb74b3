"""The benchmarks keep working: each runs on a tiny input and prints its JSON figures line.

No figure is asserted (speed is measured by running the benchmark, never tested); these only
make sure the scripts, their synthetic data and their output contract stay intact.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_benchmark(script: str, *args: str) -> dict:
    completed = subprocess.run(
        [sys.executable, f"bench/{script}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_engine_throughput_prints_its_figures_as_the_last_json_line() -> None:
    figures = run_benchmark("engine_throughput.py", "--domains", "40", "--concurrency", "20")
    for key in (
        "engine_domains_per_s",
        "ceiling_domains_per_s",
        "ratio",
        "ratio_latency_50ms",
        "peak_rss_mb",
    ):
        assert figures[key] > 0, key
    # The synthetic mix keeps its shape: most domains resolve, a few do not exist.
    assert figures["statuses"]["ok"] > figures["statuses"]["nxdomain"] > 0


def test_bulk_scan_prints_its_figures_as_the_last_json_line() -> None:
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL", "").startswith(
        "postgres"
    ):
        pytest.skip("the bulk benchmark runs real workers: it needs PostgreSQL and Redis")
    figures = run_benchmark("bulk_scan.py", "--domains", "60", "--chunk-size", "20")
    for key in (
        "end_to_end_domains_per_s",
        "engine_domains_per_s",
        "ratio",
        "two_worker_speedup",
        "peak_worker_rss_mb",
    ):
        assert figures[key] > 0, key
    assert figures["domains"] == 60


def test_cache_limits_prints_its_figures_as_the_last_json_line() -> None:
    if not os.environ.get("REDIS_URL"):
        pytest.skip("the cache and limiter benchmark measures Redis")
    figures = run_benchmark("cache_limits.py", "--domains", "40", "--acquires", "200")
    for key in ("cached_speedup", "acquire_median_ms", "fallback_acquire_median_us"):
        assert figures[key] > 0, key


def test_lead_store_prints_its_figures_as_the_last_json_line() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the store benchmark writes to PostgreSQL")
    figures = run_benchmark("lead_store.py", "--domains", "40", "--chunk-size", "20")
    for key in ("first_pass_domains_per_s", "second_pass_domains_per_s", "lead_indexes"):
        assert figures[key] > 0, key


def test_api_latency_prints_its_figures_as_the_last_json_line() -> None:
    if shutil.which("wrk") is None:
        pytest.skip("the API benchmark drives gunicorn with wrk (apt-get install wrk)")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the API benchmark seeds PostgreSQL")
    figures = run_benchmark("api_latency.py", "--leads", "300", "--duration", "2", "--rounds", "1")
    # A loaded machine may finish no request of a URL in two seconds: the contract is the
    # keys and that nothing failed, never the speed.
    for key in ("api_rps", "bare_rps", "rps_ratio", "first_p99_ms", "bare_p99_ms", "deep_p99_ms"):
        assert isinstance(figures[key], (int, float)), key
    assert isinstance(figures["auth_overhead_ms"], float)  # a difference: noise may flip it
    assert figures["errors"] == 0


def test_pages_benchmark_prints_server_time_and_queries_of_every_page() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the pages benchmark measures PostgreSQL")
    figures = run_benchmark("pages.py", "--leads", "120", "--repeat", "1")
    assert figures["leads"] == 120
    for name, page in figures["pages"].items():
        assert page["median_ms"] > 0, name
        assert page["queries"] > 0, name


def test_worker_kills_prints_its_figures_as_the_last_json_line() -> None:
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL", "").startswith(
        "postgres"
    ):
        pytest.skip("the kill benchmark runs real workers: it needs PostgreSQL and Redis")
    figures = run_benchmark(
        "worker_kills.py",
        *("--domains", "40", "--chunk-size", "10", "--kills", "1", "--every", "1"),
        *("--visibility", "10", "--latency-ms", "500"),
    )
    assert figures["job_status"] == "completed"
    assert (figures["succeeded"], figures["domains_committed_twice"]) == (40, 0)
    assert figures["kills"] == 1
