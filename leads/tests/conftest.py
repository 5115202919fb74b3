"""Fixtures shared by the lead tests."""

from __future__ import annotations

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
