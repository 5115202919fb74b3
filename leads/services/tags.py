"""System tags: re-decided after every scan or re-score, while manual tags are left alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from leads.choices import TagSource
from leads.models import Company, Tag
from scanning.engine import changes as change_rules

CompanyTags = list[tuple[int, str, str]]  # one company's tags: [(tag id, tag, source)]


def company_tags_read(company_ids: Sequence[int]) -> dict[int, CompanyTags]:
    """Every tag of the given companies as ``(tag id, tag, source)``, by company id."""
    tags: dict[int, CompanyTags] = {}
    rows = Tag.objects.filter(company_id__in=company_ids).values_list(
        "id", "company_id", "tag", "source"
    )
    for tag_id, company_id, tag, source in rows:
        tags.setdefault(company_id, []).append((tag_id, tag, source))
    return tags


def system_tags_plan(
    state: change_rules.Snapshot,
    company: Company,
    current: CompanyTags,
    *,
    today: dt.date,
    migration_ready_score: int,
    expire_soon_days: int,
    created_at: dt.datetime,
) -> tuple[list[Tag], list[int]]:
    """The system tags a lead in ``state`` should carry: ``(tags to add, tag ids to remove)``.

    Manual tags are neither added nor removed, and a tag a user added by hand is not added
    again as a system tag.
    """
    wanted = change_rules.system_tags(
        state,
        company.provider or None,
        today=today,
        migration_ready_score=migration_ready_score,
        expire_soon_days=expire_soon_days,
    )
    system = {tag: tag_id for tag_id, tag, source in current if source == TagSource.SYSTEM}
    manual = [tag for _, tag, source in current if source != TagSource.SYSTEM]
    tag_changes = change_rules.tag_plan(wanted, system, manual)
    add = [
        Tag(company=company, tag=tag, source=TagSource.SYSTEM, created_at=created_at)
        for tag in sorted(tag_changes.add)
    ]
    return add, [system[tag] for tag in sorted(tag_changes.remove)]


def system_tags_replace(*, add: Sequence[Tag], remove_ids: Sequence[int]) -> None:
    """Delete the stale system tags and insert the new ones (two statements at most)."""
    if remove_ids:
        Tag.objects.filter(pk__in=remove_ids, source=TagSource.SYSTEM).delete()
    if add:
        # Unique (company, tag): a tag another writer added meanwhile is not an error.
        Tag.objects.bulk_create(list(add), ignore_conflicts=True)
