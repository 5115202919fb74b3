"""Notes, manual tags and favourites moved to Dynamics 365: their writes answer 410 Gone.

The body is still validated first (old clients get the same 400 for a bad body), and each
call is logged so the team can see who still calls them.
"""

from __future__ import annotations

from typing import Any

import structlog
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from hunter import metrics
from leads.api.fields import schema_serializer

logger = structlog.get_logger("hunter.api")

MIGRATION_GUIDE = "/docs/migration/notes-to-dynamics"
_WHAT = {
    "notes": (
        "Notes are now managed in Dynamics 365.",
        "Use the Dynamics 365 Timeline / Notes API.",
    ),
    "tags": (
        "Manual tags are now managed in Dynamics 365; automatic tags remain available here.",
        "Use the Dynamics 365 Tags API.",
    ),
    "favorite": (
        "Favourites are now managed in Dynamics 365.",
        "Use the Favorite field in Dynamics 365.",
    ),
}


class NoteBody(serializers.Serializer[Any]):
    note = serializers.CharField(min_length=1, trim_whitespace=False)


class TagBody(serializers.Serializer[Any]):
    tag = serializers.CharField(min_length=1, max_length=100, trim_whitespace=False)


GoneSchema = schema_serializer(
    "Gone",
    {
        "detail": schema_serializer(
            "GoneDetail",
            {
                "error": serializers.CharField(),
                "reason": serializers.CharField(),
                "alternative": serializers.CharField(),
                "migration_guide": serializers.CharField(),
            },
        )()
    },
)


def gone(
    request: Request,
    endpoint: str,
    domain: str,
    body: type[serializers.Serializer[Any]] | None = None,
) -> Response:
    """Validate the body (400 if bad), log the call, answer 410 with where to go instead."""
    if body is not None:
        body(data=request.data).is_valid(raise_exception=True)
    feature = endpoint.split("/")[3]
    reason, alternative = _WHAT[feature]
    logger.warning("deprecated_endpoint_called", endpoint=endpoint)
    metrics.DEPRECATED_CALLS.labels(endpoint=endpoint).inc()
    detail = {
        "error": f"{endpoint} is deprecated and disabled.",
        "reason": reason,
        "alternative": alternative,
        "migration_guide": MIGRATION_GUIDE,
    }
    return Response({"detail": detail}, status=410)
