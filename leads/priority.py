"""The 1-7 sales priority (1 = call first), computed on read from segment and score.

The bands live only in the engine's ``rules.json`` (``priority_score`` table); this module is
the Django side's one door to them, so lists, exports and change detection cannot drift from
what the scorer computes. Never stored, because it follows from two stored columns.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Trim
from django.db.models.lookups import GreaterThanOrEqual, In, IsNull, LessThanOrEqual

from scanning.engine.rules import Condition
from scanning.engine.scoring import calculate_priority_score, load_rules


def priority_score(segment: str | None, score: int | None) -> int:
    """Return the 1-7 priority for a segment and readiness score; 7 when either is missing.

    The segment is compared after trimming and case-sensitively ("migration" is no segment).
    """
    return calculate_priority_score(segment, score, load_rules())


# Engine fact name -> LeadScore column; a prefix reaches the score through a relation.
_PRIORITY_FACT_FIELDS = {"segment": "segment", "score": "score"}


def _condition_sql(condition: Condition, prefix: str) -> Q:
    """One decision-table condition in SQL; the segment is trimmed as the engine trims it."""
    unknown = set(condition.allowed) - {"segment"}
    if unknown:
        raise ValueError(f"priority rules use facts the SQL mirror lacks: {sorted(unknown)}")
    score = F(f"{prefix}{_PRIORITY_FACT_FIELDS['score']}")
    segment = Trim(f"{prefix}{_PRIORITY_FACT_FIELDS['segment']}")
    # A NULL segment or score falls through to the fallback, as in Python.
    parts: list[Any] = [IsNull(score, False), IsNull(segment, False)]
    if "segment" in condition.allowed:
        parts.append(In(segment, sorted(condition.allowed["segment"])))
    if condition.min_score is not None:
        parts.append(GreaterThanOrEqual(score, condition.min_score))
    if condition.max_score is not None:
        parts.append(LessThanOrEqual(score, condition.max_score))
    return Q(*parts)


def priority_score_expression(prefix: str = "") -> Case:
    """The 1-7 priority as a SQL CASE built from the same rules table the engine reads.

    Lets lists sort and paginate by priority in the database. ``prefix`` reaches the score
    row through a relation (``"score__"`` from Company). Built once per rules version: a
    query resolves (copies) the expression, so sharing the unresolved one is safe.
    """
    return _priority_case(prefix, load_rules().hash)


@lru_cache(maxsize=8)
def _priority_case(prefix: str, rules_hash: str) -> Case:
    table = load_rules().priority_score
    whens = [
        When(_condition_sql(rule.condition, prefix), then=Value(int(rule.then)))
        for rule in table.rules
    ]
    return Case(*whens, default=Value(int(table.fallback)), output_field=IntegerField())
