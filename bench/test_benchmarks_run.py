"""The benchmarks keep working: each runs on a tiny input and prints its JSON figures line.

No figure is asserted (speed is measured by running the benchmark, never tested); these only
make sure the scripts, their synthetic data and their output contract stay intact.
"""

from __future__ import annotations

import json
import os
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
