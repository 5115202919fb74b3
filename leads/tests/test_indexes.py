"""The planner serves the lead list and a company's history from their composite indexes.

Each test fills a table with enough rows that reading it whole costs more than the index, runs
ANALYZE so the planner knows, and reads the plan PostgreSQL chooses with EXPLAIN. With real
statistics the planner picks the index on its own, so the tests leave ``enable_seqscan`` on:
forcing it off would prove only that the index exists, not that it is worth using.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model, QuerySet
from django.utils import timezone

from leads.choices import Segment, SignalType
from leads.filtersets import LeadFilterSet
from leads.models import Company, LeadScore, SignalChangeHistory

pytestmark = pytest.mark.django_db

LEADS = 5000
SEGMENTS = [Segment.EXISTING, Segment.MIGRATION, Segment.COLD, Segment.SKIP]


def analyze(*models: type[Model]) -> None:
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {model._meta.db_table}")


def plan_of(queryset: QuerySet[Any]) -> str:
    return queryset.explain()


def companies(count: int) -> list[Company]:
    return Company.objects.bulk_create(
        [Company(domain=f"lead-{n}.example.com", canonical_name=f"Lead {n}") for n in range(count)]
    )


@pytest.fixture
def many_leads() -> list[Company]:
    leads = companies(LEADS)
    rng = random.Random(7)
    LeadScore.objects.bulk_create(
        [
            LeadScore(company=company, segment=rng.choice(SEGMENTS), score=rng.randint(0, 100))
            for company in leads
        ]
    )
    analyze(Company, LeadScore)
    return leads


def test_scored_leads_of_one_segment_best_first_read_the_segment_score_index(
    many_leads: list[Company],
) -> None:
    page = LeadScore.objects.filter(segment=Segment.MIGRATION, score__gte=40).order_by("-score")

    plan = plan_of(page[:50])

    assert "leadscore_segment_score_idx" in plan
    assert "Sort" not in plan  # the index hands rows over in score order


def test_a_companys_signal_history_newest_first_reads_the_history_index() -> None:
    watched = companies(500)
    start = timezone.now() - dt.timedelta(days=365)
    SignalChangeHistory.objects.bulk_create(
        [
            SignalChangeHistory(
                company=company,
                signal_type=SignalType.MX,
                old_value="a.example.net",
                new_value="b.example.net",
                changed_at=start + dt.timedelta(days=day),
            )
            for company in watched
            for day in range(0, 40, 4)
        ]
    )
    analyze(SignalChangeHistory)
    company = watched[100]

    plan = plan_of(SignalChangeHistory.objects.filter(company=company).order_by("-changed_at"))

    assert "signal_change_history_idx" in plan
    assert "Sort" not in plan


def test_the_lead_search_compiles_to_the_indexed_expression(many_leads: list[Company]) -> None:
    """The index is built on the SQL the search expression compiles to; drift shows here.

    At 5,000 rows reading the table is as cheap as the index, so this one test turns the
    sequential scan off: what it proves is that the planner *can* use the index, which it
    can only when the search compiles to exactly the indexed expression.
    """
    searched = LeadFilterSet({"search": "LEAD-4321"}, queryset=Company.objects.all()).qs
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = plan_of(searched.order_by())  # no order: the companies alone, read one way or another

    assert "company_search_trgm_idx" in plan, plan
