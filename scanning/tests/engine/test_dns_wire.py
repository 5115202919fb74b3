"""Reading responses from the wire, checked against dnspython's own reading of the same bytes."""

from __future__ import annotations

from contextlib import suppress

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanning.engine.dns_wire import is_truncated, parse_answer, rcode_of


def response(*rrsets: dns.rrset.RRset, rcode: int = 0) -> bytes:
    query = dns.message.make_query("example.com", "TXT")
    message = dns.message.make_response(query)
    message.set_rcode(dns.rcode.Rcode.make(rcode))
    message.answer.extend(rrsets)
    return bytes(message.to_wire())  # dnspython compresses names, so pointers are exercised


def test_txt_strings_are_joined_and_owners_lower_cased() -> None:
    wire = response(dns.rrset.from_text("Example.COM.", 300, "IN", "TXT", '"v=spf1 " "-all"'))

    assert parse_answer(wire).records == (("example.com", 16, "v=spf1 -all"),)


def test_mx_and_cname_data_read_like_dnspython_prints_them() -> None:
    mx = dns.rrset.from_text("example.com.", 300, "IN", "MX", "10 mx.example.com.")
    cname = dns.rrset.from_text("www.example.com.", 300, "IN", "CNAME", "example.com.")

    records = parse_answer(response(mx, cname)).records

    assert records == (
        ("example.com", 15, str(mx[0])),
        ("www.example.com", 5, str(cname[0])),
    )


def test_the_rcode_and_the_truncation_flag_come_from_the_header() -> None:
    wire = response(rcode=3)
    truncated = bytearray(wire)
    truncated[2] |= 0x02

    assert (rcode_of(wire), parse_answer(wire).rcode) == (3, 3)
    assert (is_truncated(wire), is_truncated(bytes(truncated))) == (False, True)


def test_a_compression_loop_is_malformed_not_endless() -> None:
    wire = bytearray(response(dns.rrset.from_text("example.com.", 1, "IN", "A", "192.0.2.1")))
    answer_owner = wire.rindex(b"\xc0\x0c")  # the owner points at the question name...
    wire[answer_owner : answer_owner + 2] = b"\xc0" + bytes([answer_owner])  # ...now at itself

    with pytest.raises(ValueError, match="compression pointers"):
        parse_answer(bytes(wire))


@given(st.binary(max_size=300))
def test_arbitrary_bytes_either_parse_or_raise_value_error(wire: bytes) -> None:
    try:
        answer = parse_answer(wire)
    except ValueError:
        return
    assert 0 <= answer.rcode <= 15


@given(st.binary(min_size=1, max_size=40))
def test_a_cut_or_damaged_real_answer_never_raises_anything_else(tail: bytes) -> None:
    wire = response(dns.rrset.from_text("example.com.", 1, "IN", "MX", "10 mx.example.com."))
    for damaged in (wire[: len(tail)], wire[:20] + tail, wire + tail):
        with suppress(ValueError):
            parse_answer(damaged)
