"""The OpenAPI description and Swagger UI: served from our own static files, both trees."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _paths(client: APIClient, query: str = "") -> set[str]:
    response = client.get(f"/api/schema/{query}", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return set(json.loads(response.content)["paths"])


def test_the_schema_describes_v1_by_default_and_the_legacy_tree_on_request(
    key_client: APIClient,
) -> None:
    assert "/api/v1/leads" in _paths(key_client)
    legacy = _paths(key_client, "legacy/")
    assert "/leads" in legacy
    assert "/scan/bulk/rescan" in legacy


def test_the_schema_needs_a_key_or_a_session(anonymous_client: APIClient) -> None:
    assert anonymous_client.get("/api/schema/").status_code == 401


def test_swagger_ui_loads_its_assets_from_our_static_files(staff_client: APIClient) -> None:
    page = staff_client.get("/api/docs/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
