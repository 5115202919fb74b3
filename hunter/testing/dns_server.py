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
import io
import json
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import Literal, cast

import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.zone

Behaviour = Literal["servfail", "silent"]
BEHAVIOURS: frozenset[str] = frozenset({"servfail", "silent"})
BEHAVIOURS_FILE = "behaviours.json"
CLASSIC_UDP_LIMIT = 512  # RFC 1035 limit when the client does not advertise EDNS
MAX_MESSAGE = 65535
MAX_CNAME_HOPS = 8
DEFAULT_TTL = 300
BIND_ATTEMPTS = 5
UDP_RECEIVE_BUFFER = 4 * 1024 * 1024
HEADER = struct.Struct("!6H")
FLAG_QR, FLAG_AA, FLAG_TC, FLAG_RA = 0x8000, 0x0400, 0x0200, 0x0080
QUERY_FLAGS_ECHOED = 0x7900  # opcode and RD are copied from the query into the response
OPT_PREFIX = b"\x00\x00\x29"  # root owner name + type OPT: the EDNS pseudo-record
RRKey = tuple[str, int]  # (lower-case absolute name text, rdtype)
Rendered = tuple[bytes, int]  # an rrset's wire form (uncompressed) and its record count


def name_key(name: dns.name.Name) -> str:
    """The index key of a name: lower-case, absolute, labels joined by dots ("x.test.")."""
    return _labels_key([label.lower() for label in name.labels if label])


def _labels_key(labels: list[bytes]) -> str:
    return (b".".join(labels).decode("latin-1") + ".") if labels else "."


def _self_and_parents(key: str) -> Iterator[str]:
    while True:
        yield key
        if key == ".":
            return
        key = key.split(".", 1)[1] or "."


class DnsRecords:
    """The served data: rrsets indexed by (name, type) so adding and looking up are O(1).

    Keys are plain strings rather than dnspython names, and every rrset's wire form is rendered
    once, because the benchmarks need thousands of answers per second from one Python thread.
    """

    def __init__(self) -> None:
        self.rrsets: dict[RRKey, dns.rrset.RRset] = {}
        self.names: set[str] = set()
        self.zones: dict[str, RRKey] = {}
        self._rendered: dict[RRKey, Rendered] = {}

    def add_zone(self, origin: str | dns.name.Name) -> None:
        """Serve ``origin`` as a zone, with a synthetic SOA unless one is added."""
        name = _absolute(origin)
        soa = f"ns.{name} hostmaster.{name} 1 3600 600 86400 60"
        key = name_key(name)
        self.zones[key] = (key, dns.rdatatype.SOA)
        if (key, dns.rdatatype.SOA) not in self.rrsets:
            self.add_rrset(dns.rrset.from_text(name, DEFAULT_TTL, "IN", "SOA", soa))

    def add(self, name: str | dns.name.Name, rdtype: str, *values: str, ttl: int = 300) -> None:
        """Add records in presentation format: ``add("x.test", "MX", "10 mx.x.test.")``."""
        rrset = dns.rrset.from_text_list(_absolute(name), ttl, "IN", rdtype, list(values))
        self.add_rrset(rrset)

    def add_rrset(self, rrset: dns.rrset.RRset) -> None:
        """Add (merge) one rrset; its owner must be under a served zone to be answered."""
        key = (name_key(rrset.name), int(rrset.rdtype))
        existing = self.rrsets.get(key)
        if existing is None:
            self.rrsets[key] = rrset
        else:
            existing.union_update(rrset)
        self._rendered.pop(key, None)
        self._add_name_and_parents(key[0])

    def load_zone_file(self, path: Path) -> None:
        """Load one master file; the origin is the file name without ``.zone``."""
        origin = dns.name.from_text(path.name.removesuffix(".zone"))
        zone = dns.zone.from_file(str(path), origin=origin, relativize=False)
        for name, node in zone.nodes.items():
            for rdataset in node.rdatasets:
                rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype)
                rrset.update(rdataset)
                self.add_rrset(rrset)
        self.add_zone(origin)

    def zone_of(self, key: str) -> str | None:
        """The served zone that the name ``key`` falls under, or None."""
        for candidate in _self_and_parents(key):
            if candidate in self.zones:
                return candidate
        return None

    def rendered(self, key: RRKey) -> Rendered:
        """The wire form of one stored rrset, rendered on first use."""
        found = self._rendered.get(key)
        if found is None:
            buffer = io.BytesIO()
            count = self.rrsets[key].to_wire(buffer)
            found = self._rendered[key] = (buffer.getvalue(), count)
        return found

    def _add_name_and_parents(self, key: str) -> None:
        # Parents count as existing names (empty non-terminals answer NODATA, not NXDOMAIN).
        for candidate in _self_and_parents(key):
            if candidate in self.names and candidate != key:
                return
            self.names.add(candidate)


