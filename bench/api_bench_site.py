"""The benchmark's Django site: Hunter's URLs plus one bare view over the same lead query.

The bare view is the floor DRF adds to: the same filtered, sorted page of leads, read with
``.values()`` and written with orjson, with no authentication, throttling or serializer.
The two ping views differ only in the API-key check, so their difference is its cost.
"""

from __future__ import annotations

import orjson
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hunter.api.authentication import APIKeyAuthentication
from hunter.api.permissions import KeyOnly
from hunter.urls import urlpatterns as hunter_urlpatterns
from leads.models import Company

PAGE_SIZE = 50
VALUES = (
    "id", "canonical_name", "domain", "provider", "tenant_size", "country",
    "signals__local_provider", "signals__spf", "signals__dkim", "signals__dmarc_policy",
    "signals__dmarc_coverage", "signals__mx_root", "signals__registrar", "signals__expires_at",
    "signals__nameservers", "signals__status", "signals__scanned_at",
    "score__score", "score__segment", "score__reason", "score__priority_score",
    "score__technical_heat", "score__commercial_segment", "score__commercial_heat",
    "score__priority_category", "score__priority_label",
)  # fmt: skip


def bare_leads(request: HttpRequest) -> HttpResponse:
    page = max(int(request.GET.get("page", "1")), 1)
    offset = (page - 1) * PAGE_SIZE
    rows = (
        Company.objects.filter(
            score__score__isnull=False, score__segment=request.GET.get("segment", "")
        )
        .order_by("score__priority_score", "-score__score", "score__company_id")
        .values(*VALUES)[offset : offset + PAGE_SIZE]
    )
    return HttpResponse(orjson.dumps({"leads": list(rows)}), content_type="application/json")


class Ping(APIView):
    """A DRF view with no authentication, permission or throttle: the request without a key."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []

    def get(self, request: Request) -> Response:
        return Response({})


class KeyPing(Ping):
    """The same view behind the API-key check (and nothing else)."""

    authentication_classes = [APIKeyAuthentication]
    permission_classes = [KeyOnly]


urlpatterns = [
    path("bench/bare-leads", bare_leads),
    path("bench/ping", Ping.as_view()),
    path("bench/ping-key", KeyPing.as_view()),
    *hunter_urlpatterns,
]
