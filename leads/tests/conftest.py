"""Fixtures shared by the lead tests."""

from __future__ import annotations

from typing import Any

import pytest

from leads import models
from leads.tests.factories import CompanyFactory, DomainSignalsFactory, LeadScoreFactory


@pytest.fixture
def scanned_company(db: None) -> models.Company:
    """A company with a signal row and a score row, as a committed scan leaves it."""
    company = CompanyFactory.create()
    DomainSignalsFactory.create(company=company)
    LeadScoreFactory.create(company=company)
    return company


@pytest.fixture(autouse=True)
def loopback_receivers_allowed(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Let alerts reach the tests' loopback receivers; the URL checks are tested apart.

    Set in the environment too, so a Celery worker a test starts reads the same list.
    """
    settings.HUNTER_ALERT_URL_ALLOWLIST = ["127.0.0.1"]
    monkeypatch.setenv("HUNTER_ALERT_URL_ALLOWLIST", "127.0.0.1")
