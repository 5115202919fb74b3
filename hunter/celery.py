"""The Celery application; its configuration is read from Django settings (CELERY_*).

Run it with ``celery -A hunter worker`` and ``celery -A hunter beat`` (``manage.py runstack``
starts both; hunter.management.commands.runstack builds the exact command lines).
"""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_shutdown

from hunter.request_context import connect_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hunter.settings")

app = Celery("hunter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Log lines of a web request and of the tasks it enqueued share one request id.
connect_signals()


@worker_process_shutdown.connect
def _forget_live_gauges(pid: int | None = None, **kwargs: Any) -> None:
    # A pool process that exits (max tasks per child) must not leave its breaker state behind.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid or os.getpid())
