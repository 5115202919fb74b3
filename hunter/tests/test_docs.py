"""The README stays an operator manual: the quick start first, every setting documented."""

from __future__ import annotations

import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def test_readme_opens_with_the_two_quick_start_commands() -> None:
    readme = (BASE_DIR / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make run" in quick_start
    assert "make test" in quick_start


def test_readme_documents_every_variable_of_the_env_example() -> None:
    # .env.example is kept complete by test_env_example_documents_every_variable_hunter_reads.
    example = (BASE_DIR / ".env.example").read_text()
    variables = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    readme = (BASE_DIR / "README.md").read_text()
    assert {name for name in variables if f"`{name}`" not in readme} == set()


def settings_rows(readme: str) -> dict[str, str]:
    """Each settings-table variable and its description (the last cell of its row)."""
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|[^|\n]*\| (.*) \|$", readme, flags=re.MULTILINE)
    return dict(rows)


def test_every_documented_variable_has_a_description_of_its_own() -> None:
    rows = settings_rows((BASE_DIR / "README.md").read_text())
    by_description: dict[str, list[str]] = {}
    for name, description in rows.items():
        by_description.setdefault(description, []).append(name)

    assert len(rows) > 50  # the pattern still finds the table
    assert {text: names for text, names in by_description.items() if len(names) > 1} == {}
