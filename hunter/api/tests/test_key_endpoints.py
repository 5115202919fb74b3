"""Staff-only API-key management over JSON, in both trees."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from hunter.api.models import APIKey

pytestmark = pytest.mark.django_db

TREES = ["/api/v1", ""]
LISTED = {
    "id", "name", "rate_limit_per_minute", "is_active", "created_at", "last_used_at",
    "created_by",
}  # fmt: skip
CREATED = {
    "id", "name", "api_key", "rate_limit_per_minute", "is_active", "created_at", "created_by",
    "message",
}  # fmt: skip


@pytest.fixture
def staff_key_client(django_user_model: Any) -> APIClient:
    """A client with a key owned by a staff user."""
    owner = django_user_model.objects.create_user(username="ops", is_staff=True)
    _key, secret = APIKey.objects.create_key(name="ops", owner=owner)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=secret)
    return client


@pytest.mark.parametrize("tree", TREES)
def test_creating_a_key_answers_its_secret_once_and_stores_only_a_hash(
    staff_client: APIClient, tree: str
) -> None:
    response = staff_client.post(
        f"{tree}/admin/api-keys", {"name": "crm", "rate_limit_per_minute": 120}, format="json"
    )
    body = response.json()
    assert response.status_code == 201
    assert set(body) == CREATED
    assert (body["name"], body["rate_limit_per_minute"], body["is_active"]) == ("crm", 120, True)
    assert body["created_by"] == "api-staff"
    stored = APIKey.objects.get(prefix=body["id"])
    assert body["api_key"].startswith(f"{stored.prefix}.")
    assert body["api_key"] not in stored.hashed_key
    assert "hash" not in str(set(body))
    listed = staff_client.get(f"{tree}/admin/api-keys").json()
    assert body["api_key"] not in str(listed)


def test_the_created_key_works_at_once(staff_client: APIClient) -> None:
    secret = staff_client.post("/api/v1/admin/api-keys", {"name": "crm"}, format="json").json()
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=secret["api_key"])
    assert client.get("/api/v1/dashboard").status_code == 200
    assert secret["rate_limit_per_minute"] == 60


def test_created_by_names_an_existing_user(staff_client: APIClient, django_user_model: Any) -> None:
    django_user_model.objects.create_user(username="seller")
    good = staff_client.post(
        "/api/v1/admin/api-keys", {"name": "a", "created_by": "seller"}, format="json"
    )
    bad = staff_client.post(
        "/api/v1/admin/api-keys", {"name": "b", "created_by": "nobody"}, format="json"
    )
    assert good.json()["created_by"] == "seller"
    assert bad.status_code == 400
    assert "created_by" in bad.json()
    assert not APIKey.objects.filter(name="b").exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "x", "rate_limit_per_minute": 0}, {"name": "x" * 51},
     {"name": "x", "rate_limit_per_minute": 10_001}],
)  # fmt: skip
def test_a_bad_creation_body_is_a_400_that_creates_nothing(
    staff_client: APIClient, body: dict[str, Any]
) -> None:
    before = APIKey.objects.count()
    assert staff_client.post("/api/v1/admin/api-keys", body, format="json").status_code == 400
    assert APIKey.objects.count() == before


def test_the_list_is_newest_first_with_the_documented_fields(staff_client: APIClient) -> None:
    for name in ("first", "second", "third"):
        APIKey.objects.create_key(name=name)
    body = staff_client.get("/api/v1/admin/api-keys").json()
    assert [key["name"] for key in body] == ["third", "second", "first"]
    assert set(body[0]) == LISTED


def test_the_list_query_count_does_not_grow_with_the_keys(
    staff_client: APIClient, django_user_model: Any, django_assert_num_queries: Any
) -> None:
    owner = django_user_model.objects.create_user(username="owner")
    APIKey.objects.create_key(name="k0", owner=owner)
    staff_client.get("/api/v1/admin/api-keys")
    with django_assert_num_queries(1):
        staff_client.get("/api/v1/admin/api-keys")
    for number in range(1, 10):
        APIKey.objects.create_key(name=f"k{number}", owner=owner)
    with django_assert_num_queries(1):
        assert len(staff_client.get("/api/v1/admin/api-keys").json()) == 10


@pytest.mark.parametrize("tree", TREES)
def test_deactivating_and_activating_a_key_switches_it_off_and_on(
    staff_client: APIClient, api_key: tuple[APIKey, str], key_client: APIClient, tree: str
) -> None:
    prefix = api_key[0].prefix
    off = staff_client.patch(f"{tree}/admin/api-keys/{prefix}/deactivate")
    assert off.status_code == 200
    assert set(off.json()) == {"message"}
    assert key_client.get("/api/v1/dashboard").status_code == 401
    assert staff_client.patch(f"{tree}/admin/api-keys/{prefix}/activate").status_code == 200
    assert key_client.get("/api/v1/dashboard").status_code == 200


def test_switching_an_unknown_key_is_a_404(staff_client: APIClient) -> None:
    assert staff_client.patch("/api/v1/admin/api-keys/nope/deactivate").status_code == 404
    assert staff_client.patch("/admin/api-keys/nope/activate").status_code == 404


def test_a_revoked_key_cannot_be_activated(
    staff_client: APIClient, api_key: tuple[APIKey, str]
) -> None:
    APIKey.objects.filter(pk=api_key[0].pk).update(revoked=True)
    response = staff_client.patch(f"/api/v1/admin/api-keys/{api_key[0].prefix}/activate")
    assert response.status_code == 400
    assert APIKey.objects.get(pk=api_key[0].pk).revoked


def test_a_staff_owned_key_may_manage_keys(staff_key_client: APIClient) -> None:
    assert staff_key_client.get("/api/v1/admin/api-keys").status_code == 200
    created = staff_key_client.post("/admin/api-keys", {"name": "x"}, format="json")
    assert created.status_code == 201
    assert created.json()["created_by"] == "ops"


def test_a_key_whose_owner_lost_staff_rights_may_not(
    staff_key_client: APIClient, django_user_model: Any
) -> None:
    staff_key_client.get("/api/v1/admin/api-keys")  # the key row is now cached with its owner
    django_user_model.objects.filter(username="ops").update(is_staff=False)
    assert staff_key_client.get("/api/v1/admin/api-keys").status_code == 403


@pytest.mark.parametrize("tree", TREES)
def test_others_may_not_manage_keys(
    key_client: APIClient,
    session_client: APIClient,
    anonymous_client: APIClient,
    api_key: tuple[APIKey, str],
    tree: str,
) -> None:
    path = f"{tree}/admin/api-keys"
    assert key_client.get(path).status_code == 403  # a key with no staff owner
    assert session_client.get(path).status_code == 403
    assert anonymous_client.get(path).status_code == 401
    assert session_client.post(path, {"name": "x"}, format="json").status_code == 403
    switch = f"{tree}/admin/api-keys/{api_key[0].prefix}/deactivate"
    assert key_client.patch(switch).status_code == 403
    assert APIKey.objects.get(pk=api_key[0].pk).is_active


def test_the_legacy_routes_carry_deprecation_headers_and_the_django_admin_stays(
    staff_client: APIClient, client: Any
) -> None:
    assert "Deprecation" in staff_client.get("/admin/api-keys")
    assert client.get("/admin/").status_code == 302  # the Django admin, to its sign-in
