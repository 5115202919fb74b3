"""A real DNS server on 127.0.0.1 for tests and benchmarks.

The server answers over UDP and TCP from records held in memory: standard zone files loaded
from a directory (one file per zone, the origin is the file name without ``.zone``) plus records
added programmatically. It behaves like the recursive server a scanner talks to, closely enough
that the engine's error handling is exercised for real:

* records present -> NOERROR with the answer (CNAME chains inside the served data are followed);
* the name exists without that type -> NOERROR with an empty answer (NODATA);
* the name does not exist under a served zone -> NXDOMAIN with the zone's SOA in authority;
* the name is outside every served zone -> REFUSED;
* behaviours chosen per name (and everything under it): ``servfail`` answers SERVFAIL,
  ``silent`` never answers, so clients time out;
* an optional latency is added to every answer without holding up other queries;
* a UDP answer larger than the client's limit is truncated (TC), so clients retry over TCP.

Behaviours can also come from ``behaviours.json`` in the zones directory, a mapping of name to
behaviour. Every question received is counted per (name, type) so tests and benchmarks can see
exactly what was asked. Run ``python -m hunter.testing.dns_server --help`` to serve a directory
from a separate process (benchmarks keep the server off the client's GIL that way).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import struct
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import Literal, cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

Behaviour = Literal["servfail", "silent"]
BEHAVIOURS: frozenset[str] = frozenset({"servfail", "silent"})
BEHAVIOURS_FILE = "behaviours.json"
CLASSIC_UDP_LIMIT = 512  # RFC 1035 limit when the client does not advertise EDNS
MAX_CNAME_HOPS = 8
DEFAULT_TTL = 300
BIND_ATTEMPTS = 5
RRKey = tuple[dns.name.Name, dns.rdatatype.RdataType]


class DnsRecords:
    """The served data: rrsets indexed by (name, type) so adding and looking up are O(1)."""

    def __init__(self) -> None:
        self.rrsets: dict[RRKey, dns.rrset.RRset] = {}
        self.names: set[dns.name.Name] = set()
        self.zones: dict[dns.name.Name, dns.rrset.RRset] = {}

    def add_zone(self, origin: str | dns.name.Name) -> None:
        """Serve ``origin`` as a zone, with a synthetic SOA unless one is added later."""
        name = _absolute(origin)
        soa = dns.rrset.from_text(
            name, DEFAULT_TTL, "IN", "SOA", f"ns.{name} hostmaster.{name} 1 3600 600 86400 60"
        )
        self.zones[name] = soa
        self.rrsets.setdefault((name, dns.rdatatype.SOA), soa)
        self.names.add(name)

    def add(self, name: str | dns.name.Name, rdtype: str, *values: str, ttl: int = 300) -> None:
        """Add records in presentation format: ``add("x.test", "MX", "10 mx.x.test.")``."""
        owner = _absolute(name)
        rrset = dns.rrset.from_text_list(owner, ttl, "IN", rdtype, list(values))
        self.add_rrset(rrset)

    def add_rrset(self, rrset: dns.rrset.RRset) -> None:
        """Add (merge) one rrset; its owner must be under a served zone to be answered."""
        key = (rrset.name, rrset.rdtype)
        existing = self.rrsets.get(key)
        if existing is None:
            self.rrsets[key] = rrset
        else:
            existing.union_update(rrset)
        if rrset.rdtype == dns.rdatatype.SOA and rrset.name in self.zones:
            self.zones[rrset.name] = self.rrsets[key]
        self._add_name_and_parents(rrset.name)

    def load_zone_file(self, path: Path) -> None:
        """Load one master file; the origin is the file name without ``.zone``."""
        origin = dns.name.from_text(path.name.removesuffix(".zone"))
        zone = dns.zone.from_file(str(path), origin=origin, relativize=False)
        self.add_zone(origin)
        for name, node in zone.nodes.items():
            for rdataset in node.rdatasets:
                rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype)
                rrset.update(rdataset)
                self.add_rrset(rrset)

    def zone_of(self, name: dns.name.Name) -> dns.name.Name | None:
        """The served zone that ``name`` falls under, or None."""
        for candidate in _self_and_parents(name):
            if candidate in self.zones:
                return candidate
        return None

    def _add_name_and_parents(self, name: dns.name.Name) -> None:
        # Parents count as existing names (empty non-terminals answer NODATA, not NXDOMAIN).
        for candidate in _self_and_parents(name):
            if candidate in self.names and candidate != name:
                return
            self.names.add(candidate)


def _absolute(name: str | dns.name.Name) -> dns.name.Name:
    return name if isinstance(name, dns.name.Name) else dns.name.from_text(name)


def _self_and_parents(name: dns.name.Name) -> Iterator[dns.name.Name]:
    while True:
        yield name
        if name == dns.name.root or name == dns.name.empty:
            return
        name = name.parent()


class Answerer:
    """Builds the reply to one query from the served records and behaviours."""

    def __init__(self, records: DnsRecords, behaviours: dict[dns.name.Name, Behaviour]) -> None:
        self.records = records
        self.behaviours = behaviours

    def behaviour_for(self, name: dns.name.Name) -> Behaviour | None:
        """The behaviour set on ``name`` or on the nearest parent that has one."""
        for candidate in _self_and_parents(name):
            behaviour = self.behaviours.get(candidate)
            if behaviour is not None:
                return behaviour
        return None

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        """The response to ``query`` (callers handle the ``silent`` behaviour first)."""
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        if self.behaviour_for(question.name) == "servfail":
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        self._fill(response, question.name, question.rdtype)
        return response

    def _fill(
        self, response: dns.message.Message, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType
    ) -> None:
        zone = self.records.zone_of(qname)
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return
        response.flags |= dns.flags.AA
        name = self._follow_cnames(response, qname, rdtype)
        rrset = self.records.rrsets.get((name, rdtype))
        final_zone = self.records.zone_of(name)
        if rrset is not None:
            response.answer.append(rrset)
        elif final_zone is not None and name not in self.records.names:
            response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(self.records.zones[final_zone])
        elif not response.answer:
            response.authority.append(self.records.zones[zone])  # NODATA carries the SOA too

    def _follow_cnames(
        self, response: dns.message.Message, name: dns.name.Name, rdtype: dns.rdatatype.RdataType
    ) -> dns.name.Name:
        if rdtype in (dns.rdatatype.CNAME, dns.rdatatype.ANY):
            return name
        for _ in range(MAX_CNAME_HOPS):
            cname = self.records.rrsets.get((name, dns.rdatatype.CNAME))
            if cname is None:
                return name
            response.answer.append(cname)
            name = cname[0].target
        return name


class DnsServer:
    """A loopback DNS server running in a background thread; use it as a context manager.

    ``port`` and ``nameserver`` ("127.0.0.1:PORT", the HUNTER_DNS_NAMESERVERS format) are set
    once started. ``latency_ms`` delays every answer; ``behaviours`` maps names to "servfail" or
    "silent". Both may be changed while the server runs.
    """

    def __init__(
        self,
        zones_dir: Path | str | None = None,
        *,
        latency_ms: float = 0,
        behaviours: dict[str, Behaviour] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.records = DnsRecords()
        self.behaviours: dict[dns.name.Name, Behaviour] = {}
        self.latency_ms = latency_ms
        self.host = host
        self.port = port
        self.queries: Counter[tuple[str, str]] = Counter()
        self.events: list[tuple[str, str, str]] = []
        self.record_events = False
        self._answerer = Answerer(self.records, self.behaviours)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None
        self._startup_error: BaseException | None = None
        if zones_dir is not None:
            self.load_directory(Path(zones_dir))
        for name, behaviour in (behaviours or {}).items():
            self.set_behaviour(name, behaviour)

    # --- data ---------------------------------------------------------------------------------

    def load_directory(self, zones_dir: Path) -> None:
        """Load every ``*.zone`` file and the optional ``behaviours.json`` from ``zones_dir``."""
        for path in sorted(zones_dir.glob("*.zone")):
            self.records.load_zone_file(path)
        sidecar = zones_dir / BEHAVIOURS_FILE
        if sidecar.exists():
            for name, behaviour in json.loads(sidecar.read_text()).items():
                self.set_behaviour(name, behaviour)

    def add_zone(self, origin: str) -> None:
        """Serve a new (empty) zone; records under it can then be added with :meth:`add`."""
        self.records.add_zone(origin)

    def add(self, name: str, rdtype: str, *values: str, ttl: int = 300) -> None:
        """Add records in presentation format under a served zone."""
        self.records.add(name, rdtype, *values, ttl=ttl)

    def set_behaviour(self, name: str, behaviour: Behaviour | None) -> None:
        """Make ``name`` and everything under it SERVFAIL or stay silent; None clears it."""
        key = dns.name.from_text(name)
        if behaviour is None:
            self.behaviours.pop(key, None)
            return
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; expected one of {BEHAVIOURS}")
        self.behaviours[key] = behaviour

    # --- counters -----------------------------------------------------------------------------

    def query_count(self, name: str, rdtype: str = "A") -> int:
        """How many queries for (name, type) arrived since the last :meth:`reset_counts`."""
        return self.queries[(_count_key(dns.name.from_text(name)), rdtype.upper())]

    def total_queries(self) -> int:
        """How many queries arrived in all since the last :meth:`reset_counts`."""
        return sum(self.queries.values())

    def reset_counts(self) -> None:
        """Forget the questions counted and the events recorded so far."""
        self.queries.clear()
        self.events.clear()

    @property
    def nameserver(self) -> str:
        """This server in the HUNTER_DNS_NAMESERVERS format, e.g. ``127.0.0.1:53535``."""
        return f"{self.host}:{self.port}"

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> DnsServer:
        """Bind UDP and TCP on one free port and serve from a background thread."""
        self._thread = threading.Thread(target=self._run, name="loopback-dns", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error
        return self

    def stop(self) -> None:
        """Close the sockets and end the background thread."""
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as error:  # surfaced to start() so a bind failure is visible
            self._startup_error = error
            self._ready.set()
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        tcp, udp = await self._bind()
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            udp.close()
            tcp.close()
            await tcp.wait_closed()

    async def _bind(self) -> tuple[asyncio.Server, asyncio.DatagramTransport]:
        # TCP picks the free port and UDP must get the same number; another process may hold
        # it for UDP, so try a few ports before giving up.
        loop = asyncio.get_running_loop()
        for attempt in range(BIND_ATTEMPTS):
            tcp = await asyncio.start_server(self._handle_tcp, self.host, self.port)
            port = tcp.sockets[0].getsockname()[1]
            try:
                udp, _ = await loop.create_datagram_endpoint(
                    lambda: _UdpProtocol(self), local_addr=(self.host, port)
                )
            except OSError:
                tcp.close()
                if self.port or attempt == BIND_ATTEMPTS - 1:
                    raise
                continue
            self.port = port
            return tcp, udp
        raise OSError("no free port for UDP and TCP")  # pragma: no cover

    # --- answering ----------------------------------------------------------------------------

    async def reply(self, wire: bytes, max_size: int | None) -> bytes | None:
        """The wire reply to one query, or None when the server must stay silent."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None  # garbage on the port: real servers drop it too
        if not query.question:
            return None
        name, rdtype = query.question[0].name, dns.rdatatype.to_text(query.question[0].rdtype)
        self._note("received", name, rdtype)
        if self._answerer.behaviour_for(name) == "silent":
            return None
        response = self._answerer.answer(query)
        if self.latency_ms > 0:
            await asyncio.sleep(self.latency_ms / 1000)
        self._note("answered", name, rdtype)
        limit = max_size or 65535
        return response.to_wire(max_size=limit, prefer_truncation=max_size is not None)

    def _note(self, event: str, name: dns.name.Name, rdtype: str) -> None:
        key = _count_key(name)
        if event == "received":
            self.queries[(key, rdtype)] += 1
        if self.record_events:
            self.events.append((event, key, rdtype))

    async def _handle_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                (length,) = struct.unpack("!H", await reader.readexactly(2))
                wire = await self.reply(await reader.readexactly(length), None)
                if wire is not None:
                    writer.write(struct.pack("!H", len(wire)) + wire)
                    await writer.drain()
        writer.close()


