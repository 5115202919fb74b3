"""API keys: the per-process key cache never outlives a change, and last use is recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from hunter.api import keys
from hunter.api.models import APIKey

pytestmark = pytest.mark.django_db

LIST = "/api/v1/dashboard"


def _revoke_behind_the_cache(key: APIKey) -> None:
    """Revoke with raw SQL, as another process's change would look to this one's cache."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE api_apikey SET revoked = true WHERE id = %s", [key.pk])


def test_a_known_key_is_checked_without_a_database_query(
    api_key: tuple[APIKey, str], key_client: APIClient, django_assert_num_queries: Any
) -> None:
    key_client.get(LIST)
    with django_assert_num_queries(0):
        assert keys.api_key_check(api_key[1]) is not None


def test_the_cache_still_checks_the_secret(api_key: tuple[APIKey, str]) -> None:
    key, secret = api_key
    assert keys.api_key_check(secret) is not None
    assert keys.api_key_check(f"{key.prefix}.wrong-secret") is None


def test_a_key_revoked_in_the_admin_stops_working_at_once(
    api_key: tuple[APIKey, str], key_client: APIClient
) -> None:
    assert key_client.get(LIST).status_code == 200
    key = APIKey.objects.get(pk=api_key[0].pk)
    key.revoked = True
    key.save()
    assert key_client.get(LIST).status_code == 401


def test_a_key_deactivated_in_bulk_stops_working_at_once(
    api_key: tuple[APIKey, str], key_client: APIClient
) -> None:
    assert key_client.get(LIST).status_code == 200
    APIKey.objects.filter(pk=api_key[0].pk).update(is_active=False)
    assert key_client.get(LIST).status_code == 401


def test_a_deleted_key_stops_working_at_once(
    api_key: tuple[APIKey, str], key_client: APIClient
) -> None:
    assert key_client.get(LIST).status_code == 200
    APIKey.objects.filter(pk=api_key[0].pk).delete()
    assert key_client.get(LIST).status_code == 401


def test_a_new_version_token_from_another_process_retires_cached_keys_at_the_next_recheck(
    api_key: tuple[APIKey, str], key_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keys, "VERSION_RECHECK_SECONDS", 3600.0)  # however slow this machine
    assert key_client.get(LIST).status_code == 200
    _revoke_behind_the_cache(api_key[0])
    caches["default"].set(keys.VERSION_KEY, "changed-by-another-process", timeout=None)
    assert key_client.get(LIST).status_code == 200  # before the recheck: the cached row
    monkeypatch.setattr(keys, "VERSION_RECHECK_SECONDS", 0.0)  # the second has passed
    assert key_client.get(LIST).status_code == 401


def test_the_version_token_is_not_read_again_before_the_recheck_interval(
    api_key: tuple[APIKey, str], key_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keys, "VERSION_RECHECK_SECONDS", 3600.0)
    key_client.get(LIST)
    caches["default"].set(keys.VERSION_KEY, "changed-by-another-process", timeout=None)
    keys.api_key_check(api_key[1])
    assert keys._seen.version != "changed-by-another-process"


def test_a_cached_key_row_expires_even_without_a_new_token(
    api_key: tuple[APIKey, str], key_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert key_client.get(LIST).status_code == 200
    _revoke_behind_the_cache(api_key[0])
    monkeypatch.setattr(keys, "KEY_CACHE_SECONDS", 0.0)
    assert key_client.get(LIST).status_code == 401


def test_a_flushed_shared_cache_retires_cached_keys(
    api_key: tuple[APIKey, str], key_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert key_client.get(LIST).status_code == 200
    _revoke_behind_the_cache(api_key[0])
    caches["default"].delete(keys.VERSION_KEY)
    monkeypatch.setattr(keys, "VERSION_RECHECK_SECONDS", 0.0)
    assert key_client.get(LIST).status_code == 401


def test_a_rate_change_applies_to_the_next_request(
    api_key: tuple[APIKey, str], key_client: APIClient
) -> None:
    assert key_client.get(LIST).status_code == 200
    key = APIKey.objects.get(pk=api_key[0].pk)
    key.rate_limit_per_minute = 1
    key.save()
    statuses = [key_client.get(LIST).status_code for _ in range(2)]
    assert statuses == [200, 429]


def test_unknown_prefixes_are_not_remembered(anonymous_client: APIClient) -> None:
    for number in range(20):
        anonymous_client.get(LIST, HTTP_X_API_KEY=f"nope{number}.secret")
    assert not any(prefix.startswith("nope") for prefix in keys._entries)


def test_the_first_request_records_when_the_key_was_used(
    api_key: tuple[APIKey, str], key_client: APIClient
) -> None:
    before = timezone.now()
    key_client.get(LIST)
    used = APIKey.objects.get(pk=api_key[0].pk).last_used_at
    assert used is not None
    assert used >= before


def test_last_use_is_written_at_most_once_a_minute(
    api_key: tuple[APIKey, str], key_client: APIClient, django_assert_num_queries: Any
) -> None:
    key_client.get(LIST)
    first = APIKey.objects.get(pk=api_key[0].pk).last_used_at
    with django_assert_num_queries(0):
        keys.api_key_mark_used(key=api_key[0])
    key_client.get(LIST)
    assert APIKey.objects.get(pk=api_key[0].pk).last_used_at == first


def test_last_use_is_written_again_after_a_minute(
    api_key: tuple[APIKey, str], key_client: APIClient
) -> None:
    key_client.get(LIST)
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    APIKey.objects.filter(pk=api_key[0].pk).mark_used(an_hour_ago)
    keys._touched.clear()  # this process's minute has passed
    key_client.get(LIST)
    assert APIKey.objects.get(pk=api_key[0].pk).last_used_at > an_hour_ago


def test_another_process_does_not_rewrite_a_fresh_last_use(api_key: tuple[APIKey, str]) -> None:
    just_now = timezone.now() - dt.timedelta(seconds=5)
    APIKey.objects.filter(pk=api_key[0].pk).mark_used(just_now)
    keys._touched.clear()  # a process that has not written yet
    keys.api_key_mark_used(key=api_key[0])
    assert APIKey.objects.get(pk=api_key[0].pk).last_used_at == just_now


def test_recording_last_use_keeps_the_cached_key_rows(
    api_key: tuple[APIKey, str], key_client: APIClient
) -> None:
    key_client.get(LIST)
    version = keys.api_keys_version()
    keys._touched.clear()
    APIKey.objects.filter(pk=api_key[0].pk).mark_used(timezone.now())
    assert keys.api_keys_version() == version


def test_the_admin_list_shows_last_use_and_the_active_switch(admin_client: Any) -> None:
    key, _secret = APIKey.objects.create_key(name="crm")
    APIKey.objects.filter(pk=key.pk).mark_used(timezone.now())
    page = admin_client.get("/admin/api/apikey/").content.decode()
    assert "Last used" in page or "last used" in page.lower()
    assert "Deactivate the selected keys" in page


def test_the_admin_deactivate_action_switches_keys_off(admin_client: Any) -> None:
    key, _secret = APIKey.objects.create_key(name="crm")
    admin_client.post(
        "/admin/api/apikey/",
        {"action": "deactivate", "_selected_action": [key.pk]},
    )
    assert APIKey.objects.get(pk=key.pk).is_active is False
