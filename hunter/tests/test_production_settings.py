"""Production safety: refuse to start without real secrets, pass `check --deploy`, and report
errors to Sentry without personal data.

Settings are read once per process, so each case starts a fresh Python process with its own
environment. Sentry reports go to a collector on 127.0.0.1, never to the internet.
"""

import gzip
import os
import secrets
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from sentry_sdk.types import Event

from hunter.sentry import scrub_event

# Variables of the test run that must not leak into the processes started here.
CLEARED_VARIABLES = (
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "SENTRY_DSN",
    "HUNTER_SENTRY_TRACES_SAMPLE_RATE",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "HUNTER_RATELIMIT_REDIS_URL",
)
SETUP_DJANGO = "import django; django.setup()"


def strong_secret_key() -> str:
    return secrets.token_urlsafe(64)


def run_python(tmp_path, args, **environment):
    env = {key: value for key, value in os.environ.items() if key not in CLEARED_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="hunter.settings", HUNTER_VAR_DIR=str(tmp_path))
    env.update(environment)
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- Refusing to start --------------------------------------------------------------------------


def test_production_without_secret_key_refuses_to_start(tmp_path):
    result = run_python(
        tmp_path, ["-c", SETUP_DJANGO], HUNTER_ENV="production", ALLOWED_HOSTS="hunter.example"
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_with_the_development_key_refuses_to_start(tmp_path):
    result = run_python(
        tmp_path,
        ["-c", SETUP_DJANGO],
        HUNTER_ENV="production",
        ALLOWED_HOSTS="hunter.example",
        SECRET_KEY=settings.DEV_SECRET_KEY,
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_without_allowed_hosts_refuses_to_start(tmp_path):
    result = run_python(
        tmp_path, ["-c", SETUP_DJANGO], HUNTER_ENV="production", SECRET_KEY=strong_secret_key()
    )

    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_with_debug_on_refuses_to_start(tmp_path):
    result = run_python(
        tmp_path,
        ["-c", SETUP_DJANGO],
        HUNTER_ENV="production",
        SECRET_KEY=strong_secret_key(),
        ALLOWED_HOSTS="hunter.example",
        DEBUG="true",
    )

    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_production_with_real_values_passes_the_deployment_checklist(tmp_path):
    result = run_python(
        tmp_path,
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        HUNTER_ENV="production",
        SECRET_KEY=strong_secret_key(),
        ALLOWED_HOSTS="hunter.example",
        DATABASE_URL="postgres://hunter@127.0.0.1:5432/hunter",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL"])
def test_production_without_postgresql_or_redis_refuses_to_start(tmp_path, missing):
    environment = {
        "DATABASE_URL": "postgres://hunter@127.0.0.1:5432/hunter",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    del environment[missing]
    result = run_python(
        tmp_path,
        ["-c", SETUP_DJANGO],
        HUNTER_ENV="production",
        SECRET_KEY=strong_secret_key(),
        ALLOWED_HOSTS="hunter.example",
        **environment,
    )
    assert result.returncode != 0
    assert f"needs {missing}" in result.stderr


# --- Sentry ---------------------------------------------------------------------------------------


class Collector(ThreadingHTTPServer):
    """A stand-in Sentry on loopback: keeps what the SDK sends."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), CollectorHandler)
        self.received: list[tuple[str, bytes]] = []


class CollectorHandler(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.received.append((self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads `received`, not the server's access log."""


@pytest.fixture
def sentry_collector():
    collector = Collector()
    thread = threading.Thread(target=collector.serve_forever, daemon=True)
    thread.start()
    yield collector
    collector.shutdown()
    collector.server_close()


SENTRY_PROBE = """
import django; django.setup()
import sentry_sdk
from django.test import Client
status = Client().get("/healthz").status_code
sentry_sdk.capture_message("hunter-sentry-probe")
sentry_sdk.flush(timeout=10)
options = sentry_sdk.get_client().options
print(status, options["traces_sample_rate"], options["send_default_pii"])
"""


def test_sentry_reports_to_the_configured_dsn_and_the_app_keeps_serving(tmp_path, sentry_collector):
    port = sentry_collector.server_address[1]

    result = run_python(
        tmp_path,
        ["-c", SENTRY_PROBE],
        SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/1",
        HUNTER_SENTRY_TRACES_SAMPLE_RATE="0.25",
        ALLOWED_HOSTS="testserver",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "0.25", "False"]
    bodies = [body for path, body in sentry_collector.received if path == "/api/1/envelope/"]
    assert any(b"hunter-sentry-probe" in body for body in bodies)
    assert any(b'"environment":"development"' in body for body in bodies)


def test_a_malformed_traces_sample_rate_stops_the_process_naming_the_variable(tmp_path):
    result = run_python(
        tmp_path,
        ["-c", SETUP_DJANGO],
        SENTRY_DSN="http://publickey@127.0.0.1:9/1",
        HUNTER_SENTRY_TRACES_SAMPLE_RATE="2",
    )

    assert result.returncode != 0
    assert "HUNTER_SENTRY_TRACES_SAMPLE_RATE" in result.stderr


def test_sentry_events_lose_bodies_cookies_query_strings_secrets_and_user():
    event: Event = {
        "message": "boom",
        "user": {"email": "ayse@example.com"},
        "request": {
            "url": "https://hunter.example/leads/",
            "method": "POST",
            "data": {"company": "Acme A.Ş."},
            "cookies": {"sessionid": "abc"},
            "query_string": "search=ayse@example.com",
            "headers": {"Cookie": "sessionid=abc", "X-Api-Key": "k", "User-Agent": "UA"},
        },
    }

    scrubbed = scrub_event(event, {})

    assert scrubbed["request"] == {
        "url": "https://hunter.example/leads/",
        "method": "POST",
        "headers": {"User-Agent": "UA"},
    }
    assert "user" not in scrubbed
    assert scrubbed["message"] == "boom"
