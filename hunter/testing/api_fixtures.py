"""API personas for tests: an API key and clients that call with a key, a session or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from hunter.api.models import APIKey


@pytest.fixture
def api_key(db: None) -> tuple[APIKey, str]:
    """A fresh integrator key (60 requests a minute) and its secret."""
    key, secret = APIKey.objects.create_key(name="integrator")
    assert isinstance(key, APIKey)
    return key, secret


@pytest.fixture
def key_client(api_key: tuple[APIKey, str]) -> APIClient:
    """An API client sending a valid key in X-API-Key on every request."""
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key[1])
    return client


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def session_client(django_user_model: Any) -> APIClient:
    """An API client signed in as a sales user (not staff)."""
    client = APIClient()
    client.force_authenticate(user=django_user_model.objects.create_user(username="api-sales"))
    return client


@pytest.fixture
def staff_client(django_user_model: Any) -> APIClient:
    """An API client signed in as a staff user."""
    client = APIClient()
    staff = django_user_model.objects.create_user(username="api-staff", is_staff=True)
    client.force_authenticate(user=staff)
    return client
