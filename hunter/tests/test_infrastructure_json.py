"""``/support`` answers JSON; ``/`` stays the home page for browsers and answers JSON clients."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_support_answers_the_documented_fields_without_sign_in(client: Any) -> None:
    response = client.get("/support")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"message", "documentation", "api_version", "contact"}
    assert body["documentation"] == "/api/docs/"
    assert body["api_version"] == "1.0.0"
    assert body["contact"] is None


def test_support_shows_the_configured_contact(client: Any, settings: Any) -> None:
    settings.HUNTER_SUPPORT_CONTACT = "api@partner.example"
    assert client.get("/support").json()["contact"] == "api@partner.example"


def test_support_carries_no_deprecation_headers(client: Any) -> None:
    assert "Deprecation" not in client.get("/support")


def test_support_refuses_writes(client: Any) -> None:
    assert client.post("/support").status_code == 405


def test_root_answers_a_json_client_with_the_api_pointer(client: Any) -> None:
    response = client.get("/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json() == {"message": "Hunter API", "version": "1.0.0", "docs": "/api/docs/"}
    assert "Accept" in response["Vary"]


@pytest.mark.parametrize("accept", [BROWSER, "*/*", None])
def test_root_stays_the_sign_in_protected_page_for_everyone_else(
    client: Any, accept: str | None
) -> None:
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get("/", **headers)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "Accept" in response["Vary"]


def test_root_sends_a_signed_in_browser_to_the_dashboard(admin_client: Any) -> None:
    response = admin_client.get("/", HTTP_ACCEPT=BROWSER)
    assert response.status_code == 302
    assert response["Location"] == "/app/"
