"""Health probes against real services, and against real dead ones.

The failure cases start the app under gunicorn in a subprocess whose settings point at a
closed port (nothing listens) or at a socket that accepts and never answers, so every
failure below is a real connection failure, not a simulated one.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from hunter.health import describe_error, run_checks

pytestmark = pytest.mark.django_db
STARTUP_DEADLINE_SECONDS = 60
# Settings that would let the subprocess reach our real services unless a test sets them.
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "HUNTER_RATELIMIT_REDIS_URL",
    "SENTRY_DSN",
)


# --- In-process, against the real PostgreSQL and Redis of the test run -----------------------


def test_healthz_is_ok_and_names_the_environment(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "environment": settings.HUNTER_ENV}


def test_liveness_says_alive(client):
    response = client.get("/healthz/live")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


@pytest.mark.parametrize("path", ["/healthz/ready", "/healthz/startup"])
def test_readiness_and_startup_are_ready_when_every_dependency_answers(client, settings, path):
    # Generous deadline: other test runs may load the shared PostgreSQL and Redis.
    settings.HUNTER_HEALTH_CHECK_TIMEOUT = 15
    response = client.get(path)

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": {"ok": True}, "cache": {"ok": True}, "broker": {"ok": True}},
    }


def test_probes_need_no_login_and_are_never_cached(client):
    response = client.get("/healthz/live")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


def test_probes_refuse_writes(client):
    assert client.post("/healthz/ready").status_code == 405


def test_a_check_that_never_answers_fails_at_the_deadline_instead_of_hanging():
    release = threading.Event()

    def hanging_check(timeout: float) -> None:
        release.wait()

    try:
        results = run_checks({"slow": hanging_check}, timeout=0.2)
    finally:
        release.set()

    assert not results["slow"].ok
    assert results["slow"].error == "no answer within 0.2s"


def test_error_text_never_carries_credentials():
    error = ConnectionError(
        "could not connect to postgres://hunter:s3cret@db:5432/hunter (password=s3cret)\nmore"
    )

    text = describe_error(error)

    assert "s3cret" not in text
    assert text.startswith("ConnectionError: could not connect to postgres://***@db:5432/hunter")
    assert "more" not in text


def test_a_failed_check_shows_only_its_error_type_and_logs_where_it_failed(caplog):
    def unreachable(timeout: float) -> None:
        raise ConnectionError("Error 111 connecting to redis.internal:6390. Connection refused.")

    results = run_checks({"cache": unreachable}, timeout=1.0)

    assert results["cache"].error == "ConnectionError"
    logged = [
        str(record.msg) for record in caplog.records if "readiness_check_failed" in str(record.msg)
    ]
    assert len(logged) == 1
    assert "redis.internal:6390" in logged[0]


# --- A real server process with dependencies that are down ------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback only)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _wait_until_serving(process: subprocess.Popen, base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early: {log.read_text()}")
        try:
            _get(f"{base_url}/healthz/live")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


@contextmanager
def served_app(tmp_path: Path, **environment: str):
    """The app under gunicorn on a free loopback port, with only the given services set."""
    env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    port = _free_port()
    env.update(HUNTER_ENV="development", HUNTER_VAR_DIR=str(tmp_path), HUNTER_WEB_WORKERS="1")
    env.update(HUNTER_BIND=f"127.0.0.1:{port}", **environment)
    # The production gunicorn configuration, so the probes are tested as they will be served.
    command = [sys.executable, "-m", "gunicorn", "--config", "hunter/gunicorn.conf.py"]
    command += ["hunter.wsgi:application"]
    log = tmp_path / "server.log"
    # A file, not a pipe: a full pipe would block the server mid-test.
    with log.open("w") as log_file:
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stderr=log_file)
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_serving(process, base_url, log)
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture
def embedded_var(tmp_path):
    """A var/ directory for embedded mode, with the queue folder the broker check expects."""
    (tmp_path / "broker" / "queue").mkdir(parents=True)
    return tmp_path


@pytest.fixture
def closed_port():
    """A loopback port nobody listens on: connections are refused at once."""
    return _free_port()


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections and never answers (a hung dependency)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


@pytest.mark.slow
def test_embedded_mode_is_ready_without_any_service(embedded_var):
    with served_app(embedded_var) as base_url:
        status, body = _get(f"{base_url}/healthz/ready")

    assert status == 200
    assert body["status"] == "ready"


@pytest.mark.slow
def test_unreachable_database_makes_readiness_503_naming_only_the_database(
    embedded_var, closed_port
):
    database_url = f"postgres://hunter:s3cret-pw@127.0.0.1:{closed_port}/hunter"

    with served_app(embedded_var, DATABASE_URL=database_url) as base_url:
        status, body = _get(f"{base_url}/healthz/ready")
        live_status, _ = _get(f"{base_url}/healthz")

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["failed"] == ["database"]
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert "s3cret-pw" not in json.dumps(body)
    assert str(closed_port) not in json.dumps(body)
    assert body["checks"]["cache"] == {"ok": True}
    assert live_status == 200


@pytest.mark.slow
def test_unreachable_redis_makes_readiness_503_naming_cache_and_broker(embedded_var, closed_port):
    with served_app(embedded_var, REDIS_URL=f"redis://127.0.0.1:{closed_port}/0") as base_url:
        status, body = _get(f"{base_url}/healthz/startup")

    assert status == 503
    assert body["failed"] == ["cache", "broker"]
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["cache"]["error"] == "ConnectionError"
    assert body["checks"]["broker"]["error"] == "OperationalError"
    # Where Redis lives is for the log, not for whoever asks the probe.
    assert str(closed_port) not in json.dumps(body)
    assert "127.0.0.1" not in json.dumps(body)


@pytest.mark.slow
def test_a_redis_that_never_answers_fails_readiness_at_the_deadline(embedded_var, silent_port):
    environment = {
        "REDIS_URL": f"redis://127.0.0.1:{silent_port}/0",
        # Below the cache's own 2 s socket timeout, so the probe's deadline is what fires.
        "HUNTER_HEALTH_CHECK_TIMEOUT": "1",
    }

    with served_app(embedded_var, **environment) as base_url:
        status, body = _get(f"{base_url}/healthz/ready")

    assert status == 503
    assert body["checks"]["cache"] == {"ok": False, "error": "no answer within 1s"}


@pytest.mark.slow
def test_a_missing_broker_queue_folder_in_embedded_mode_is_not_ready(tmp_path):
    with served_app(tmp_path) as base_url:
        status, body = _get(f"{base_url}/healthz/ready")

    assert status == 503
    assert body["failed"] == ["broker"]
    assert body["checks"]["broker"]["error"] == "broker queue folder is missing or not writable"
    assert str(tmp_path) not in json.dumps(body)


FIRST_PROBE = """
import django, json
django.setup()
from hunter.health import READINESS_CHECKS, run_checks
checks = {name: READINESS_CHECKS[name] for name in ("cache", "broker")}
print(json.dumps({name: r.error for name, r in run_checks(checks, 5.0).items()}))
"""


@pytest.mark.slow
def test_the_first_probe_of_a_fresh_process_fails_on_the_connection_not_on_an_import(
    closed_port,
):
    # The cache and broker checks both import the Redis client on first use; in threads at
    # once that used to fail with ImportError now and then. Three fresh processes, three
    # first probes.
    env = {**os.environ, "REDIS_URL": f"redis://127.0.0.1:{closed_port}/0"}
    env["DJANGO_SETTINGS_MODULE"] = "hunter.settings"
    for _attempt in range(3):
        done = subprocess.run(
            [sys.executable, "-c", FIRST_PROBE],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        errors = json.loads(done.stdout.strip().splitlines()[-1])
        assert errors == {"cache": "ConnectionError", "broker": "OperationalError"}
