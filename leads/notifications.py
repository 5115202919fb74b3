"""Channel senders for alert notifications: webhook, Slack incoming webhook and e-mail.

Each sender takes plain values (never model rows) and returns a ``Delivery`` instead of
raising, so one broken channel cannot stop the others. Error texts name the channel and the
kind of failure only: exception messages may carry a recipient address (SMTP) or a secret
webhook URL, and these texts are stored on the alert and logged, where no personal data or
secret may go. Webhook and Slack URLs are checked before every request and redirect
(leads.outbound): alerts never reach loopback, private or metadata addresses unless
HUNTER_ALERT_URL_ALLOWLIST names them.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import httpx
from django.conf import settings
from django.core.mail import send_mail

from leads.choices import NotificationMethod
from leads.outbound import AllowList, OutboundRefused, outbound_target

POST_KEEPING_REDIRECTS = frozenset({307, 308})
MAX_REDIRECTS = 4  # requests per send: the URL itself and up to three redirects


@dataclass(frozen=True)
class Notice:
    """What one alert says, as every channel renders it."""

    alert_id: int
    domain: str
    alert_type: str
    message: str
    created_at: datetime

    def payload(self) -> dict[str, Any]:
        """The webhook JSON body: the alert's id, domain, type, message and creation time."""
        return {
            "alert_id": self.alert_id,
            "domain": self.domain,
            "alert_type": self.alert_type,
            "message": self.message,
            "created_at": self.created_at.isoformat(),
        }

    def line(self) -> str:
        """One human-readable line: the domain and what changed."""
        return f"{self.domain}: {self.message}"


@dataclass(frozen=True)
class Delivery:
    """The outcome of one send: ok, or the reason it failed."""

    ok: bool
    error: str = ""


@dataclass(frozen=True)
class Channel:
    """Where one alert config sends: its method and its address (URL or e-mail)."""

    method: str
    webhook_url: str = ""
    email_address: str = ""


DELIVERED = Delivery(ok=True)


def notify(channel: Channel, notices: Sequence[Notice]) -> Delivery:
    """Send one message about ``notices`` (one alert, or a digest of several) to ``channel``."""
    if not notices:
        return DELIVERED
    if channel.method == NotificationMethod.WEBHOOK:
        return webhook_send(url=channel.webhook_url, body=webhook_body(notices))
    if channel.method == NotificationMethod.SLACK:
        return slack_send(url=channel.webhook_url, text=message_text(notices))
    if channel.method == NotificationMethod.EMAIL:
        subject, body = email_subject(notices), message_text(notices)
        return email_send(address=channel.email_address, subject=subject, body=body)
    return Delivery(ok=False, error=f"{channel.method or 'no method'}: unsupported channel")


def webhook_body(notices: Sequence[Notice]) -> dict[str, Any]:
    """One alert as a flat JSON object; a digest wraps the same objects in a list."""
    if len(notices) == 1:
        return notices[0].payload()
    return {"digest": True, "count": len(notices), "alerts": [n.payload() for n in notices]}


def message_text(notices: Sequence[Notice]) -> str:
    """Plain text for Slack and e-mail: the line itself, or a counted list for a digest."""
    if len(notices) == 1:
        return notices[0].line()
    lines = [f"- {notice.line()}" for notice in notices]
    return "\n".join([f"Hunter: {len(notices)} lead alerts", *lines])


def email_subject(notices: Sequence[Notice]) -> str:
    if len(notices) == 1:
        # A header line: a line break in a message must not end it (or inject headers).
        return " ".join(f"[Hunter] {notices[0].line()}".split())[:200]
    return f"[Hunter] Daily digest: {len(notices)} lead alerts"


def webhook_send(*, url: str, body: dict[str, Any]) -> Delivery:
    """POST ``body`` as JSON; any 2xx answer is a success, anything else a failure."""
    return _post_json("webhook", url, body)


def slack_send(*, url: str, text: str) -> Delivery:
    """POST to a Slack incoming webhook, whose contract is a JSON object with ``text``."""
    return _post_json("slack", url, {"text": text})


def _post_json(channel: str, url: str, body: dict[str, Any]) -> Delivery:
    if not url:
        return Delivery(ok=False, error=f"{channel}: no URL configured")
    try:
        response = _post_checked(url, body)
    except OutboundRefused as refused:
        # The kind only: the address could be read back from an alert as a port scan result.
        return Delivery(ok=False, error=f"{channel}: refused, {refused.summary}")
    except httpx.TimeoutException:
        return Delivery(ok=False, error=f"{channel}: timed out")
    except (httpx.HTTPError, ValueError) as error:  # ValueError: a URL httpx cannot use
        return Delivery(ok=False, error=f"{channel}: {type(error).__name__}")
    if not response.is_success:
        return Delivery(ok=False, error=f"{channel}: HTTP {response.status_code}")
    return DELIVERED


def alert_url_allowlist() -> AllowList:
    """The hosts and networks alert URLs may reach although they are not public."""
    return AllowList.parse(settings.HUNTER_ALERT_URL_ALLOWLIST)


def _post_checked(url: str, body: dict[str, Any]) -> httpx.Response:
    """POST to the checked address of ``url``; follow POST-keeping redirects, each checked.

    A 301/302/303 would turn the POST into a GET, which no webhook expects: it is returned
    as the answer (a failure). Raises OutboundRefused for a URL or redirect target refused.
    """
    allow = alert_url_allowlist()
    timeout = settings.HUNTER_ALERT_WEBHOOK_TIMEOUT
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for _hop in range(MAX_REDIRECTS):
            target = outbound_target(url, allow=allow)
            response = client.post(
                target.pinned_url,
                json=body,
                headers=target.headers,
                extensions=target.extensions,
            )
            location = response.headers.get("location")
            if response.status_code not in POST_KEEPING_REDIRECTS or not location:
                return response
            url = urljoin(url, location)
    raise httpx.TooManyRedirects("too many redirects", request=response.request)


def email_send(*, address: str, subject: str, body: str) -> Delivery:
    """Send one plain-text mail from DEFAULT_FROM_EMAIL through the configured backend."""
    if not address:
        return Delivery(ok=False, error="email: no address configured")
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)
    except (smtplib.SMTPException, OSError, ValueError) as error:
        # The type only: SMTP errors quote the refused recipient address.
        return Delivery(ok=False, error=f"email: {type(error).__name__}")
    return DELIVERED
