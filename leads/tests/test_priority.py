"""The 1-7 priority bands of SPEC §7.6."""

from __future__ import annotations

import pytest

from leads.priority import priority_score


@pytest.mark.parametrize(
    ("segment", "score", "expected"),
    [
        ("Migration", 100, 1),
        ("Migration", 80, 1),
        ("Migration", 79, 2),
        ("Migration", 70, 2),
        ("Migration", 69, 3),
        ("Migration", 60, 3),
        ("Migration", 59, 4),
        ("Migration", 0, 4),
        ("Existing", 70, 3),
        ("Existing", 69, 4),
        ("Existing", 50, 4),
        ("Existing", 49, 5),
        ("Existing", 30, 5),
        ("Existing", 29, 6),
        ("Existing", 0, 6),
        ("Cold", 40, 5),
        ("Cold", 39, 6),
        ("Cold", 20, 6),
        ("Cold", 19, 7),
        ("Skip", 100, 7),
    ],
)
def test_each_segment_band_maps_to_its_priority(segment: str, score: int, expected: int) -> None:
    assert priority_score(segment, score) == expected


@pytest.mark.parametrize(
    ("segment", "score"),
    [(None, 80), ("Migration", None), (None, None), ("Unknown", 80), ("", 80), ("migration", 90)],
)
def test_missing_unknown_or_wrongly_cased_segment_is_lowest_priority(
    segment: str | None, score: int | None
) -> None:
    assert priority_score(segment, score) == 7


def test_segment_is_trimmed_before_comparison() -> None:
    assert priority_score("  Migration ", 85) == 1
