"""Schemathesis against the live OpenAPI description of both trees, with an API key.

Generated requests (valid and invalid) must never get a 5xx, and every documented response
must match its schema. Bounded examples per operation keep it fast enough for CI; scans
are only queued (a test transaction never commits), so nothing leaves the machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from werkzeug.test import Client as WsgiClient
from werkzeug.test import TestResponse

from hunter.api.models import APIKey
from hunter.api.versioning import LEGACY, V1
from hunter.wsgi import application
from leads.tests.factories import CompanyFactory, DomainSignalsFactory, LeadScoreFactory

MAX_EXAMPLES = 10


def _described(version: str) -> Any:
    return schemathesis.openapi.from_dict(
        SchemaGenerator(api_version=version).get_schema(request=None, public=True)
    )


v1 = _described(V1)
legacy = _described(LEGACY)


@pytest.fixture
def secret(db: None, settings_override: None) -> str:
    _key, raw = APIKey.objects.create_key(name="fuzz", rate_limit_per_minute=10_000)
    return raw


@pytest.fixture
def settings_override(settings: Any) -> Iterator[None]:
    settings.HUNTER_API_SCAN_WAIT_SECONDS = 0
    # Calls go straight to the WSGI app; like Django's test client, keep the test
    # transaction's connection open across requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CHECKS = [not_a_server_error, response_schema_conformance]


@v1.parametrize()
@FUZZ
def test_v1_answers_every_generated_request_without_5xx_and_as_described(
    case: Any, secret: str
) -> None:
    case.call_and_validate(app=application, headers={"X-API-Key": secret}, checks=CHECKS)


@legacy.parametrize()
@FUZZ
def test_legacy_paths_answer_every_generated_request_without_5xx_and_as_described(
    case: Any, secret: str
) -> None:
    case.call_and_validate(app=application, headers={"X-API-Key": secret}, checks=CHECKS)


# Fuzzed domains are never ingested, so the fuzz sees these answers' errors only: check real
# successful answers against their description too.
TREES = [(v1, "/api/v1"), (legacy, "")]


@pytest.fixture
def staff_secret(db: None, settings_override: None, django_user_model: Any) -> str:
    owner = django_user_model.objects.create_user(username="fuzz-staff", is_staff=True)
    _key, raw = APIKey.objects.create_key(name="staff", owner=owner, rate_limit_per_minute=10_000)
    return raw


def _get(path: str, secret: str, method: str = "GET", body: Any = None) -> TestResponse:
    client = WsgiClient(application)
    return client.open(path, method=method, json=body, headers={"X-API-Key": secret})


@pytest.mark.parametrize(("described", "prefix"), TREES)
def test_a_real_sales_summary_matches_its_description(
    staff_secret: str, described: Any, prefix: str
) -> None:
    company = CompanyFactory.create(domain="acme.com.tr", tenant_size="medium")
    DomainSignalsFactory.create(company=company)
    LeadScoreFactory.create(company=company)
    response = _get(f"{prefix}/leads/acme.com.tr/sales-summary", staff_secret)
    assert response.status_code == 200
    described[f"{prefix}/leads/{{domain}}/sales-summary"]["GET"].validate_response(response)


@pytest.mark.parametrize(("described", "prefix"), TREES)
def test_real_api_key_answers_match_their_description(
    staff_secret: str, described: Any, prefix: str
) -> None:
    created = _get(f"{prefix}/admin/api-keys", staff_secret, "POST", {"name": "crm"})
    listed = _get(f"{prefix}/admin/api-keys", staff_secret)
    key_id = (created.json or {})["id"]
    switched = _get(f"{prefix}/admin/api-keys/{key_id}/deactivate", staff_secret, "PATCH")
    assert (created.status_code, listed.status_code, switched.status_code) == (201, 200, 200)
    operations = described[f"{prefix}/admin/api-keys"]
    operations["POST"].validate_response(created)
    operations["GET"].validate_response(listed)
    described[f"{prefix}/admin/api-keys/{{key_id}}/deactivate"]["PATCH"].validate_response(switched)
