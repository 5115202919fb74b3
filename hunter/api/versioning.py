"""One URL list, two trees: ``/api/v1/...`` (namespace "v1") and the legacy paths ("legacy").

``request.version`` is the namespace the request came through, so a view that must answer
old clients differently asks ``is_legacy(request)`` instead of being copied.
"""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.versioning import NamespaceVersioning

V1 = "v1"
LEGACY = "legacy"
V1_PREFIX = "/api/v1"


class TreeVersioning(NamespaceVersioning):
    default_version = V1
    allowed_versions = (V1, LEGACY)


def is_legacy(request: HttpRequest) -> bool:
    """True for a request that came through a legacy (unversioned) path."""
    match = getattr(request, "resolver_match", None)
    return match is not None and LEGACY in match.namespaces
