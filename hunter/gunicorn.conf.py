"""Gunicorn settings for Hunter's web process.

Used by ``manage.py runstack`` and by docker-compose through the same command line
(``python -m gunicorn --config hunter/gunicorn.conf.py hunter.wsgi:application``), so both
read their bind address and sizes from the same environment variables.
"""

from typing import Any

from hunter.env import env_int, env_str
from hunter.paths import use_metrics_dir

# The master never loads Django's settings, which tell the workers where to write their
# counters; it needs the same folder to tidy up after a worker that died.
use_metrics_dir()

bind = [env_str("HUNTER_BIND", "127.0.0.1:8000")]
# Eight requests at once, as eight single-threaded ("sync") processes: a process takes the
# next connection only when it is free, so the kernel's accept queue shares the load out
# evenly. Threads (HUNTER_WEB_THREADS above 1, which switches gunicorn to its gthread
# worker) accept greedily and keep each client's connection in one process, so under steady
# load some clients queue behind a busy process while others are served at once; and threads
# of one process take turns on Python's lock at every database or Redis round trip.
# Measured on 2 cores at 16 connections, the lead list's p99 was 57-77 ms with 8 sync
# processes and 140-290 ms with 4 processes of 2 threads, at about the same requests/s.
workers = env_int("HUNTER_WEB_WORKERS", 8, minimum=1, maximum=64)
threads = env_int("HUNTER_WEB_THREADS", 1, minimum=1, maximum=64)
# A sync process is restarted when one request runs longer than this (an export of 100,000
# leads as XLSX takes about 13 s; a single-domain scan waits HUNTER_API_SCAN_WAIT_SECONDS).
timeout = env_int("HUNTER_WEB_TIMEOUT", 60, minimum=5, maximum=3600)
graceful_timeout = 20
# hunter.middleware writes one line per request with its request id; gunicorn's own access
# log would repeat each of them without it.
accesslog = None
errorlog = "-"
# gunicorn's control socket sits at one per-user path, so two Hunters on one machine (or a
# test run beside `make run`) would fight over it; nothing here uses it.
control_socket_disable = True
# Recycle workers now and then so a slow leak cannot grow without bound (0: never). Each
# recycle costs a Django start-up, seen as a slow request; the benchmarks turn it off.
max_requests = env_int("HUNTER_WEB_MAX_REQUESTS", 1000, minimum=0, maximum=10_000_000)
max_requests_jitter = max_requests // 10


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges (breaker state) so scrapes stop counting them."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
