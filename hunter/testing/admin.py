"""Helpers for admin tests in every app: admin URLs and changelist query counts."""

from __future__ import annotations

from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def admin_url(model: type[Model], view: str, *args: object) -> str:
    """The admin URL of ``view`` (changelist, add, change, delete) for ``model``."""
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def changelist_query_count(client: Client, model: type[Model]) -> int:
    """How many queries the model's changelist costs (asserting it rendered)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    return len(queries)