def _absolute(name: str | dns.name.Name) -> dns.name.Name:
    return name if isinstance(name, dns.name.Name) else dns.name.from_text(name)


@dataclass(frozen=True)
class Question:
    """The parts of a query the server needs, read straight from the wire."""

    ident: int
    flags: int
    name: str  # index key form, see name_key()
    rdtype: int
    section: bytes  # the question exactly as asked, echoed back in the response
    udp_limit: int

    @property
    def display_name(self) -> str:
        """The name as counted: lower-case, without the final dot."""
        return self.name[:-1] or "."


def parse_question(wire: bytes) -> Question | None:
    """Read a standard one-question query; anything else (garbage, responses) gives None."""
    if len(wire) < HEADER.size:
        return None
    ident, flags, qdcount, _, _, arcount = HEADER.unpack_from(wire)
    if flags & FLAG_QR or qdcount != 1:
        return None
    labels, position = _read_labels(wire, HEADER.size)
    if labels is None or position + 4 > len(wire):
        return None
    rdtype = struct.unpack_from("!H", wire, position)[0]
    end = position + 4
    limit = CLASSIC_UDP_LIMIT
    if arcount and wire[end : end + 3] == OPT_PREFIX and len(wire) >= end + 5:
        limit = max(CLASSIC_UDP_LIMIT, struct.unpack_from("!H", wire, end + 3)[0])
    return Question(ident, flags, _labels_key(labels), rdtype, wire[HEADER.size : end], limit)


def _read_labels(wire: bytes, position: int) -> tuple[list[bytes] | None, int]:
    labels: list[bytes] = []
    while position < len(wire):
        length = wire[position]
        if length == 0:
            return labels, position + 1
        if length > 63:  # compression pointers have no place in a query's only name
            return None, position
        labels.append(wire[position + 1 : position + 1 + length].lower())
        position += 1 + length
    return None, position


@dataclass
class Reply:
    """What to answer, before it is put on the wire."""

    rcode: int = dns.rcode.NOERROR
    authoritative: bool = False
    answer: list[RRKey] = field(default_factory=list)
    authority: list[RRKey] = field(default_factory=list)


class Answerer:
    """Decides the reply to one question from the served records and behaviours."""

    def __init__(self, records: DnsRecords, behaviours: dict[str, Behaviour]) -> None:
        self.records = records
        self.behaviours = behaviours

    def behaviour_for(self, key: str) -> Behaviour | None:
        """The behaviour set on the name ``key`` or on the nearest parent that has one."""
        for candidate in _self_and_parents(key):
            behaviour = self.behaviours.get(candidate)
            if behaviour is not None:
                return behaviour
        return None

    def reply(self, question: Question) -> Reply:
        """The reply to ``question`` (callers handle the ``silent`` behaviour first)."""
        if self.behaviour_for(question.name) == "servfail":
            return Reply(rcode=dns.rcode.SERVFAIL)
        zone = self.records.zone_of(question.name)
        if zone is None:
            return Reply(rcode=dns.rcode.REFUSED)
        reply = Reply(authoritative=True)
        name = self._follow_cnames(reply, question.name, question.rdtype)
        final_zone = self.records.zone_of(name)
        if (name, question.rdtype) in self.records.rrsets:
            reply.answer.append((name, question.rdtype))
        elif final_zone is not None and name not in self.records.names:
            reply.rcode = dns.rcode.NXDOMAIN
            reply.authority.append(self.records.zones[final_zone])
        elif not reply.answer:
            reply.authority.append(self.records.zones[zone])  # NODATA carries the SOA too
        return reply

    def _follow_cnames(self, reply: Reply, name: str, rdtype: int) -> str:
        if rdtype in (dns.rdatatype.CNAME, dns.rdatatype.ANY):
            return name
        for _ in range(MAX_CNAME_HOPS):
            key = (name, int(dns.rdatatype.CNAME))
            cname = self.records.rrsets.get(key)
            if cname is None:
                return name
            reply.answer.append(key)
            name = name_key(cname[0].target)
        return name