def _count_key(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower()


def _udp_limit(wire: bytes) -> int:
    """The reply size the client accepts: its EDNS payload, else the classic 512 bytes."""
    with suppress(dns.exception.DNSException):
        query = dns.message.from_wire(wire)
        if query.edns >= 0:
            return max(query.payload, CLASSIC_UDP_LIMIT)
    return CLASSIC_UDP_LIMIT


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None
        self.pending: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's UDP transport does not subclass DatagramTransport, hence the cast.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        # Each query gets its own task so a delayed answer never holds up the next query.
        task = asyncio.get_running_loop().create_task(self._answer(data, addr))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _answer(self, data: bytes, addr: tuple[str | object, int]) -> None:
        wire = await self.server.reply(data, _udp_limit(data))
        if wire is not None and self.transport is not None:
            self.transport.sendto(wire, addr)


def serve_forever(zones: Iterable[Path], latency_ms: float, port: int) -> None:
    """Serve the given zone directories until interrupted (used by ``python -m``)."""
    server = DnsServer(latency_ms=latency_ms, port=port)
    for zones_dir in zones:
        server.load_directory(zones_dir)
    with server:
        print(server.nameserver, flush=True)  # the parent process reads the address from here
        threading.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve zone files on 127.0.0.1 (tests only).")
    parser.add_argument("zones", nargs="+", type=Path, help="directories of *.zone files")
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args()
    with suppress(KeyboardInterrupt):
        serve_forever(args.zones, args.latency_ms, args.port)


if __name__ == "__main__":
    main()
