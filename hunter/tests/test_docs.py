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
