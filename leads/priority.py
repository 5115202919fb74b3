"""The 1-7 sales priority (1 = call first), computed on read from segment and score (SPEC §7.6).

Kept as a pure function so lists, exports and change detection share one definition; it is
never stored because it follows from two stored columns.
"""

from __future__ import annotations

LOWEST_PRIORITY = 7

# Per segment: (minimum score, priority) bands, highest first, and the priority below them all.
_BANDS: dict[str, tuple[tuple[tuple[int, int], ...], int]] = {
    "Migration": (((80, 1), (70, 2), (60, 3)), 4),
    "Existing": (((70, 3), (50, 4), (30, 5)), 6),
    "Cold": (((40, 5), (20, 6)), 7),
}


def priority_score(segment: str | None, score: int | None) -> int:
    """Return the 1-7 priority for a segment and readiness score; 7 when either is missing.

    The segment is compared after trimming and case-sensitively, as in the reference.
    """
    if segment is None or score is None or segment.strip() not in _BANDS:
        return LOWEST_PRIORITY
    bands, below_all = _BANDS[segment.strip()]
    for minimum, priority in bands:
        if score >= minimum:
            return priority
    return below_all
