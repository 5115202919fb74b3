"""The 1-7 sales priority (1 = call first) from segment and score.

The bands live only in the engine's ``rules.json`` (``priority_score`` table); this module is
the Django side's one door to them for values not written by a scan. The lead rows store the
priority a scan or ``manage.py rescore`` computed (``LeadScore.priority_score``, through
``leads.rows``), so lists sort by an indexed column; a rules change that moves the bands
changes the rules hash, and ``rescore`` rewrites the stored value.
"""

from __future__ import annotations

from scanning.engine.scoring import calculate_priority_score, load_rules


def priority_score(segment: str | None, score: int | None) -> int:
    """Return the 1-7 priority for a segment and readiness score; 7 when either is missing.

    The segment is compared after trimming and case-sensitively ("migration" is no segment).
    """
    return calculate_priority_score(segment, score, load_rules())
