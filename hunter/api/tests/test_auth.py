"""Who may call the API: keys (both headers), sessions, staff writes, 401 and 429."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from hunter.api.keys import api_key_check
from hunter.api.models import APIKey

pytestmark = pytest.mark.django_db

LIST = "/api/v1/leads"


def test_a_request_without_key_or_session_is_a_401_json_error(anonymous_client: APIClient) -> None:
    response = anonymous_client.get(LIST)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_the_key_is_accepted_in_x_api_key(key_client: APIClient) -> None:
    assert key_client.get(LIST).status_code == 200


def test_the_key_is_accepted_in_the_authorization_header(api_key: tuple[APIKey, str]) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key[1]}")
    assert client.get(LIST).status_code == 200


@pytest.mark.parametrize("secret", ["nonsense", "abc.def", ".", "x" * 500])
def test_a_wrong_key_is_a_401(secret: str) -> None:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=secret)
    assert client.get(LIST).status_code == 401


def test_a_revoked_key_is_a_401(api_key: tuple[APIKey, str], key_client: APIClient) -> None:
    APIKey.objects.filter(pk=api_key[0].pk).update(revoked=True)
    assert key_client.get(LIST).status_code == 401


def test_an_expired_key_is_a_401(api_key: tuple[APIKey, str], key_client: APIClient) -> None:
    expired = timezone.now() - dt.timedelta(minutes=1)
    APIKey.objects.filter(pk=api_key[0].pk).update(expiry_date=expired)
    assert key_client.get(LIST).status_code == 401


def test_the_key_is_stored_hashed_with_only_the_prefix_in_clear(
    api_key: tuple[APIKey, str],
) -> None:
    key, secret = api_key
    stored = APIKey.objects.get(pk=key.pk)
    assert secret not in stored.hashed_key
    assert secret not in stored.pk
    assert secret.startswith(stored.prefix + ".")
    assert stored.hashed_key.startswith("sha512$$")


def test_checking_a_key_takes_well_under_a_millisecond(api_key: tuple[APIKey, str]) -> None:
    # Not a timing assertion: it shows the stored hash is the fast one, not a password hasher.
    key, secret = api_key
    assert not APIKey.objects.key_generator.using_preferred_hasher("pbkdf2_sha256$1$x$y")
    assert APIKey.objects.key_generator.using_preferred_hasher(
        APIKey.objects.get(pk=key.pk).hashed_key
    )
    assert api_key_check(secret) is not None


def test_a_signed_in_user_may_read_but_not_write(session_client: APIClient) -> None:
    assert session_client.get(LIST).status_code == 200
    assert session_client.post("/api/v1/alerts/config", {}, format="json").status_code == 403


def test_a_staff_session_may_write(staff_client: APIClient) -> None:
    body = {"alert_type": "mx_changed", "notification_method": "email", "email_address": "a@b.co"}
    assert staff_client.post("/api/v1/alerts/config", body, format="json").status_code == 201


def test_a_key_over_its_rate_gets_429_with_retry_after(
    api_key: tuple[APIKey, str], key_client: APIClient
) -> None:
    APIKey.objects.filter(pk=api_key[0].pk).update(rate_limit_per_minute=2)
    statuses = [key_client.get("/api/v1/dashboard").status_code for _ in range(3)]
    response = key_client.get("/api/v1/dashboard")
    assert statuses[:2] == [200, 200]
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_keys_have_separate_buckets(api_key: tuple[APIKey, str], key_client: APIClient) -> None:
    APIKey.objects.filter(pk=api_key[0].pk).update(rate_limit_per_minute=1)
    key_client.get("/api/v1/dashboard")
    other = APIClient()
    other.credentials(HTTP_X_API_KEY=APIKey.objects.create_key(name="other")[1])
    assert key_client.get("/api/v1/dashboard").status_code == 429
    assert other.get("/api/v1/dashboard").status_code == 200
