"""`manage.py runstack`: prepare Hunter and run web, worker and beat until Ctrl-C.

This is what `make run` calls. Preparation is idempotent and quick on re-runs: create the
PostgreSQL database when DATABASE_URL names one, migrate, collect static files, make sure an
admin exists, create the filesystem broker's folders in embedded mode, empty the metrics
folder. Then three children run under supervision; the command lines come from web_command,
worker_command and beat_command so docker-compose.yml can run exactly the same processes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from hunter.ensure_database import ensure_database
from hunter.env import env_str

BASE_DIR = Path(__file__).resolve().parents[3]
GUNICORN_CONFIG = "hunter/gunicorn.conf.py"
DEFAULT_BIND = "127.0.0.1:8000"
READY_TIMEOUT_SECONDS = 90.0
DEFAULT_GRACE_SECONDS = 30.0
POLL_SECONDS = 0.3
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "[::]"})  # noqa: S104 - matched, not bound


def web_command(python: str = sys.executable) -> list[str]:
    """Gunicorn serving hunter.wsgi; bind and sizes come from hunter/gunicorn.conf.py."""
    return [python, "-m", "gunicorn", "--config", GUNICORN_CONFIG, "hunter.wsgi:application"]


def worker_command(python: str = sys.executable) -> list[str]:
    """A Celery worker; concurrency comes from HUNTER_WORKER_CONCURRENCY via settings."""
    return [python, "-m", "celery", "-A", "hunter", "worker", "--loglevel=INFO"]


def beat_command(python: str = sys.executable) -> list[str]:
    """Celery beat reading its schedule from the database (django-celery-beat's admin)."""
    return [
        python, "-m", "celery", "-A", "hunter", "beat", "--loglevel=INFO",
        "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
    ]  # fmt: skip


def child_commands(python: str = sys.executable) -> dict[str, list[str]]:
    """Every process the stack runs, by name."""
    return {
        "web": web_command(python),
        "worker": worker_command(python),
        "beat": beat_command(python),
    }


def probe_url(bind: str) -> str | None:
    """The /healthz URL to ask for a TCP bind address; None for a unix socket."""
    if bind.startswith("unix:"):
        return None
    host, _, port = bind.rpartition(":")
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"
    return f"http://{host}:{port}/healthz"


def bind_taken(bind: str) -> bool:
    """True when another process already listens on the TCP address ``bind`` (host:port).

    Checked before anything starts: gunicorn would keep retrying the bind while the other
    process answered our health probe, and runstack would announce its URL as Hunter's.
    """
    if bind.startswith("unix:"):
        return False
    host, _, port = bind.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"  # noqa: S104 - probed, then closed at once
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As gunicorn binds: a socket left in TIME_WAIT by a previous run is no obstacle.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, int(port)))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def web_answers(url: str) -> bool:
    """True when the web server answers the health probe with 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def broker_folders() -> list[Path]:
    """The kombu filesystem broker's folders (embedded mode); empty for a network broker."""
    if not str(settings.CELERY_BROKER_URL).startswith("filesystem:"):
        return []
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    keys = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")
    return sorted({Path(str(options[key])) for key in keys if options.get(key)})


