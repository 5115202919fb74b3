"""A private ``redis-server`` for outage tests: stop it, freeze it, bring it back.

Outage tests must never touch the shared Redis; each starts its own server on a free
loopback port, without persistence (the ``private_redis`` fixture), and points the cache or
the Celery app of the test process at it (``celery_broker_at``).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from celery import Celery, current_app

READY_TIMEOUT_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServerProcess:
    """One redis-server on 127.0.0.1:port that keeps its port across stop and start."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 1) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        """Start the server and return once it answers."""
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not installed")
        command = [
            executable, "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
        ]  # fmt: skip
        self._process = subprocess.Popen(  # noqa: S603 - fixed arguments
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not self._answers():
            if time.monotonic() > deadline or self._process.poll() is not None:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the server (connections are refused until ``start``)."""
        if self._process is None:
            return
        self.thaw()
        self._process.terminate()
        self._process.wait(timeout=10)
        self._process = None

    def freeze(self) -> None:
        """SIGSTOP: connections are still accepted by the kernel, but nothing answers."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)


@contextmanager
def celery_broker_at(url: str) -> Iterator[None]:
    """Point this process's Celery app at another broker, and back afterwards."""
    app: Celery = current_app
    previous = app.conf.broker_url
    _swap_broker(app, url)
    try:
        yield
    finally:
        _swap_broker(app, previous)


def _swap_broker(app: Any, url: str) -> None:
    # The app caches its connection and producer pools: forget them so the next publish
    # takes the pool of the new URL. Never close them: kombu keeps one pool per URL for the
    # whole process, and the old URL's pool is the one the app gets back afterwards.
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServerProcess]:
    """A redis-server of this test's own, stopped at the end whatever happened."""
    server = RedisServerProcess(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
