"""Alert URLs never reach loopback, private, link-local or metadata addresses.

Resolution stays on this machine: literal addresses and ``localhost`` only. The receivers
are real HTTP servers on 127.0.0.1; a test that wants them refused empties the allow-list.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from hunter.testing.http_receiver import HttpReceiver
from hunter.testing.loopback_http import LoopbackHttpServer, owner_of
from leads.notifications import Notice, slack_send, webhook_send
from leads.outbound import (
    KIND_LINK_LOCAL,
    KIND_LOOPBACK,
    KIND_MULTICAST,
    KIND_NO_HOST,
    KIND_NOT_PUBLIC,
    KIND_PRIVATE,
    KIND_SCHEME,
    AllowList,
    OutboundRefused,
    address_kind,
    outbound_target,
)

NOTICE = Notice(1, "contoso.com", "mx_changed", "MX changed", datetime(2026, 3, 2, tzinfo=UTC))
NOBODY = AllowList.parse([])


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as server:
        yield server


@pytest.fixture
def nothing_allowed(settings: Any) -> None:
    settings.HUNTER_ALERT_URL_ALLOWLIST = []


# --- which addresses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", KIND_LOOPBACK),
        ("::1", KIND_LOOPBACK),
        ("::ffff:127.0.0.1", KIND_LOOPBACK),
        ("10.1.2.3", KIND_PRIVATE),
        ("192.168.0.10", KIND_PRIVATE),
        ("172.16.5.4", KIND_PRIVATE),
        ("fd00:ec2::254", KIND_PRIVATE),  # a cloud metadata service over IPv6
        ("169.254.169.254", KIND_LINK_LOCAL),  # the cloud metadata service
        ("fe80::1", KIND_LINK_LOCAL),
        ("224.0.0.1", KIND_MULTICAST),
        ("100.64.0.1", KIND_NOT_PUBLIC),  # carrier-grade NAT
        ("0.0.0.0", KIND_PRIVATE),  # noqa: S104 - an address checked, never bound
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_every_address_that_is_not_public_has_a_reason(address: str, kind: str | None) -> None:
    assert address_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://[::1]:9000/hook",
        "http://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5/hook",
        "http://2130706433/",  # 127.0.0.1 written as one number
        "http://[::ffff:169.254.169.254]/",
    ],
)
def test_urls_reaching_internal_addresses_are_refused(url: str) -> None:
    with pytest.raises(OutboundRefused):
        outbound_target(url, allow=NOBODY)


def test_a_public_address_is_allowed_and_pinned() -> None:
    target = outbound_target("https://8.8.8.8:8443/a?b=1", allow=NOBODY)
    assert (target.pinned_url, target.headers) == (
        "https://8.8.8.8:8443/a?b=1",
        {"Host": "8.8.8.8:8443"},
    )


def test_a_name_is_sent_to_the_checked_address_under_its_own_host_header() -> None:
    target = outbound_target("https://localhost:8443/x", allow=AllowList.parse(["localhost"]))
    assert target.pinned_url in ("https://127.0.0.1:8443/x", "https://[::1]:8443/x")
    assert target.headers == {"Host": "localhost:8443"}
    assert target.extensions == {"sni_hostname": "localhost"}


def test_the_allow_list_names_hosts_addresses_or_networks() -> None:
    allow = AllowList.parse(["hooks.internal", "10.1.2.0/24", "::1"])
    assert outbound_target("http://10.1.2.77/", allow=allow).address == "10.1.2.77"
    assert outbound_target("http://[::1]/", allow=allow).address == "::1"
    with pytest.raises(OutboundRefused):
        outbound_target("http://10.1.3.1/", allow=allow)


@pytest.mark.parametrize(
    ("url", "kind"),
    [("ftp://8.8.8.8/x", KIND_SCHEME), ("http:///path-only", KIND_NO_HOST)],
)
def test_other_schemes_and_urls_without_a_host_are_refused_too(url: str, kind: str) -> None:
    with pytest.raises(OutboundRefused) as refused:
        outbound_target(url, allow=NOBODY)
    assert refused.value.kind == kind


# --- delivery -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("nothing_allowed")
def test_webhook_to_a_loopback_receiver_is_refused_without_a_request(
    receiver: HttpReceiver,
) -> None:
    delivery = webhook_send(url=receiver.url("/hook"), body=NOTICE.payload())
    assert (delivery.ok, delivery.error) == (False, "webhook: refused, loopback address")
    assert receiver.requests() == []


@pytest.mark.usefixtures("nothing_allowed")
def test_slack_url_naming_localhost_is_refused_without_a_request(receiver: HttpReceiver) -> None:
    url = f"http://localhost:{receiver.port}/slack"
    delivery = slack_send(url=url, text=NOTICE.line())
    assert (delivery.ok, delivery.error) == (False, "slack: refused, loopback address")
    assert receiver.requests() == []


def test_an_allow_listed_receiver_gets_the_alert(receiver: HttpReceiver) -> None:
    delivery = webhook_send(url=receiver.url("/hook"), body=NOTICE.payload())
    assert delivery.ok
    [request] = receiver.requests("/hook")
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"


class Redirector(LoopbackHttpServer):
    """Answers every POST with a redirect to ``location`` (with ``status``)."""

    def __init__(self, status: int, location: str) -> None:
        self.status, self.location = status, location
        super().__init__(_RedirectHandler, silent_seconds=0)


class _RedirectHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        owner = owner_of(self)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(owner.status)
        self.send_header("Location", owner.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.parametrize(
    "location", ["http://169.254.169.254/latest/meta-data/", "http://[::1]:9/", "http://10.0.0.1/"]
)
def test_a_redirect_to_an_internal_address_is_refused(location: str) -> None:
    with Redirector(307, location) as redirector:
        delivery = webhook_send(url=f"http://127.0.0.1:{redirector.port}/", body={})
    assert not delivery.ok
    assert delivery.error.startswith("webhook: refused, ")


def test_a_post_keeping_redirect_to_an_allowed_receiver_is_followed(
    receiver: HttpReceiver,
) -> None:
    with Redirector(308, receiver.url("/moved")) as redirector:
        delivery = webhook_send(url=f"http://127.0.0.1:{redirector.port}/", body={"a": 1})
    assert delivery.ok
    assert [request.json() for request in receiver.requests("/moved")] == [{"a": 1}]


def test_a_redirect_that_would_turn_the_post_into_a_get_is_a_failure(
    receiver: HttpReceiver,
) -> None:
    with Redirector(302, receiver.url("/moved")) as redirector:
        delivery = webhook_send(url=f"http://127.0.0.1:{redirector.port}/", body={})
    assert (delivery.ok, delivery.error) == (False, "webhook: HTTP 302")
    assert receiver.requests() == []
