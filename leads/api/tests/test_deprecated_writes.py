"""Calls to the switched-off CRM writes are counted per endpoint in /healthz/metrics and logged."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

METRIC = "hunter_deprecated_endpoint_calls"
NOTES = "POST /leads/{domain}/notes"
FAVORITE = "DELETE /leads/{domain}/favorite"


def _scraped() -> dict[str, float]:
    """The counter's samples from a real scrape, by endpoint label."""
    body = Client().get("/healthz/metrics").content.decode()
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(body):
        if family.name != METRIC:
            continue
        for sample in family.samples:
            if sample.name == f"{METRIC}_total":
                counts[sample.labels["endpoint"]] = sample.value
    return counts


def test_each_410_call_counts_once_under_its_endpoint_label(key_client: APIClient) -> None:
    before = _scraped()
    for domain in ("a.com", "b.com", "c.com"):
        key_client.post(f"/leads/{domain}/notes", {"note": "x"}, format="json")
    key_client.delete("/api/v1/leads/a.com/favorite")
    after = _scraped()
    assert after[NOTES] - before.get(NOTES, 0) == 3  # three domains, one series
    assert after[FAVORITE] - before.get(FAVORITE, 0) == 1


def test_the_counter_has_no_label_per_domain(key_client: APIClient) -> None:
    key_client.post("/leads/only-here.com/notes", {"note": "x"}, format="json")
    assert all("only-here" not in label for label in _scraped())


def test_a_rejected_body_is_not_counted(key_client: APIClient) -> None:
    before = _scraped().get(NOTES, 0)
    assert key_client.post("/leads/a.com/notes", {"note": ""}, format="json").status_code == 400
    assert _scraped().get(NOTES, 0) == before


def test_each_410_call_is_still_logged_as_a_warning(
    key_client: APIClient, caplog: pytest.LogCaptureFixture
) -> None:
    key_client.post("/leads/a.com/tags", {"tag": "x"}, format="json")
    warnings: list[Any] = [
        record.msg
        for record in caplog.records
        if record.levelname == "WARNING" and isinstance(record.msg, dict)
    ]
    assert {"event": "deprecated_endpoint_called", "endpoint": "POST /leads/{domain}/tags"} in [
        {k: line.get(k) for k in ("event", "endpoint")} for line in warnings
    ]
