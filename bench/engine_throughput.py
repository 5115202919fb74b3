"""Engine throughput against a loopback DNS server, beside the fastest replay of its questions.

    python bench/engine_throughput.py [--domains 2000] [--concurrency 200] [--engine-only]

Serves N synthetic domains (bench/synthetic_dns.py: M365, Google, hosting, self-hosted,
gateways, some NXDOMAIN, a quarter with MTA-STS / TLS-RPT / BIMI / DNSKEY) from a loopback DNS
server in its own process, then measures in one run:

1. the engine (``scan_stream`` under the engine's event loop: normalization, DNS, provider,
   score, results in input order) in domains per second, the CPU it spent per domain and the
   process's peak memory by the end of it (the input is generated, never held as a list, so
   the peak at 1,000 and at 20,000 domains should be about the same);
2. the ceilings: exactly the questions the engine asked, each domain's together, at the same
   concurrency, with no parsing or decisions, replayed three ways: a bare
   ``dns.asyncresolver`` on the standard loop, raw ``dns.asyncquery.udp`` with prebuilt
   queries under uvloop, and the engine's own transport under uvloop. The strongest is the
   ceiling the engine is held against;
3. the engine again with 50 ms added to every DNS answer (what a real resolver costs).

``--engine-only`` stops after step 1: the way to see peak memory at 20,000 domains without
waiting for the replays.

Prints a readable summary, then one JSON line with engine_domains_per_s,
ceiling_domains_per_s (the strongest), each ceiling, ratio, ratio_latency_50ms (engine at
50 ms / engine at 0 ms), cpu_ms_per_domain, questions_per_domain and peak_rss_mb. Figures,
never assertions: speed is not tested, it is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dns.asyncquery
import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.nameserver
import uvloop
from dns.rdatatype import RdataType

from bench.synthetic_dns import BENCH_ZONE, domain_names, served_zones, write_zones
from scanning.engine.dns import DnsConfig
from scanning.engine.dns_transport import DnsTransportError, Question, UdpTransport, make_question
from scanning.engine.providers import dkim_selector_rounds_for
from scanning.engine.registration import RegistrationConfig
from scanning.engine.scan import EngineConfig, run, scan_stream

Asked = tuple[str, str]


class RecordingTransport(UdpTransport):
    """The engine's transport, also writing every question to a file for the replay."""

    def __init__(self, address: str, timeout: float, log: TextIO) -> None:
        super().__init__([nameserver(address)], timeout)
        self.log = log
        self.count = 0

    async def ask(self, question: Question) -> bytes:
        self.count += 1
        self.log.write(f"{question.name.lower()} {question.rdtype}\n")
        return await super().ask(question)


def nameserver(address: str) -> tuple[str, int]:
    host, port = address.rsplit(":", 1)
    return host, int(port)


def engine_config(
    address: str, concurrency: int, timeout: float, transport: UdpTransport | None = None
) -> EngineConfig:
    return EngineConfig(
        dns=DnsConfig(
            nameservers=(nameserver(address),),
            timeout=timeout,
            dkim_rounds=dkim_selector_rounds_for,
        ),
        registration=RegistrationConfig(enabled=False),
        dns_concurrency=concurrency,
        dns_transport=transport,
    )


async def _scan(count: int, config: EngineConfig) -> Counter[str]:
    statuses: Counter[str] = Counter()
    async for result in scan_stream(domain_names(count), config):
        statuses[result.status] += 1  # results are counted and dropped, as a CLI prints them
    return statuses


def engine_run(count: int, config: EngineConfig) -> dict[str, Any]:
    """Scan ``count`` domains on the engine's event loop: rate, CPU per domain, statuses."""
    started, cpu = time.perf_counter(), time.process_time()
    statuses = run(_scan(count, config))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"rate": count / wall, "cpu_ms": cpu * 1000 / count, "statuses": dict(statuses)}


def read_groups(log: Path) -> list[list[Asked]]:
    """Each synthetic domain's questions together; shared ones (SPF includes) alone."""
    groups: dict[str, list[Asked]] = defaultdict(list)
    suffix = "." + BENCH_ZONE
    with log.open() as questions:
        for line in questions:
            name, rdtype = line.split()
            owner = name[: -len(suffix)].rsplit(".", 1)[-1] if name.endswith(suffix) else None
            groups[owner or f"shared:{name}:{rdtype}"].append((name, rdtype))
    return list(groups.values())


async def replay(
    groups: list[list[Asked]], concurrency: int, ask: Callable[[str, str], Awaitable[Any]]
) -> float:
    """Seconds to ask every group's questions together, at most ``concurrency`` groups at once."""
    queue = iter(groups)

    async def worker() -> None:
        for questions in queue:
            await asyncio.gather(*(ask(name, rdtype) for name, rdtype in questions))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(groups)))))
    return time.perf_counter() - started


async def resolver_replay(groups: list[list[Asked]], address: str, concurrency: int) -> float:
    resolver = dns.asyncresolver.Resolver(configure=False)
    host, port = nameserver(address)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(host, port)]
    resolver.timeout = resolver.lifetime = 5.0
    resolver.cache = None

    async def ask(name: str, rdtype: str) -> None:
        # NXDOMAIN and friends cost the same round trip; that is all we measure.
        with suppress(dns.exception.DNSException):
            await resolver.resolve(name, _type(rdtype), search=False, raise_on_no_answer=False)

    return await replay(groups, concurrency, ask)