def metrics_folder_reset(folder: Path) -> None:
    """Counters start from zero with the stack: the files of an earlier run's processes go."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink(missing_ok=True)


@dataclass
class Child:
    """One supervised process; it leads its own session so Ctrl-C reaches only runstack."""

    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
            self.argv, cwd=BASE_DIR, env=os.environ.copy(), start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else 0

    def exit_code(self) -> int | None:
        return self.process.poll() if self.process else None

    def terminate(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def kill_group(self) -> None:
        # SIGKILL the whole session: gunicorn and prefork children die with their parent.
        if self.process is None:
            return  # never started: killpg(0) would hit runstack's own process group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


class Command(BaseCommand):
    help = "Prepare Hunter (database, migrations, static files, admin) and run web, worker, beat."
    # Set by the signal handler: the first signal asks for a clean stop.
    stop_signal: int | None = None
    signals_received = 0

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--setup-only",
            action="store_true",
            help="Prepare and exit without starting processes (docker-compose's setup step).",
        )
        parser.add_argument(
            "--grace",
            type=float,
            default=DEFAULT_GRACE_SECONDS,
            help="Seconds children get to stop after Ctrl-C before they are killed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bind = env_str("HUNTER_BIND", DEFAULT_BIND)
        if not options["setup_only"] and bind_taken(bind):
            raise CommandError(
                f"{bind} is already in use by another program: stop it, or set HUNTER_BIND "
                "to a free address (for example 127.0.0.1:8001)."
            )
        self.prepare()
        if options["setup_only"]:
            return
        children = [Child(name, argv) for name, argv in child_commands().items()]
        code = self.supervise(children, grace=options["grace"])
        if code:
            raise CommandError(
                "Hunter stopped because a process failed (see above).", returncode=code
            )

    # --- preparation -------------------------------------------------------------------------

    def prepare(self) -> None:
        """Everything the processes need before they start; safe to repeat."""
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        if settings.DATABASE_URL and ensure_database(settings.DATABASE_URL):
            self.say("Created the database named in DATABASE_URL.")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("ensure_admin", stdout=self.stdout, stderr=self.stderr)
        for folder in broker_folders():
            folder.mkdir(parents=True, exist_ok=True)
        metrics_folder_reset(settings.HUNTER_METRICS_DIR)
        # The children open their own connections; ours would only sit idle until exit.
        connections.close_all()

    # --- supervision -------------------------------------------------------------------------

    def supervise(self, children: Sequence[Child], *, grace: float) -> int:
        """Run the children until a stop signal (exit 0) or one of them dies (exit 1)."""
        self.install_signal_handlers()
        try:
            self.start_children(children)
            return self.watch(children)
        finally:
            self.stop_children(children, grace=grace)

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self.request_stop)

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        # The first Ctrl-C asks for a clean stop; a second one means "now" (skip the grace).
        self.stop_signal = signum
        self.signals_received += 1

    def start_children(self, children: Sequence[Child]) -> None:
        for child in children:
            child.start()
            self.say(f"started {child.name} (pid {child.pid}): {' '.join(child.argv[1:])}")

    def watch(self, children: Sequence[Child]) -> int:
        url = probe_url(env_str("HUNTER_BIND", DEFAULT_BIND))
        ready_by = time.monotonic() + READY_TIMEOUT_SECONDS
        announced = url is None
        while self.stop_signal is None:
            if dead := self.first_dead(children):
                self.say(f"{dead.name} exited unexpectedly (code {dead.exit_code()}).")
                return 1
            if not announced and url and web_answers(url):
                self.announce(url)
                announced = True
            elif not announced and time.monotonic() > ready_by:
                self.say(f"the web server did not answer {url} within {READY_TIMEOUT_SECONDS:g}s.")
                return 1
            time.sleep(POLL_SECONDS)
        return 0

    def first_dead(self, children: Sequence[Child]) -> Child | None:
        return next((child for child in children if child.exit_code() is not None), None)

    def announce(self, url: str) -> None:
        home = url.removesuffix("healthz")
        self.say(self.style.SUCCESS(f"Hunter is running at {home} — Ctrl-C stops it"))

    def stop_children(self, children: Sequence[Child], *, grace: float) -> None:
        """SIGTERM everyone, wait up to ``grace`` seconds, then SIGKILL what is left."""
        for child in children:
            child.terminate()
        deadline = time.monotonic() + grace
        while self.still_stopping(children, deadline):
            time.sleep(POLL_SECONDS)
        for child in children:
            if child.process and child.exit_code() is None:
                self.say(f"{child.name} is still running; killing it.")
            child.kill_group()
        self.say("Hunter stopped.")

    def still_stopping(self, children: Sequence[Child], deadline: float) -> bool:
        if self.signals_received > 1 or time.monotonic() >= deadline:
            return False
        return any(child.exit_code() is None for child in children)

    def say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
