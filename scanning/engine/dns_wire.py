"""Reading a DNS response straight from the wire: the rcode and the answer section as text.

The engine needs little of an answer: its rcode, and the answer records' owner, type and
data as text (MX "pref host.", TXT strings joined, CNAME "target."). Building dnspython's
full Message object for that cost most of the client's CPU per question, so this module reads
only those parts. Anything that does not parse (a truncated record, a compression loop) raises
``ValueError``; the caller reports the question as unanswered rather than guessing.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER = struct.Struct("!6H")
RR_FIXED = struct.Struct("!HHIH")  # type, class, TTL, rdata length
FLAG_TC = 0x0200
MAX_POINTERS = 64
TYPE_A, TYPE_CNAME, TYPE_MX, TYPE_TXT = 1, 5, 15, 16
NAME_TYPES = frozenset({2, 5, 12})  # NS, CNAME, PTR: the data is one domain name


@dataclass(frozen=True)
class WireAnswer:
    """The parts of a response the engine reads.

    ``records`` are (owner, type, data) with the owner lower-cased and without its final dot,
    in answer-section order.
    """

    rcode: int
    records: tuple[tuple[str, int, str], ...]


def rcode_of(wire: bytes) -> int:
    """The response code in the header (the low four bits of the flags)."""
    return wire[3] & 0x0F if len(wire) >= HEADER.size else -1


def is_truncated(wire: bytes) -> bool:
    """Whether the server cut the answer (TC flag): the whole answer needs TCP."""
    return len(wire) >= HEADER.size and bool(int.from_bytes(wire[2:4], "big") & FLAG_TC)


def parse_answer(wire: bytes) -> WireAnswer:
    """The rcode and the answer records of a response; raises ``ValueError`` if malformed."""
    try:
        _, flags, questions, answers, _, _ = HEADER.unpack_from(wire)
        position = HEADER.size
        for _ in range(questions):
            position = read_name(wire, position)[1] + 4
        records = []
        for _ in range(answers):
            record, position = _read_record(wire, position)
            records.append(record)
    except (IndexError, struct.error) as error:
        raise ValueError(f"malformed DNS answer: {error}") from error
    return WireAnswer(flags & 0x0F, tuple(records))


def _read_record(wire: bytes, position: int) -> tuple[tuple[str, int, str], int]:
    owner, position = read_name(wire, position)
    rdtype, _, _, length = RR_FIXED.unpack_from(wire, position)
    start = position + RR_FIXED.size
    end = start + length
    if end > len(wire):
        raise ValueError("record data runs past the message")
    return (owner.lower(), rdtype, _rdata_text(wire, rdtype, start, end)), end


def _rdata_text(wire: bytes, rdtype: int, start: int, end: int) -> str:
    if rdtype == TYPE_TXT:
        return _txt_text(wire[start:end])
    if rdtype == TYPE_MX:
        preference = int.from_bytes(wire[start : start + 2], "big")
        return f"{preference} {read_name(wire, start + 2)[0]}."
    if rdtype in NAME_TYPES:
        return read_name(wire, start)[0] + "."
    if rdtype == TYPE_A and end - start == 4:
        return ".".join(str(byte) for byte in wire[start:end])
    return wire[start:end].hex()  # only presence matters for the other types (DNSKEY, AAAA)


def _txt_text(data: bytes) -> str:
    # A TXT record's character-strings are joined without a separator (RFC 7208 section 3.3).
    parts, position = [], 0
    while position < len(data):
        length = data[position]
        if position + 1 + length > len(data):
            raise ValueError("TXT string runs past its record")
        parts.append(data[position + 1 : position + 1 + length])
        position += 1 + length
    return b"".join(parts).decode("utf-8", errors="replace")


def read_name(wire: bytes, position: int) -> tuple[str, int]:
    """The name at ``position`` (following compression pointers) without its final dot, and
    the position just after it in the record."""
    labels: list[bytes] = []
    after: int | None = None
    pointers = 0
    while True:
        length = wire[position]
        if length >= 0xC0:  # a pointer to an earlier name
            pointers += 1
            if pointers > MAX_POINTERS:
                raise ValueError("too many compression pointers")
            after = position + 2 if after is None else after
            position = ((length & 0x3F) << 8) | wire[position + 1]
            continue
        if length > 63:
            raise ValueError("reserved label type")
        if length == 0:
            return b".".join(labels).decode("latin-1"), position + 1 if after is None else after
        labels.append(wire[position + 1 : position + 1 + length])
        position += 1 + length
        if position > len(wire):
            raise ValueError("label runs past the message")
