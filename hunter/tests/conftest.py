"""A production-mode log capture; the personas live in hunter.testing.personas."""

import io
import json

import pytest
from django.conf import settings

from hunter.logging import configure_logging
from hunter.testing import personas

# The personas (sales_user, admin_user, sales_client) are project-wide: hunter.testing.personas.
PASSWORD = personas.PASSWORD


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
