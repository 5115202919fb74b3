"""The Celery application; its configuration is read from Django settings (CELERY_*).

Run it with ``celery -A hunter worker`` and ``celery -A hunter beat`` (``manage.py runstack``
starts both; hunter.management.commands.runstack builds the exact command lines).
"""

import os

from celery import Celery

from hunter.request_context import connect_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hunter.settings")

app = Celery("hunter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Log lines of a web request and of the tasks it enqueued share one request id.
connect_signals()
