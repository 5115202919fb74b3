"""What the scan caches and the shared rate limits cost, and what the caches save.

    REDIS_URL=redis://... python bench/cache_limits.py [--domains 2000] [--acquires 5000]

Measures, against the Redis named by REDIS_URL (cache on its database, limits on db+2):

1. a limiter acquire through Redis (one Lua script call) and through the in-process fallback
   (the breaker open), median and p99;
2. a scan-cache hit and miss (a batch read of DNS facts for one domain);
3. a scan of N synthetic domains (bench/synthetic_dns.py, served over loopback DNS) with empty
   caches, then the same scan again reading through them.

Prints a readable summary, then one JSON line with cached_speedup, acquire_median_ms,
fallback_acquire_median_us and the other figures. Figures, never assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic_dns import served_zones, write_zones


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hunter.settings")
    os.environ.setdefault("HUNTER_ENV", "development")
    import django

    django.setup()


def timings(operation: Callable[[], object], count: int) -> list[float]:
    """Seconds per call of ``operation``, ``count`` times."""
    spent = []
    for _ in range(count):
        started = time.perf_counter()
        operation()
        spent.append(time.perf_counter() - started)
    return spent


def median_p99(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def acquire_costs(count: int) -> dict[str, float]:
    from hunter import ratelimit

    ratelimit.reset()
    limiter = ratelimit.limiter()
    if limiter.redis is None:
        raise SystemExit("REDIS_URL (or HUNTER_RATELIMIT_REDIS_URL) must name a Redis")
    key = f"bench:{time.time_ns()}"

    def acquire() -> object:
        return limiter.acquire(key, rate=1e6, burst=1_000_000)

    acquire()  # load the script and open the connection
    redis_median, redis_p99 = median_p99(timings(acquire, count))
    breaker = limiter.redis.breaker
    for _ in range(breaker.fail_max):
        breaker.failed()  # open it: every acquire now takes the in-process bucket
    fallback_median, fallback_p99 = median_p99(timings(acquire, count))
    breaker.succeeded()
    return {
        "acquire_median_ms": redis_median * 1e3,
        "acquire_p99_ms": redis_p99 * 1e3,
        "fallback_acquire_median_us": fallback_median * 1e6,
        "fallback_acquire_p99_us": fallback_p99 * 1e6,
    }


def cache_costs(count: int, sample_domain: str) -> dict[str, float]:
    from scanning import caching

    hit_median, _ = median_p99(timings(lambda: caching.dns_facts_get_many([sample_domain]), count))
    miss_median, _ = median_p99(
        timings(lambda: caching.dns_facts_get_many(["absent.invalid"]), count)
    )
    return {"cache_hit_median_us": hit_median * 1e6, "cache_miss_median_us": miss_median * 1e6}


def scan_costs(domains: list[str], address: str) -> dict[str, float]:
    from django.conf import settings

    from hunter.env import env_nameservers
    from scanning import caching
    from scanning.config import engine_config

    os.environ["HUNTER_DNS_NAMESERVERS"] = address
    settings.HUNTER_DNS_NAMESERVERS = env_nameservers("HUNTER_DNS_NAMESERVERS")
    config = engine_config(registration=False)
    caching.domain_invalidate(domains)
    started = time.perf_counter()
    first = caching.cached_scan(domains, config)
    uncached = time.perf_counter() - started
    started = time.perf_counter()
    second = caching.cached_scan(domains, config)
    cached = time.perf_counter() - started
    assert [r.to_record() for r in first] == [r.to_record() for r in second]
    return {
        "uncached_scan_s": uncached,
        "cached_scan_s": cached,
        "cached_speedup": uncached / cached,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domains", type=int, default=2000)
    parser.add_argument("--acquires", type=int, default=5000)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("set REDIS_URL: this benchmark measures Redis")
    setup_django()
    with tempfile.TemporaryDirectory() as folder:
        domains = write_zones(Path(folder), args.domains)
        with served_zones(Path(folder)) as address:
            figures = acquire_costs(args.acquires)
            scans = scan_costs(domains, address)
            figures |= cache_costs(args.acquires, domains[0]) | scans
    figures["domains"] = args.domains
    print(
        f"limiter acquire, Redis:    median {figures['acquire_median_ms']:.3f} ms, "
        f"p99 {figures['acquire_p99_ms']:.3f} ms"
    )
    print(
        f"limiter acquire, fallback: median {figures['fallback_acquire_median_us']:.1f} µs, "
        f"p99 {figures['fallback_acquire_p99_us']:.1f} µs"
    )
    print(
        f"cache hit {figures['cache_hit_median_us']:.0f} µs, "
        f"miss {figures['cache_miss_median_us']:.0f} µs (median)"
    )
    print(
        f"scan of {args.domains} domains: uncached {figures['uncached_scan_s']:.2f} s, "
        f"cached {figures['cached_scan_s']:.3f} s, speed-up {figures['cached_speedup']:.1f}x"
    )
    print(json.dumps({key: round(value, 4) for key, value in figures.items()}))


if __name__ == "__main__":
    main()
