"""The lean way the engine asks DNS: a few shared UDP sockets, answers matched by message id.

A stub scanner needs none of what ``dns.asyncresolver.Resolver`` adds per question (search
lists, a Resolution object, an Answer with its canonical-name walk, a new socket per query):
on a fast resolver that layer cost more CPU than the answer itself. Here a question is a few
bytes built by hand, sent on one of a small pool of long-lived sockets, and its answer is
parsed once by dnspython. A truncated answer is asked again over TCP.

Answers are matched on the message id *and* the exact question bytes, sockets are connected to
the nameserver (the kernel drops datagrams from anyone else) and every socket has its own
random source port, so a forged answer must guess the id, the port and the question.

A timeout, SERVFAIL or REFUSED is retried on the next nameserver within the time budget;
each attempt gets half of it, so one lost datagram gets one retry. The answer comes back as
wire bytes, read by :mod:`scanning.engine.dns_wire`.
"""

from __future__ import annotations

import asyncio
import random
import struct
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.resolver
from dns.rdatatype import RdataType

from scanning.engine.dns_wire import is_truncated, rcode_of

SOCKETS_PER_NAMESERVER = 4
EDNS_PAYLOAD = 1232  # the DNS flag day 2020 size: large TXT answers without fragmentation
_HEADER = struct.Struct("!6H")
_FLAG_RD = 0x0100
_OPT_RECORD = b"\x00" + struct.pack("!HHIH", 41, EDNS_PAYLOAD, 0, 0)
_RETRY_ON = frozenset({dns.rcode.SERVFAIL, dns.rcode.REFUSED})
_ids = random.SystemRandom()


class DnsTransportError(dns.exception.DNSException):
    """Every nameserver failed a question; ``reason`` says how (timeout, servfail, ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Question:
    """One question: the name as asked (no final dot), its type, and its wire form."""

    name: str
    rdtype: RdataType
    wire: bytes


@lru_cache(maxsize=4096)  # SPF include targets and provider names repeat across a run
def make_question(name: str, rdtype: str | int) -> Question:
    """The question for ``name`` / ``rdtype`` in class IN; a bad name raises DNSException."""
    qname = dns.name.from_text(name)
    qtype = RdataType.make(rdtype)
    wire = bytes(qname.to_wire() or b"") + struct.pack("!HH", qtype, 1)
    return Question(qname.to_text(omit_final_dot=True), qtype, wire)


def query_wire(query_id: int, question: bytes) -> bytes:
    """A recursive query with one question and an EDNS0 OPT record."""
    return _HEADER.pack(query_id, _FLAG_RD, 1, 0, 0, 1) + question + _OPT_RECORD


class _Channel(asyncio.DatagramProtocol):
    """One connected UDP socket and the questions waiting for an answer on it."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.pending: dict[int, tuple[asyncio.Future[bytes], bytes]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: object) -> None:
        if len(data) < 12:
            return
        waiting = self.pending.get(int.from_bytes(data[:2], "big"))
        # A late answer to an expired question, or one to a different question, is dropped.
        if waiting is None or data[12 : 12 + len(waiting[1])] != waiting[1]:
            return
        future, _ = waiting
        if not future.done():
            future.set_result(data)

    def error_received(self, exc: Exception) -> None:
        # ICMP "port unreachable" and friends: nothing listens; let the questions time out.
        return None

    def free_id(self) -> int:
        while True:
            query_id = _ids.getrandbits(16)
            if query_id not in self.pending:
                return query_id


class UdpTransport:
    """Asks questions of ``nameservers`` ((ip, port) pairs; empty: the system's)."""

    def __init__(
        self,
        nameservers: Sequence[tuple[str, int]],
        timeout: float,
        sockets_per_nameserver: int = SOCKETS_PER_NAMESERVER,
    ) -> None:
        self.nameservers = tuple(nameservers) or system_nameservers()
        self.timeout = timeout
        self.sockets_per_nameserver = sockets_per_nameserver
        self._channels: list[list[_Channel]] = []
        self._opening: asyncio.Future[None] | None = None
        self._turn = 0

    async def ask(self, question: Question) -> bytes:
        """The answer on the wire; raises :class:`DnsTransportError` when no nameserver
        answered (or every one failed with SERVFAIL or REFUSED)."""
        if not self.nameservers:
            raise DnsTransportError("no nameservers")
        await self._open()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        reason = "timeout"
        for attempt in range(max(2, len(self.nameservers))):
            budget = min(self.timeout / 2, deadline - loop.time())
            if budget <= 0:
                break
            server = attempt % len(self.nameservers)
            wire = await self._attempt(server, question.wire, budget)
            if wire is None:
                reason = "timeout"
                continue
            if is_truncated(wire):
                wire = await self._over_tcp(server, question, budget)
            if rcode_of(wire) not in _RETRY_ON:
                return wire
            reason = "refused" if rcode_of(wire) == dns.rcode.REFUSED else "servfail"
        raise DnsTransportError(reason)

    async def _attempt(self, server: int, question: bytes, budget: float) -> bytes | None:
        self._turn += 1
        pool = self._channels[server]
        channel = pool[self._turn % len(pool)]
        query_id = channel.free_id()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes] = loop.create_future()
        channel.pending[query_id] = (future, question)
        expiry = loop.call_later(budget, _expire, future)
        try:
            assert channel.transport is not None
            channel.transport.sendto(query_wire(query_id, question))
            return await future
        except TimeoutError:
            return None
        finally:
            expiry.cancel()
            channel.pending.pop(query_id, None)

    async def _over_tcp(self, server: int, question: Question, budget: float) -> bytes:
        # Rare enough (answers over 1232 bytes) to use dnspython's TCP exchange as it is.
        ip, port = self.nameservers[server]
        query = dns.message.make_query(question.name, question.rdtype)
        response = await dns.asyncquery.tcp(query, ip, timeout=budget, port=port)
        return bytes(response.to_wire())

    async def _open(self) -> None:
        if self._opening is None:
            self._opening = asyncio.ensure_future(self._open_sockets())
        await self._opening

    async def _open_sockets(self) -> None:
        loop = asyncio.get_running_loop()
        for ip, port in self.nameservers:
            pool = []
            for _ in range(self.sockets_per_nameserver):
                _, channel = await loop.create_datagram_endpoint(_Channel, remote_addr=(ip, port))
                pool.append(channel)
            self._channels.append(pool)

    def close(self) -> None:
        """Close every socket; questions still waiting time out."""
        for pool in self._channels:
            for channel in pool:
                if channel.transport is not None:
                    channel.transport.close()
        self._channels = []
        self._opening = None


def _expire(future: asyncio.Future[bytes]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


def system_nameservers() -> tuple[tuple[str, int], ...]:
    """The nameservers of the system's resolver configuration (port 53), or none."""
    with suppress(dns.exception.DNSException, OSError):
        resolver = dns.resolver.Resolver()
        return tuple((str(ip), resolver.port) for ip in resolver.nameservers)
    return ()
