"""The import bans in ruff's configuration cover what they promise to cover."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_leads_ruff_config_bans_every_scanning_module_but_the_engine() -> None:
    config = tomllib.loads((ROOT / "leads" / "ruff.toml").read_text())
    banned = set(config["lint"]["flake8-tidy-imports"]["banned-api"])
    modules = {
        f"scanning.{path.stem}"
        for path in (ROOT / "scanning").iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").exists())
        and path.stem not in ("__init__", "engine")
    }

    assert modules - banned == set()
    assert "scanning.engine" not in banned
