"""The engine's lean DNS transport against the real loopback DNS server."""

from __future__ import annotations

import asyncio
from typing import Protocol

from scanning.engine.dns import Lookup, lookup
from scanning.engine.dns_transport import UdpTransport, _Channel, make_question, query_wire


class DnsServer(Protocol):
    port: int

    def query_count(self, name: str, rdtype: str = "A") -> int: ...


def ask(server: DnsServer, name: str, rdtype: str, timeout: float = 0.5) -> Lookup:
    async def main() -> Lookup:
        transport = UdpTransport([("127.0.0.1", server.port)], timeout)
        try:
            return await lookup(transport, name, rdtype)
        finally:
            transport.close()

    return asyncio.run(main())


def test_an_answer_too_large_for_udp_is_asked_again_over_tcp(dns_server: DnsServer) -> None:
    result = ask(dns_server, "hugetxt.contoso.com", "TXT")

    assert result.status == "ok"
    assert len(result.texts) == 14
    assert dns_server.query_count("hugetxt.contoso.com", "TXT") == 2  # UDP, then TCP


def test_a_cname_chain_in_the_answer_names_where_it_led(dns_server: DnsServer) -> None:
    result = ask(dns_server, "selector1._domainkey.contoso.com", "TXT")

    assert result.status == "ok"
    assert result.canonical_name == "selector1-contoso-com._domainkey.contoso.onmicrosoft.com"


def test_a_name_that_does_not_exist_is_nxdomain(dns_server: DnsServer) -> None:
    assert ask(dns_server, "nope.contoso.com", "TXT").status == "nxdomain"


def test_a_name_that_exists_without_the_type_is_nodata(dns_server: DnsServer) -> None:
    assert ask(dns_server, "contoso.com", "AAAA").status == "nodata"


def test_a_refusing_server_is_unresolved_with_the_reason(dns_server: DnsServer) -> None:
    result = ask(dns_server, "outside.invalid", "TXT")

    assert (result.status, result.reason) == ("unresolved", "refused")


def test_a_silent_server_times_out_as_unresolved(dns_server: DnsServer) -> None:
    result = ask(dns_server, "silent.com", "MX", timeout=0.2)

    assert (result.status, result.reason) == ("unresolved", "timeout")


def test_an_answer_to_another_question_with_the_same_id_is_dropped() -> None:
    async def main() -> tuple[bool, bool]:
        channel = _Channel()
        asked = make_question("a.example", "TXT").wire
        other = make_question("b.example", "TXT").wire
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        channel.pending[7] = (future, asked)
        channel.datagram_received(query_wire(7, other), ("127.0.0.1", 53))
        forged_done = future.done()
        channel.datagram_received(query_wire(7, asked), ("127.0.0.1", 53))
        return forged_done, future.done()

    assert asyncio.run(main()) == (False, True)
