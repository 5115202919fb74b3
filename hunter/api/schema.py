"""OpenAPI description of Hunter's API-key authentication (loaded by the app config)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from hunter.api.authentication import HEADER


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "hunter.api.authentication.APIKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": HEADER}
