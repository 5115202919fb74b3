"""The lead list selector and its FilterSet: one query, stored priority, filters and sorting."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.core.exceptions import ValidationError

from hunter.pagination import page_rows
from leads import models, selectors
from leads.filtersets import LeadFilterSet
from leads.priority import priority_score
from leads.selectors import lead_list
from leads.tests.factories import (
    CompanyFactory,
    DomainSignalsFactory,
    FavoriteFactory,
    LeadScoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

fill_priority_scores = importlib.import_module(
    "leads.migrations.0008_stored_priority_score"
).fill_priority_scores


def _lead(
    domain: str, *, segment: str | None = "Migration", score: int | None = 85, **company: Any
) -> models.Company:
    lead = CompanyFactory.create(domain=domain, **company)
    DomainSignalsFactory.create(company=lead)
    LeadScoreFactory.create(company=lead, segment=segment, score=score)
    return lead


def _domains(filters: dict[str, Any] | None = None, **kwargs: Any) -> list[str]:
    return [lead.domain for lead in lead_list(filters=filters, **kwargs)]


BANDS = [
    ("Migration", 80),
    ("Migration", 79),
    ("Migration", 60),
    ("Migration", 0),
    ("Existing", 70),
    ("Existing", 50),
    ("Existing", 30),
    ("Existing", 29),
    ("Cold", 40),
    ("Cold", 20),
    ("Cold", 19),
    ("Skip", 100),
    (" Migration ", 85),
    ("migration", 90),
]


def test_the_migration_stores_the_python_priority_for_every_band() -> None:
    for number, (segment, score) in enumerate(BANDS):
        _lead(f"band{number}.com", segment=segment, score=score)
    models.LeadScore.objects.update(priority_score=None)  # rows as they stood before it

    fill_priority_scores(django_apps, None)

    stored = {lead.domain: lead.score.priority_score for lead in lead_list()}
    expected = {f"band{n}.com": priority_score(seg, sc) for n, (seg, sc) in enumerate(BANDS)}
    assert stored == expected


def test_the_list_orders_by_the_stored_priority_first() -> None:
    _lead("mig-85.com", segment="Migration", score=85)
    _lead("cold-45.com", segment="Cold", score=45)
    # A stored priority the bands would not give proves the order reads the column.
    models.LeadScore.objects.filter(company__domain="cold-45.com").update(priority_score=1)
    models.LeadScore.objects.filter(company__domain="mig-85.com").update(priority_score=2)
    assert _domains() == ["cold-45.com", "mig-85.com"]


def test_lead_list_reads_company_signals_and_score_in_one_query(
    django_assert_num_queries: Any,
) -> None:
    for number in range(5):
        _lead(f"lead{number}.com")
    with django_assert_num_queries(1):
        rows = [
            (lead.signals.mx_root, lead.score.segment, lead.score.priority_score)
            for lead in lead_list()
        ]
    assert len(rows) == 5


def test_only_scored_companies_are_leads() -> None:
    _lead("scored.com")
    unscored = CompanyFactory.create(domain="unscored.com")
    LeadScoreFactory.create(company=unscored, segment=None, score=None)
    CompanyFactory.create(domain="never-scanned.com")
    assert _domains() == ["scored.com"]


def test_default_order_is_priority_ascending_then_score_descending() -> None:
    _lead("cold.com", segment="Cold", score=45)
    _lead("mig-72.com", segment="Migration", score=72)
    _lead("mig-95.com", segment="Migration", score=95)
    _lead("mig-85.com", segment="Migration", score=85)
    assert _domains() == ["mig-95.com", "mig-85.com", "mig-72.com", "cold.com"]


def test_unknown_sort_by_keeps_the_default_order() -> None:
    _lead("b.com", score=70)
    _lead("a.com", score=90)
    assert _domains({"sort_by": "nonsense"}) == ["a.com", "b.com"]


@pytest.mark.parametrize(
    ("sort_by", "sort_order", "expected"),
    [
        ("domain", "asc", ["a.com", "b.com", "c.com"]),
        ("domain", "desc", ["c.com", "b.com", "a.com"]),
        ("readiness_score", "asc", ["b.com", "c.com", "a.com"]),
        ("priority_score", "desc", ["b.com", "c.com", "a.com"]),  # 3, 3 (by domain), 1
        ("segment", "asc", ["c.com", "a.com", "b.com"]),
    ],
)
def test_sort_by_and_sort_order_choose_the_order(
    sort_by: str, sort_order: str, expected: list[str]
) -> None:
    _lead("a.com", segment="Migration", score=90)
    _lead("b.com", segment="Migration", score=61)
    _lead("c.com", segment="Existing", score=75)
    assert _domains({"sort_by": sort_by, "sort_order": sort_order}) == expected


def test_segment_provider_and_min_score_filter_exactly() -> None:
    _lead("google-90.com", score=90, provider="Google")
    _lead("google-65.com", score=65, provider="Google")
    _lead("zoho-90.com", score=90, provider="Zoho")
    _lead("existing.com", segment="Existing", score=90, provider="Google")
    filters = {"segment": "Migration", "provider": "Google", "min_score": "70"}
    assert _domains(filters) == ["google-90.com"]


def test_an_unknown_segment_matches_nothing_rather_than_failing() -> None:
    _lead("a.com")
    assert _domains({"segment": "migration"}) == []


def test_priority_category_filters_on_the_p_model() -> None:
    lead = _lead("greenfield.com")
    models.LeadScore.objects.filter(company=lead).update(priority_category="P1")
    _lead("competitive.com")
    assert _domains({"priority_category": "P1"}) == ["greenfield.com"]


def test_search_matches_domain_company_name_or_provider_ignoring_case() -> None:
    _lead("acme.com.tr", canonical_name="Acme Tekstil", provider="Zoho")
    _lead("other.com", canonical_name="Başka Şirket", provider="Google")
    assert _domains({"search": "ACME"}) == ["acme.com.tr"]
    assert _domains({"search": "tekstil"}) == ["acme.com.tr"]
    assert _domains({"search": "zoh"}) == ["acme.com.tr"]


def test_favorite_keeps_only_the_given_users_favourites() -> None:
    mine = _lead("mine.com")
    theirs = _lead("theirs.com")
    user, other = UserFactory.create(), UserFactory.create()
    FavoriteFactory.create(user=user, company=mine)
    FavoriteFactory.create(user=other, company=theirs)
    assert _domains({"favorite": "true"}, user=user) == ["mine.com"]
    assert _domains({"favorite": "false"}, user=user) == ["mine.com", "theirs.com"]
    assert _domains({"favorite": "true"}) == []


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"min_score": "101"}, "min_score"),
        ({"min_score": "-1"}, "min_score"),
        ({"min_score": "abc"}, "min_score"),
        ({"sort_order": "sideways"}, "sort_order"),
        ({"priority_category": "P9"}, "priority_category"),
    ],
)
def test_invalid_parameters_raise_a_validation_error_naming_the_field(
    filters: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        lead_list(filters=filters)
    assert field in error.value.message_dict


def test_the_filterset_works_on_a_plain_company_queryset() -> None:
    _lead("b.com", score=70)
    _lead("a.com", score=90)
    filterset = LeadFilterSet({"min_score": "80"}, queryset=models.Company.objects.all())
    assert [lead.domain for lead in filterset.qs] == ["a.com"]


def test_counting_segment_and_score_filters_reads_the_score_table_alone(
    django_assert_num_queries: Any,
) -> None:
    _lead("google-90.com", score=90)
    _lead("google-65.com", score=65)
    _lead("existing.com", segment="Existing", score=90)
    leads = lead_list(filters={"segment": "Migration", "min_score": "70"}).only("domain")
    with django_assert_num_queries(2) as captured:  # the data version, then the count
        assert leads.count() == 1
    assert "leads_company" not in captured.captured_queries[1]["sql"]
    assert leads.exclude(domain="google-90.com").count() == 0  # a narrower one counts itself


def test_a_total_is_cached_until_the_next_scan_writes(django_assert_num_queries: Any) -> None:
    _lead("first.com")
    assert lead_list(filters={"segment": "Migration"}).count() == 1
    models.LeadScore.objects.filter(company__domain="first.com").delete()  # not a scan
    with django_assert_num_queries(1):  # the data version only: the total is cached
        assert lead_list(filters={"segment": "Migration"}).count() == 1
    _lead("second.com")  # a scan stores its signals: the data version moves
    _lead("third.com")
    assert lead_list(filters={"segment": "Migration"}).count() == 2
    assert lead_list(filters={"segment": "Migration", "min_score": "90"}).count() == 0


def test_counting_a_filter_on_the_company_joins_it_and_stays_exact(
    django_assert_num_queries: Any,
) -> None:
    _lead("google.com", provider="Google")
    _lead("zoho.com", provider="Zoho")
    leads = lead_list(filters={"provider": "Google", "segment": "Migration"})
    with django_assert_num_queries(2) as captured:  # the data version, then the count
        assert leads.count() == 1
    assert "leads_company" in captured.captured_queries[1]["sql"]


def test_a_count_of_favourites_follows_the_stars_at_once() -> None:
    mine = _lead("mine.com")
    _lead("other.com")
    user = UserFactory.create()
    assert lead_list(filters={"favorite": "true"}, user=user).count() == 0
    FavoriteFactory.create(user=user, company=mine)  # no scan: the data version stays
    assert lead_list(filters={"favorite": "true"}, user=user).count() == 1


def test_favourites_are_each_users_own_when_the_built_list_is_kept() -> None:
    mine, theirs = _lead("mine.com"), _lead("theirs.com")
    me, them = UserFactory.create(), UserFactory.create()
    FavoriteFactory.create(user=me, company=mine)
    FavoriteFactory.create(user=them, company=theirs)
    for _ in range(2):  # the second round reads the lists each process keeps built
        assert _domains({"favorite": "true"}, user=me) == ["mine.com"]
        assert _domains({"favorite": "true"}, user=them) == ["theirs.com"]
        assert _domains({"favorite": "true"}) == []  # no user, no favourites


def test_a_kept_lead_list_hands_out_a_fresh_copy_each_time() -> None:
    _lead("a.com", score=90)
    first = lead_list(filters={"segment": "Migration"})
    assert [lead.domain for lead in first] == ["a.com"]  # evaluated: it holds its rows now
    _lead("b.com", score=80)
    again = lead_list(filters={"segment": "Migration"})  # built from the same kept query
    assert [lead.domain for lead in again] == ["a.com", "b.com"]


def _keys_in_pages(leads: Any, size: int) -> list[int]:
    total = leads.count()
    return [key for start in range(0, total, size) for key in leads.page_keys(start, start + size)]


def test_a_default_ordered_page_reads_its_keys_from_the_score_table_alone(
    django_assert_num_queries: Any,
) -> None:
    for n in range(7):
        _lead(f"lead-{n}.com", score=50 + n % 3)  # ties on score: the key decides
    leads = lead_list(filters={"segment": "Migration"})
    with django_assert_num_queries(1) as captured:
        keys = list(leads.page_keys(2, 5))
    assert "leads_company" not in captured.captured_queries[0]["sql"]
    assert keys == [lead.pk for lead in leads][2:5]


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"segment": "Migration", "min_score": "55"},
        {"provider": "Google"},  # a company column: the keys come from the joined query
        {"sort_by": "readiness_score", "sort_order": "desc"},
        {"sort_by": "domain"},
    ],
)
def test_pages_of_keys_follow_the_list_order_without_overlap_or_gap(
    filters: dict[str, str],
) -> None:
    for n in range(11):
        _lead(
            f"lead-{n:02}.com",
            segment=["Migration", "Cold"][n % 2],
            score=50 + n % 4,
            provider=["Google", "Zoho"][n % 3 == 0],
        )
    leads = lead_list(filters=filters)
    assert _keys_in_pages(leads, 3) == [lead.pk for lead in leads]


@pytest.fixture
def six_leads_deep_from_row_two(monkeypatch: pytest.MonkeyPatch) -> None:
    """lead-0 to lead-5 in that order; pages from row 2 on choose their keys first."""
    monkeypatch.setattr(selectors, "STRAIGHT_ROWS", 2)
    for n in range(6):
        _lead(f"lead-{n}.com", score=90 - n)


@pytest.mark.usefixtures("six_leads_deep_from_row_two")
def test_a_deep_page_after_its_total_reads_the_data_version_once(
    django_assert_num_queries: Any,
) -> None:
    leads = lead_list(filters={"segment": "Migration"})
    with django_assert_num_queries(4):  # the data version, the count, the keys, the rows
        assert leads.count() == 6
        assert [lead.domain for lead in page_rows(leads, 2, 4)] == ["lead-2.com", "lead-3.com"]


def test_a_process_keeps_its_copy_of_a_total_the_shared_cache_lost(
    django_assert_num_queries: Any,
) -> None:
    _lead("a.com")
    assert lead_list(filters={"segment": "Migration"}).count() == 1
    cache.clear()  # Redis evicted or flushed it
    with django_assert_num_queries(1):  # the data version only: this process kept the total
        assert lead_list(filters={"segment": "Migration"}).count() == 1


@pytest.mark.parametrize(
    "filters",
    [
        {"segment": "Migration"},  # along LeadScore's index: straight at the top
        {"provider": "Google"},
        {"sort_by": "domain"},
        {"favorite": "true"},  # counted per user: deep keys are never kept
    ],
)
def test_pages_of_rows_straight_or_keys_first_follow_the_list_order(
    filters: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "STRAIGHT_ROWS", 4)  # pages past row 4 choose keys first
    user = UserFactory.create()
    for n in range(11):
        lead = _lead(f"lead-{n:02}.com", score=50 + n % 4, provider=["Google", "Zoho"][n % 3 == 0])
        FavoriteFactory.create(user=user, company=lead)
    leads = lead_list(filters=filters, user=user)
    expected = [lead.domain for lead in leads]
    for _ in range(2):  # the second time, deep pages come from their kept keys
        paged = [
            lead.domain
            for start in range(0, len(expected), 3)
            for lead in page_rows(lead_list(filters=filters, user=user), start, start + 3)
        ]
        assert paged == expected


@pytest.mark.usefixtures("six_leads_deep_from_row_two")
def test_a_deep_page_keeps_its_keys_until_the_next_scan(django_assert_num_queries: Any) -> None:
    deep = lead_list(filters={"segment": "Migration"})
    with django_assert_num_queries(3):  # the data version, the walk to the keys, the rows
        assert [lead.domain for lead in page_rows(deep, 2, 4)] == ["lead-2.com", "lead-3.com"]
    with django_assert_num_queries(2):  # the data version and the rows: the keys were kept
        assert [lead.domain for lead in page_rows(deep, 2, 4)] == ["lead-2.com", "lead-3.com"]
    _lead("lead-new.com", score=95)  # a scan stores a new first lead: every page moves
    moved = page_rows(lead_list(filters={"segment": "Migration"}), 2, 4)
    assert [lead.domain for lead in moved] == ["lead-1.com", "lead-2.com"]


def test_a_reordered_lead_list_pages_in_its_new_order() -> None:
    _lead("b.com", score=90)
    _lead("a.com", score=70)
    leads = lead_list().order_by("domain")
    assert list(leads.page_keys(0, 2)) == [lead.pk for lead in leads]


def test_search_does_not_match_across_two_columns() -> None:
    _lead("acme.com.tr", canonical_name="Tekstil", provider="Zoho")
    assert _domains({"search": "com.tr"}) == ["acme.com.tr"]
    assert _domains({"search": "trtekstil"}) == []
    assert _domains({"search": "tr tekstil"}) == []


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("ACME SANAYİ A.Ş.", "sanayi"),
        ("Acme Sanayi", "SANAYİ"),
        ("Örnek Şirket", "ŞİRKET"),
        ("ÖRNEK ŞİRKET", "şirket"),
        ("Işık Tekstil", "ışık"),
    ],
)
def test_search_reads_turkish_dotted_and_dotless_i_alike(stored: str, typed: str) -> None:
    _lead("acme.com.tr", canonical_name=stored)
    _lead("other.com.tr", canonical_name="Başka")
    assert _domains({"search": typed}) == ["acme.com.tr"]
