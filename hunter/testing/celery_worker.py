"""A real ``celery -A hunter worker`` subprocess for tests.

The worker is a separate process with its own database connection, so it only sees data the
test has committed: tests that use it need ``@pytest.mark.django_db(transaction=True)``.
It consumes from the same Redis broker the test process publishes to and writes results to
the same (test) database, so ``AsyncResult.get()`` in the test is a real round trip.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from kombu import Queue

from hunter.celery import app

BASE_DIR = Path(__file__).resolve().parent.parent.parent
READY_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 15.0


class WorkerStartError(RuntimeError):
    """The worker process exited or never answered a ping; the message carries its log."""


def database_url_for(settings_dict: Mapping[str, Any]) -> str:
    """A DATABASE_URL naming the same PostgreSQL database as a Django connection's settings."""
    if "postgresql" not in str(settings_dict.get("ENGINE", "")):
        raise ValueError("the worker fixture needs PostgreSQL: SQLite test databases are private")
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{quote(str(settings_dict['NAME']), safe='')}"


class CeleryWorkerProcess:
    """One worker subprocess that can be started, stopped, killed and restarted."""

    def __init__(
        self,
        *,
        database_url: str,
        log_path: Path,
        queue: str = "",
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.log_path = log_path
        self.queue = queue or str(app.conf.task_default_queue)
        self.extra_env = dict(extra_env or {})
        self.nodename = f"test-{uuid.uuid4().hex[:8]}@localhost"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        """The worker's main process id (the one that receives signals)."""
        if self._process is None:
            raise RuntimeError("the worker is not running")
        return self._process.pid

    def command(self) -> list[str]:
        """Solo pool: one task at a time in the main process, so SIGKILL stops the work."""
        return [
            sys.executable, "-m", "celery", "-A", "hunter", "worker",
            "--pool=solo", "--loglevel=INFO", "-Q", self.queue, "-n", self.nodename,
            "--without-gossip", "--without-mingle",
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        """This process's environment, pointed at the test database instead of the dev one."""
        env = {**os.environ, "DATABASE_URL": self.database_url, "PYTHONUNBUFFERED": "1"}
        env.update(self.extra_env)
        return env

    def start(self) -> None:
        """Start the worker and return once it answers a control ping."""
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            self.command(),
            cwd=BASE_DIR,
            env=self.environment(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if not self.is_running():
                raise WorkerStartError(f"the worker exited during start-up:\n{self.log_tail()}")
            if app.control.ping(destination=[self.nodename], timeout=0.5):
                return
        self.kill()
        raise WorkerStartError(f"the worker never answered a ping:\n{self.log_tail()}")

    def is_running(self) -> bool:
        """True while the worker process has not exited."""
        return self._process is not None and self._process.poll() is None

    def stop(self) -> int | None:
        """Warm shutdown (SIGTERM: finish the current task); SIGKILL after a grace period."""
        if self._process is None:
            return None
        if self.is_running():
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()
        return self._reap()

    def kill(self) -> int | None:
        """SIGKILL, as when a machine dies: the running task is never acknowledged."""
        if self._process is None:
            return None
        if self.is_running():
            self._process.kill()
        return self._reap()

    def restart(self) -> None:
        """Stop (or reap a killed worker) and start a fresh one on the same queue."""
        self.stop()
        self.start()

    def _reap(self) -> int | None:
        assert self._process is not None
        code = self._process.wait()
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the worker wrote, for failure messages."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def purge_queue(queue: str) -> int:
    """Drop messages left in the broker queue by earlier runs, so they cannot run now."""
    with app.connection_for_write() as connection:
        return int(Queue(queue, channel=connection.default_channel).purge() or 0)
