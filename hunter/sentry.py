"""Error tracking: Sentry for the web app, the Celery worker and Redis calls.

settings.py calls init_sentry() only when SENTRY_DSN is set. Events leave the machine, so
they carry no request bodies, cookies, query strings or user details: an upload body or a
lead search holds company names and e-mail addresses, which stay on this machine.
"""

from __future__ import annotations

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration
from sentry_sdk.types import Event, Hint

from hunter.env import env_float

DEFAULT_TRACES_SAMPLE_RATE = 0.1
SENSITIVE_HEADERS = frozenset({"cookie", "authorization", "x-api-key", "proxy-authorization"})
DROPPED_REQUEST_FIELDS = ("data", "cookies", "query_string")


def scrub_event(event: Event, hint: Hint) -> Event:
    """before_send hook: drop request bodies, cookies, query strings and secret headers."""
    request = event.get("request")
    if isinstance(request, dict):
        for field in DROPPED_REQUEST_FIELDS:
            request.pop(field, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value
                for name, value in headers.items()
                if name.lower() not in SENSITIVE_HEADERS
            }
    event.pop("user", None)
    return event


def init_sentry(*, dsn: str, environment: str) -> None:
    """Start the Sentry SDK; HUNTER_SENTRY_TRACES_SAMPLE_RATE (0..1, default 0.1) sets tracing."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration(), RedisIntegration()],
        traces_sample_rate=env_float(
            "HUNTER_SENTRY_TRACES_SAMPLE_RATE",
            DEFAULT_TRACES_SAMPLE_RATE,
            minimum=0.0,
            maximum=1.0,
        ),
        send_default_pii=False,
        before_send=scrub_event,
    )
