"""Personas for page tests (a sales user, a staff admin) and a production-mode log capture."""

import io
import json

import pytest
from django.conf import settings

from hunter.logging import configure_logging

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def sales_user(django_user_model):
    return django_user_model.objects.create_user(
        username="satis", email="satis@example.com", password=PASSWORD
    )


@pytest.fixture
def admin_user(django_user_model):
    # Shadows pytest-django's admin_user so every persona shares one known password.
    return django_user_model.objects.create_superuser(
        username="yonetici", email="yonetici@example.com", password=PASSWORD
    )


@pytest.fixture
def sales_client(client, sales_user):
    client.force_login(sales_user)
    return client


class LogCapture:
    """Log output of the process, configured as in production (one JSON object per line)."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def events(self, name: str) -> list[dict]:
        return [line for line in self.lines() if line.get("event") == name]


@pytest.fixture
def json_log():
    """Production-mode logging into a buffer; the test session's logging is restored after."""
    capture = LogCapture()
    configure_logging(json_output=True, level="INFO", stream=capture.stream)
    yield capture
    configure_logging(json_output=settings.IS_PRODUCTION, level=settings.LOG_LEVEL)
