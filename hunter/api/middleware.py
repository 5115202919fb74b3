"""Deprecation headers on every response served through a legacy (unversioned) API path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from email.utils import format_datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.encoding import escape_uri_path

from hunter.api.versioning import V1_PREFIX, is_legacy


def _http_date(day: object) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)  # type: ignore[arg-type]


class LegacyDeprecationMiddleware:
    """Adds ``Deprecation`` (RFC 9745), ``Sunset`` (RFC 8594) and a ``Link`` to the v1 path.

    Old clients keep working; the headers tell their maintainers where to move and by when.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        deprecated = _http_date(settings.HUNTER_API_LEGACY_DEPRECATED_ON)
        self.deprecation = f"@{int(deprecated.timestamp())}"
        self.sunset = format_datetime(_http_date(settings.HUNTER_API_LEGACY_SUNSET_ON), usegmt=True)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_legacy(request):
            response["Deprecation"] = self.deprecation
            response["Sunset"] = self.sunset
            # Percent-encoded: the path may hold anything a client sent, newlines included.
            successor = escape_uri_path(f"{V1_PREFIX}{request.path}")
            response["Link"] = f'<{successor}>; rel="successor-version"'
        return response