async def asyncquery_replay(groups: list[list[Asked]], address: str, concurrency: int) -> float:
    host, port = nameserver(address)

    async def ask(name: str, rdtype: str) -> None:
        query = dns.message.make_query(name, _type(rdtype))
        with suppress(dns.exception.DNSException):
            await dns.asyncquery.udp(query, host, timeout=5.0, port=port)

    return await replay(groups, concurrency, ask)


async def transport_replay(groups: list[list[Asked]], address: str, concurrency: int) -> float:
    transport = UdpTransport([nameserver(address)], 5.0)

    async def ask(name: str, rdtype: str) -> None:
        with suppress(DnsTransportError):
            await transport.ask(make_question(name, int(rdtype)))

    try:
        return await replay(groups, concurrency, ask)
    finally:
        transport.close()


def ceilings(groups: list[list[Asked]], count: int, address: str, concurrency: int) -> dict:
    seconds = {
        "resolver": asyncio.run(resolver_replay(groups, address, concurrency)),
        "asyncquery_uvloop": uvloop.run(asyncquery_replay(groups, address, concurrency)),
        "transport_uvloop": uvloop.run(transport_replay(groups, address, concurrency)),
    }
    return {name: count / elapsed for name, elapsed in seconds.items()}


def _type(number: str) -> RdataType:
    return RdataType.make(int(number))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(count: int, concurrency: int, timeout: float, *, engine_only: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        directory, log_path = Path(tmp) / "zones", Path(tmp) / "questions.log"
        write_zones(directory, count)  # the names are generated again when scanned
        with served_zones(directory) as address:
            engine_run(min(200, count), engine_config(address, concurrency, timeout))  # warm up
            with log_path.open("w") as log:
                recorder = RecordingTransport(address, timeout, log)
                engine = engine_run(count, engine_config(address, concurrency, timeout, recorder))
            peak = peak_rss_mb()  # before the replay loads the questions
            if engine_only:
                return engine_figures(count, concurrency, engine, recorder.count, peak)
            rates = ceilings(read_groups(log_path), count, address, concurrency)
        with served_zones(directory, latency_ms=50) as slow_address:
            slow = engine_run(count, engine_config(slow_address, concurrency, timeout))
    return figures(count, concurrency, engine, slow, rates, recorder.count, peak)


def engine_figures(
    count: int, concurrency: int, engine: dict[str, Any], questions: int, peak: float
) -> dict[str, Any]:
    """The engine's own figures (all that ``--engine-only`` measures)."""
    return {
        "domains": count,
        "concurrency": concurrency,
        "questions": questions,
        "questions_per_domain": round(questions / count, 2),
        "statuses": engine["statuses"],
        "engine_domains_per_s": round(engine["rate"], 1),
        "cpu_ms_per_domain": round(engine["cpu_ms"], 3),
        "peak_rss_mb": round(peak, 1),
    }


def figures(
    count: int,
    concurrency: int,
    engine: dict[str, Any],
    slow: dict[str, Any],
    rates: dict[str, float],
    questions: int,
    peak: float,
) -> dict[str, Any]:
    ceiling = max(rates.values())
    own = engine_figures(count, concurrency, engine, questions, peak)
    return {
        **own,
        "ceiling_domains_per_s": round(ceiling, 1),
        "ceilings": {name: round(rate, 1) for name, rate in rates.items()},
        "ratio": round(engine["rate"] / ceiling, 3),
        "engine_50ms_domains_per_s": round(slow["rate"], 1),
        "ratio_latency_50ms": round(slow["rate"] / engine["rate"], 3),
    }


def summary(f: dict[str, Any]) -> str:
    if "ceilings" not in f:
        return (
            f"{f['domains']} domains, {f['questions_per_domain']} questions and "
            f"{f['cpu_ms_per_domain']} ms CPU each: engine {f['engine_domains_per_s']}/s; "
            f"peak RSS {f['peak_rss_mb']} MB"
        )
    ceilings_text = ", ".join(f"{name} {rate}/s" for name, rate in f["ceilings"].items())
    return (
        f"{f['domains']} domains, {f['questions_per_domain']} questions and "
        f"{f['cpu_ms_per_domain']} ms CPU each: engine {f['engine_domains_per_s']}/s against "
        f"the ceiling {f['ceiling_domains_per_s']}/s (ratio {f['ratio']}; {ceilings_text}); "
        f"with 50 ms latency {f['engine_50ms_domains_per_s']}/s "
        f"({f['ratio_latency_50ms']} of the 0 ms rate); peak RSS {f['peak_rss_mb']} MB"
    )


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=2000, help="synthetic domains to scan")
    parser.add_argument("--concurrency", type=int, default=200, help="domains in flight")
    parser.add_argument("--timeout", type=float, default=5.0, help="DNS timeout in seconds")
    parser.add_argument(
        "--engine-only",
        action="store_true",
        help="measure the engine alone (no ceilings, no 50 ms run): a large --domains quickly",
    )
    args = parser.parse_args(None if argv is None else list(argv))
    if args.domains < 1:
        parser.error("--domains must be at least 1")
    result = measure(args.domains, args.concurrency, args.timeout, engine_only=args.engine_only)
    print(summary(result))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
