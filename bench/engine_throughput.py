"""Engine throughput against a loopback DNS server, beside the bare-dnspython ceiling.

    python bench/engine_throughput.py [--domains 2000] [--concurrency 200]

Serves N synthetic domains (bench/synthetic_dns.py: M365, Google, hosting, self-hosted,
gateways, some NXDOMAIN) from a loopback DNS server in its own process, then measures in one
run:

1. the engine (``scan_many``: normalization, DNS, provider, score) in domains per second;
2. the raw ceiling: exactly the DNS questions the engine asked, replayed with a bare
   ``dns.asyncresolver`` at the same concurrency, no parsing;
3. the engine again with 50 ms added to every DNS answer (what a real resolver costs).

Prints a readable summary, then one JSON line with engine_domains_per_s,
ceiling_domains_per_s, ratio, ratio_latency_50ms (engine at 50 ms / engine at 0 ms) and
peak_rss_mb. Figures, never assertions: speed is not tested, it is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import suppress
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dns.asyncresolver
import dns.nameserver

from bench.synthetic_dns import served_zones, write_zones
from scanning.engine.dns import DnsConfig
from scanning.engine.providers import dkim_selectors_for
from scanning.engine.registration import RegistrationConfig
from scanning.engine.scan import EngineConfig, scan_many

Question = tuple[str, str]


class RecordingResolver(dns.asyncresolver.Resolver):
    """A real resolver that also notes every question asked, to replay them for the ceiling."""

    def __init__(self) -> None:
        super().__init__(configure=False)
        self.questions: list[Question] = []

    async def resolve(self, qname: Any, rdtype: Any = "A", *args: Any, **kwargs: Any) -> Any:
        self.questions.append((str(qname).rstrip(".").lower(), str(rdtype)))
        return await super().resolve(qname, rdtype, *args, **kwargs)


def configure(resolver: dns.asyncresolver.Resolver, address: str, timeout: float) -> None:
    host, port = address.rsplit(":", 1)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(host, int(port))]
    resolver.timeout = resolver.lifetime = timeout
    resolver.cache = None


def engine_config(
    address: str, concurrency: int, timeout: float, resolver: RecordingResolver | None = None
) -> EngineConfig:
    host, port = address.rsplit(":", 1)
    if resolver is not None:
        configure(resolver, address, timeout)
    return EngineConfig(
        dns=DnsConfig(
            nameservers=((host, int(port)),), timeout=timeout, dkim_selectors=dkim_selectors_for
        ),
        registration=RegistrationConfig(enabled=False),
        dns_concurrency=concurrency,
        dns_resolver=resolver,
    )


async def engine_rate(domains: list[str], config: EngineConfig) -> tuple[float, list[Any]]:
    started = time.perf_counter()
    results = await scan_many(domains, config)
    return len(domains) / (time.perf_counter() - started), results


def group_by_domain(questions: list[Question], domains: list[str]) -> list[list[Question]]:
    """Each domain's questions together; shared ones (SPF includes) form groups of one."""
    suffixes = {domain: domain for domain in domains}
    groups: dict[str, list[Question]] = defaultdict(list)
    for name, rdtype in questions:
        owner = next(
            (s for s in _suffixes(name) if s in suffixes), None
        )  # the domain the question belongs to
        groups[owner or f"shared:{name}:{rdtype}"].append((name, rdtype))
    return list(groups.values())


def _suffixes(name: str) -> list[str]:
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


async def ceiling_rate(
    groups: list[list[Question]], domain_count: int, address: str, concurrency: int
) -> float:
    """Bare dnspython: the same questions, each domain's at once, same concurrency bound."""
    resolver = dns.asyncresolver.Resolver(configure=False)
    configure(resolver, address, 5.0)
    gate = asyncio.Semaphore(concurrency)

    async def ask(name: str, rdtype: str) -> None:
        # NXDOMAIN and friends cost the same round trip; that is all we measure.
        with suppress(dns.exception.DNSException):
            await resolver.resolve(name, rdtype, raise_on_no_answer=False)

    async def group(questions: list[Question]) -> None:
        async with gate:
            await asyncio.gather(*(ask(name, rdtype) for name, rdtype in questions))

    started = time.perf_counter()
    await asyncio.gather(*(group(questions) for questions in groups))
    return domain_count / (time.perf_counter() - started)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(count: int, concurrency: int, timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        domains = write_zones(Path(tmp), count)
        with served_zones(Path(tmp)) as address:
            warm = engine_config(address, concurrency, timeout)
            await engine_rate(domains[: min(200, count)], warm)  # imports, tables, sockets
            # Recording costs a list append per question; the timed run records for the replay.
            recorder = RecordingResolver()
            config = engine_config(address, concurrency, timeout, recorder)
            engine, results = await engine_rate(domains, config)
            questions = recorder.questions
            groups = group_by_domain(questions, domains)
            ceiling = await ceiling_rate(groups, count, address, concurrency)
        with served_zones(Path(tmp), latency_ms=50) as slow_address:
            slow = engine_config(slow_address, concurrency, timeout)
            engine_50ms, _ = await engine_rate(domains, slow)
    statuses: dict[str, int] = defaultdict(int)
    for result in results:
        statuses[result.status] += 1
    return {
        "domains": count,
        "concurrency": concurrency,
        "questions": len(questions),
        "questions_per_domain": round(len(questions) / count, 2),
        "statuses": dict(statuses),
        "engine_domains_per_s": round(engine, 1),
        "ceiling_domains_per_s": round(ceiling, 1),
        "ratio": round(engine / ceiling, 3),
        "engine_50ms_domains_per_s": round(engine_50ms, 1),
        "ratio_latency_50ms": round(engine_50ms / engine, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=2000, help="synthetic domains to scan")
    parser.add_argument("--concurrency", type=int, default=200, help="domains in flight")
    parser.add_argument("--timeout", type=float, default=5.0, help="DNS timeout in seconds")
    args = parser.parse_args()
    if args.domains < 1:
        parser.error("--domains must be at least 1")
    figures = asyncio.run(run(args.domains, args.concurrency, args.timeout))
    print(
        f"{figures['domains']} domains, {figures['questions_per_domain']} questions each: "
        f"engine {figures['engine_domains_per_s']}/s, ceiling "
        f"{figures['ceiling_domains_per_s']}/s (ratio {figures['ratio']}); "
        f"with 50 ms latency {figures['engine_50ms_domains_per_s']}/s "
        f"({figures['ratio_latency_50ms']} of the 0 ms rate); peak RSS "
        f"{figures['peak_rss_mb']} MB"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
