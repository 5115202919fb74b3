"""pytest fixtures (see hunter.testing): a real Celery worker against the test database.

Use with ``@pytest.mark.django_db(transaction=True)``: the worker is another process and only
sees committed rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from hunter.celery import app
from hunter.testing.celery_worker import CeleryWorkerProcess, database_url_for, purge_queue


@pytest.fixture
def celery_worker_process(django_db_setup: None, tmp_path: Path) -> Iterator[CeleryWorkerProcess]:
    """A running ``celery -A hunter worker`` on the test database and the test Redis broker."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("the worker fixture needs REDIS_URL (the filesystem broker has no control)")
    if connection.vendor != "postgresql":
        pytest.skip("the worker fixture needs DATABASE_URL: SQLite test databases are private")
    queue = str(app.conf.task_default_queue)
    purge_queue(queue)
    worker = CeleryWorkerProcess(
        database_url=database_url_for(connection.settings_dict),
        log_path=tmp_path / "celery-worker.log",
        queue=queue,
    )
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
