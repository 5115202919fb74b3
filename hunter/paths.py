"""Hunter's folders, for settings and for processes that never load Django (gunicorn's master)."""

from __future__ import annotations

import os
from pathlib import Path

from hunter.env import env_str

BASE_DIR = Path(__file__).resolve().parent.parent
# prometheus-client's own variable; when it is set, every process writes its counters there.
PROMETHEUS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def var_dir() -> Path:
    """Folder for the SQLite file, the filesystem broker, static files and metrics."""
    return Path(env_str("HUNTER_VAR_DIR", str(BASE_DIR / "var")))


def metrics_dir() -> Path:
    """Where every web and worker process writes its Prometheus counters.

    prometheus-client reads PROMETHEUS_MULTIPROC_DIR, so that variable wins when something
    already set it; otherwise HUNTER_METRICS_DIR, by default ``var/metrics``.
    """
    preset = os.environ.get(PROMETHEUS_DIR_VARIABLE)
    if preset:
        return Path(preset)
    return Path(env_str("HUNTER_METRICS_DIR", str(var_dir() / "metrics")))


def use_metrics_dir() -> Path:
    """Create the metrics folder and point prometheus-client at it (before importing it)."""
    folder = metrics_dir()
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[PROMETHEUS_DIR_VARIABLE] = str(folder)
    return folder
