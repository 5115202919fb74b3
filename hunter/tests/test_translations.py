"""Every string the code and templates mark for translation has a Turkish translation.

The check extracts the marked strings afresh (``makemessages``, in a copy of the source tree,
merged with the committed catalogue as a developer's run would) and fails on any entry left
empty or fuzzy, then checks the compiled catalogue matches the source one.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

CATALOGUE = Path("locale/tr/LC_MESSAGES/django.po")
SKIPPED_DIRS = {".git", ".venv", "var", "node_modules", ".mypy_cache", ".ruff_cache"}


def _copy_sources(destination: Path) -> Path:
    root = Path(settings.BASE_DIR)
    tree = destination / "src"
    shutil.copytree(
        root,
        tree,
        ignore=lambda folder, names: [n for n in names if n in SKIPPED_DIRS or n == "vendor"],
        symlinks=True,
    )
    return tree


def _fresh_catalogue(tree: Path) -> polib.POFile:
    command = [sys.executable, "manage.py", "makemessages", "-l", "tr", "--no-obsolete"]
    subprocess.run(command, cwd=tree, check=True, capture_output=True, timeout=300)
    return polib.pofile(str(tree / CATALOGUE))


def _describe(entries: list[polib.POEntry]) -> str:
    return "\n".join(f"  {entry.msgid!r} ({entry.occurrences[:1]})" for entry in entries)


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory: pytest.TempPathFactory) -> polib.POFile:
    if shutil.which("msgmerge") is None:
        pytest.fail("GNU gettext is needed to check the catalogue: apt-get install gettext")
    return _fresh_catalogue(_copy_sources(tmp_path_factory.mktemp("i18n")))


def test_every_marked_string_has_a_turkish_translation(fresh_catalogue: polib.POFile) -> None:
    missing = [entry for entry in fresh_catalogue if not entry.translated() and not entry.obsolete]

    assert not missing, f"untranslated in {CATALOGUE}:\n{_describe(missing)}"


def test_no_turkish_translation_is_a_fuzzy_guess(fresh_catalogue: polib.POFile) -> None:
    fuzzy = [entry for entry in fresh_catalogue if "fuzzy" in entry.flags and entry.msgid]

    assert not fuzzy, f"fuzzy (unchecked) in {CATALOGUE}:\n{_describe(fuzzy)}"


def test_the_compiled_catalogue_matches_the_source_catalogue() -> None:
    root = Path(settings.BASE_DIR)
    source = {e.msgid: e.msgstr for e in polib.pofile(str(root / CATALOGUE)) if e.translated()}
    compiled = polib.mofile(str(root / CATALOGUE.with_suffix(".mo")))
    singular = {e.msgid: e.msgstr for e in compiled if e.msgid and not e.msgid_plural}
    stale = [
        msgid for msgid, text in source.items() if msgid in singular and singular[msgid] != text
    ]
    absent = [msgid for msgid in source if msgid not in {e.msgid for e in compiled}]

    hint = "run: manage.py compilemessages --ignore=.venv"
    assert not stale, hint
    assert not absent, hint