def render(records: DnsRecords, question: Question, reply: Reply, limit: int) -> bytes:
    """The response on the wire; over ``limit`` bytes it is cut to the header and TC set."""
    answer = [records.rendered(key) for key in reply.answer]
    authority = [records.rendered(key) for key in reply.authority]
    flags = FLAG_QR | FLAG_RA | (question.flags & QUERY_FLAGS_ECHOED) | reply.rcode
    flags |= FLAG_AA if reply.authoritative else 0
    body = b"".join(wire for wire, _ in answer) + b"".join(wire for wire, _ in authority)
    counts = (sum(n for _, n in answer), sum(n for _, n in authority))
    if HEADER.size + len(question.section) + len(body) > limit:
        return HEADER.pack(question.ident, flags | FLAG_TC, 1, 0, 0, 0) + question.section
    return HEADER.pack(question.ident, flags, 1, *counts, 0) + question.section + body


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
        loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop,
    ) -> None:
        self.records = DnsRecords()
        self.loop_factory = loop_factory
        self.behaviours: dict[str, Behaviour] = {}
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
        key = name_key(dns.name.from_text(name))
        if behaviour is None:
            self.behaviours.pop(key, None)
            return
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; expected one of {BEHAVIOURS}")
        self.behaviours[key] = behaviour

    # --- counters -----------------------------------------------------------------------------

    def query_count(self, name: str, rdtype: str = "A") -> int:
        """How many queries for (name, type) arrived since the last :meth:`reset_counts`."""
        counted = name_key(dns.name.from_text(name))[:-1] or "."
        return self.queries[(counted, rdtype.upper())]

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
        self._loop = self.loop_factory()
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

    def respond(self, wire: bytes, *, udp: bool) -> tuple[Question, bytes] | None:
        """The question and the wire reply to one query; None when the server stays silent."""
        question = parse_question(wire)
        if question is None:
            return None  # garbage on the port: real servers drop it too
        self._note("received", question)
        if self._answerer.behaviour_for(question.name) == "silent":
            return None
        reply = self._answerer.reply(question)
        limit = question.udp_limit if udp else MAX_MESSAGE
        return question, render(self.records, question, reply, limit)

    def note_answered(self, question: Question) -> None:
        """Record that the answer to ``question`` left (for tests that check ordering)."""
        self._note("answered", question)

    def _note(self, event: str, question: Question) -> None:
        key = (question.display_name, _type_text(question.rdtype))
        if event == "received":
            self.queries[key] += 1
        if self.record_events:
            self.events.append((event, *key))

    async def _handle_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                (length,) = struct.unpack("!H", await reader.readexactly(2))
                result = self.respond(await reader.readexactly(length), udp=False)
                if result is None:
                    continue
                if self.latency_ms > 0:
                    await asyncio.sleep(self.latency_ms / 1000)
                self.note_answered(result[0])
                writer.write(struct.pack("!H", len(result[1])) + result[1])
                await writer.drain()
        writer.close()


@lru_cache(maxsize=256)
def _type_text(rdtype: int) -> str:
    return dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rdtype))


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's UDP transport does not subclass DatagramTransport, hence the cast.
        self.transport = cast(asyncio.DatagramTransport, transport)
        sock = transport.get_extra_info("socket")
        # A benchmark's burst of hundreds of queries overflows the default buffer and the
        # kernel drops them silently; the OS caps the size we ask for at its own maximum.
        with suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        result = self.server.respond(data, udp=True)
        if result is None:
            return
        if self.server.latency_ms > 0:
            # A timer, not a sleep: the delayed answer never holds up the next query.
            loop = asyncio.get_running_loop()
            loop.call_later(self.server.latency_ms / 1000, self._send, *result, addr)
        else:
            self._send(*result, addr)

    def _send(self, question: Question, wire: bytes, addr: tuple[str | object, int]) -> None:
        self.server.note_answered(question)
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(wire, addr)


def serve_forever(zones: Iterable[Path], latency_ms: float, port: int) -> None:
    """Serve the given zone directories until interrupted (used by ``python -m``).

    On uvloop where it is installed: a benchmark measures the client, and the standard loop
    made this server the slower side of the exchange.
    """
    server = DnsServer(latency_ms=latency_ms, port=port, loop_factory=_fastest_loop_factory())
    for zones_dir in zones:
        server.load_directory(zones_dir)
    with server:
        print(server.nameserver, flush=True)  # the parent process reads the address from here
        threading.Event().wait()


def _fastest_loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is pinned, but a platform may lack it
        return asyncio.new_event_loop
    return uvloop.new_event_loop


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
