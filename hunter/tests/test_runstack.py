"""`manage.py runstack` runs Hunter end to end; docker-compose runs the same processes."""

from __future__ import annotations

import http.cookiejar
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
import psycopg
import pytest
import yaml
from psycopg import sql
from pytest_django.fixtures import Settings as SettingsWrapper

from hunter.management.commands.runstack import (
    BASE_DIR,
    Child,
    Command,
    beat_command,
    bind_taken,
    broker_folders,
    child_commands,
    probe_url,
    web_command,
    worker_command,
)

ADMIN_USER = "smoke-admin"
ADMIN_PASSWORD = "smoke-test-password-4f7c9a"
START_TIMEOUT = 120.0
STOP_TIMEOUT = 60.0
ENV_NAME = re.compile(r"""env_\w+\(\s*["']([A-Z][A-Z0-9_]*)["']""")


# --- command lines and configuration files ---------------------------------------------------


def test_wildcard_bind_is_probed_on_loopback() -> None:
    assert probe_url("0.0.0.0:8000") == "http://127.0.0.1:8000/healthz"


def test_explicit_bind_is_probed_where_it_listens() -> None:
    assert probe_url("127.0.0.2:9001") == "http://127.0.0.2:9001/healthz"


def test_unix_socket_bind_is_not_probed_over_http() -> None:
    assert probe_url("unix:/run/hunter.sock") is None


def test_stack_runs_web_worker_and_beat_with_this_interpreter() -> None:
    commands = child_commands()

    assert sorted(commands) == ["beat", "web", "worker"]
    assert all(argv[0] == sys.executable for argv in commands.values())


def test_beat_reads_its_schedule_from_the_database() -> None:
    assert "django_celery_beat.schedulers:DatabaseScheduler" in beat_command()


def test_embedded_broker_needs_its_queue_processed_and_control_folders(
    settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
        "store_processed": False,
    }

    folders = broker_folders()

    assert folders == [tmp_path / "control", tmp_path / "processed", tmp_path / "queue"]


def test_redis_broker_needs_no_folders(settings: SettingsWrapper) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/4"

    assert broker_folders() == []


STUBBORN_CHILD = (
    "import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "pathlib.Path(sys.argv[1]).touch(); time.sleep(600)"
)


@pytest.mark.slow
def test_child_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    ready = tmp_path / "ignoring-sigterm"
    child = Child("stubborn", [sys.executable, "-c", STUBBORN_CHILD, str(ready)])
    output = io.StringIO()
    child.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not ready.exists():  # SIGTERM must arrive after the child chose to ignore it
        assert child.exit_code() is None
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.05)

    Command(stdout=output).stop_children([child], grace=0.5)

    assert child.process is not None
    assert child.process.returncode == -signal.SIGKILL
    assert not process_group_alive(child.pid)
    assert "stubborn is still running; killing it." in output.getvalue()


def test_stopping_a_child_that_never_started_signals_nobody() -> None:
    child = Child("never-started", [sys.executable, "-c", "pass"])

    Command(stdout=io.StringIO()).stop_children([child], grace=0)

    assert child.process is None


def compose_services() -> dict[str, dict[str, object]]:
    document = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    return dict(document["services"])


def test_compose_file_defines_the_whole_stack() -> None:
    services = compose_services()

    assert {"postgres", "redis", "setup", "web", "worker", "beat"} <= set(services)
    assert str(services["postgres"]["image"]).startswith("postgres:15")
    assert str(services["redis"]["image"]).startswith("redis:7")


def test_compose_runs_the_same_commands_as_runstack() -> None:
    services = compose_services()

    assert services["web"]["command"] == web_command("python")
    assert services["worker"]["command"] == worker_command("python")
    assert services["beat"]["command"] == beat_command("python")
    assert services["setup"]["command"] == ["python", "manage.py", "runstack", "--setup-only"]


@pytest.mark.parametrize("name", ["postgres", "redis", "web", "worker"])
def test_compose_service_has_a_healthcheck(name: str) -> None:
    assert compose_services()[name]["healthcheck"]


@pytest.mark.parametrize("name", ["setup", "web", "worker", "beat"])
def test_compose_app_services_get_database_and_redis_in_production(name: str) -> None:
    service = compose_services()[name]
    environment = service["environment"]

    assert isinstance(environment, dict)
    assert environment["HUNTER_ENV"] == "production"
    assert str(environment["DATABASE_URL"]).startswith("postgres://")
    assert str(environment["REDIS_URL"]).startswith("redis://redis:6379/")
    assert service["env_file"] == ".env"


def names_read_from_env(path: Path) -> set[str]:
    return set(ENV_NAME.findall(path.read_text()))


def test_env_example_documents_every_variable_hunter_reads() -> None:
    # Every application module, so a setting added anywhere must be documented too.
    sources = [
        path
        for app in ("hunter", "leads", "scanning")
        for path in (BASE_DIR / app).rglob("*.py")
        if not {"tests", "testing", "migrations"} & set(path.parts)
    ]
    example = (BASE_DIR / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))

    read = set().union(*(names_read_from_env(path) for path in sources))

    assert read - documented == set()
    assert {"HUNTER_ADMIN_USER", "HUNTER_ADMIN_PASSWORD", "HUNTER_BIND"} <= documented


# --- the real stack, embedded mode -----------------------------------------------------------


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    env: dict[str, str]

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def child_pids(self) -> list[int]:
        return [int(pid) for pid in re.findall(r"^started \w+ \(pid (\d+)\)", self.output(), re.M)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def embedded_env(var_dir: Path, port: int) -> dict[str, str]:
    """This environment minus every server-mode variable, plus a private var dir and port.

    The metrics folder goes too: the stack empties its own, which must not be this run's.
    """
    server_mode = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "HUNTER_RATELIMIT_REDIS_URL"}
    server_mode |= {"PROMETHEUS_MULTIPROC_DIR", "HUNTER_METRICS_DIR"}
    env = {key: value for key, value in os.environ.items() if key not in server_mode}
    env.update(
        HUNTER_ENV="development",
        HUNTER_VAR_DIR=str(var_dir),
        HUNTER_BIND=f"127.0.0.1:{port}",
        HUNTER_ADMIN_USER=ADMIN_USER,
        HUNTER_ADMIN_PASSWORD=ADMIN_PASSWORD,
        HUNTER_WORKER_CONCURRENCY="1",
        HUNTER_WEB_WORKERS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def start_stack(var_dir: Path, log_name: str) -> RunningStack:
    port = free_port()
    env = embedded_env(var_dir, port)
    log_path = var_dir / log_name
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runstack", "--grace", "20"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    stack = RunningStack(process, f"http://127.0.0.1:{port}", log_path, env)
    wait_until_announced(stack)
    return stack


def wait_until_announced(stack: RunningStack) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if "Hunter is running at" in stack.output():
            return
        if stack.process.poll() is not None:
            pytest.fail(f"runstack exited during start-up:\n{stack.output()[-4000:]}")
        time.sleep(0.3)
    pytest.fail(f"runstack never announced its URL:\n{stack.output()[-4000:]}")


def process_group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_stack(stack: RunningStack) -> int:
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGINT)
    try:
        return stack.process.wait(timeout=STOP_TIMEOUT)
    finally:
        if stack.process.poll() is None:
            stack.process.kill()
        for pid in stack.child_pids():
            if process_group_alive(pid):
                os.killpg(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hunter-var")


@pytest.fixture(scope="module")
def embedded_stack(var_dir: Path) -> Iterator[RunningStack]:
    stack = start_stack(var_dir, "runstack.log")
    try:
        yield stack
    finally:
        stop_stack(stack)


def run_in_stack(stack: RunningStack, script: str) -> subprocess.CompletedProcess[str]:
    """``manage.py shell -c script`` against the stack's own database and broker."""
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=BASE_DIR,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def fetch(
    opener: urllib.request.OpenerDirector, url: str, data: bytes | None = None
) -> tuple[int, str, str]:
    with opener.open(url, data=data, timeout=10) as response:
        return response.status, response.geturl(), response.read().decode()


@pytest.mark.slow
def test_embedded_stack_is_ready(embedded_stack: RunningStack) -> None:
    status, _, body = fetch(
        urllib.request.build_opener(), f"{embedded_stack.base_url}/healthz/ready"
    )

    assert status == 200
    assert '"ready"' in body


@pytest.mark.slow
def test_embedded_stack_renders_the_login_page(embedded_stack: RunningStack) -> None:
    status, _, body = fetch(
        urllib.request.build_opener(), f"{embedded_stack.base_url}/accounts/login/"
    )

    assert status == 200
    assert 'name="csrfmiddlewaretoken"' in body
    assert 'name="password"' in body


@pytest.mark.slow
def test_embedded_stack_lists_scanned_leads_through_the_api(embedded_stack: RunningStack) -> None:
    # A scanned lead and a key, written to the stack's own SQLite database.
    script = (
        "from hunter.api.models import APIKey; "
        "from leads.tests.factories import DomainSignalsFactory, LeadScoreFactory; "
        "signals = DomainSignalsFactory.create(company__domain='acme.com.tr'); "
        "LeadScoreFactory.create(company=signals.company); "
        "print(APIKey.objects.create_key(name='embedded')[1])"
    )
    written = run_in_stack(embedded_stack, script)
    assert written.returncode == 0, written.stderr[-2000:]
    key = written.stdout.split()[-1]
    opener = urllib.request.build_opener()
    opener.addheaders = [("X-API-Key", key)]
    for _ in range(2):  # the second time, the total comes from the cache
        status, _, body = fetch(opener, f"{embedded_stack.base_url}/api/v1/leads?segment=Migration")
        assert status == 200
        page = json.loads(body)
        assert page["total"] == 1
        assert [lead["domain"] for lead in page["leads"]] == ["acme.com.tr"]


@pytest.mark.slow
def test_configured_admin_can_sign_in_to_the_admin_site(embedded_stack: RunningStack) -> None:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    login_url = f"{embedded_stack.base_url}/admin/login/?next=/admin/"
    _, _, form = fetch(opener, login_url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token, form
    fields = {"csrfmiddlewaretoken": token.group(1), "username": ADMIN_USER}
    fields |= {"password": ADMIN_PASSWORD, "next": "/admin/"}

    status, final_url, page = fetch(opener, login_url, urllib.parse.urlencode(fields).encode())

    assert status == 200
    assert urllib.parse.urlsplit(final_url).path == "/admin/"
    assert 'id="logout-form"' in page


@pytest.mark.slow
def test_embedded_stack_serves_prometheus_metrics_to_loopback(
    embedded_stack: RunningStack, var_dir: Path
) -> None:
    status, _, body = fetch(
        urllib.request.build_opener(), f"{embedded_stack.base_url}/healthz/metrics"
    )

    assert status == 200
    assert "# HELP hunter_scan_jobs Scan jobs by state." in body
    assert (var_dir / "metrics").is_dir()


@pytest.mark.slow
def test_embedded_worker_runs_a_task_through_the_filesystem_broker(
    embedded_stack: RunningStack,
) -> None:
    script = "from hunter.tasks import ping; print(ping.delay().get(timeout=60)['pong'])"

    result = run_in_stack(embedded_stack, script)

    assert result.stdout.strip().splitlines()[-1:] == ["pong"], result.stderr[-2000:]


@pytest.mark.slow
def test_second_run_is_idempotent_and_ctrl_c_stops_every_child(
    embedded_stack: RunningStack, var_dir: Path
) -> None:
    # A second stack on the same var dir: migrations and admin are already in place.
    stack = start_stack(var_dir, "second-runstack.log")
    children = stack.child_pids()

    exit_code = stop_stack(stack)

    assert exit_code == 0, stack.output()[-4000:]
    assert len(children) == 3
    assert [pid for pid in children if process_group_alive(pid)] == []
    assert "admin account" not in stack.output()
    assert "Hunter stopped." in stack.output()


@pytest.mark.slow
def test_a_child_that_dies_stops_the_stack_with_a_failure(
    embedded_stack: RunningStack, var_dir: Path
) -> None:
    stack = start_stack(var_dir, "crash-runstack.log")
    web, worker, beat = stack.child_pids()

    os.kill(worker, signal.SIGKILL)
    exit_code = stack.process.wait(timeout=STOP_TIMEOUT)
    stop_stack(stack)

    assert exit_code != 0
    assert "worker exited unexpectedly" in stack.output()
    assert not process_group_alive(web)
    assert not process_group_alive(beat)


# --- server mode: PostgreSQL named by DATABASE_URL ---------------------------------------------


def admin_dsn(url: str) -> str:
    config = dj_database_url.parse(url)
    return psycopg.conninfo.make_conninfo(
        host=str(config.get("HOST") or ""),
        port=str(config.get("PORT") or ""),
        user=str(config.get("USER") or ""),
        password=str(config.get("PASSWORD") or ""),
        dbname="postgres",
    )


@pytest.fixture
def fresh_database_url() -> Iterator[str]:
    """A DATABASE_URL naming a PostgreSQL database that does not exist yet (dropped after)."""
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    name = f"hunter_runstack_{uuid.uuid4().hex[:10]}"
    yield f"{base_url.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(admin_dsn(base_url), autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def run_setup_only(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "HUNTER_ENV": "development"}
    env.update(HUNTER_ADMIN_USER=ADMIN_USER, HUNTER_ADMIN_PASSWORD=ADMIN_PASSWORD)
    return subprocess.run(
        [sys.executable, "manage.py", "runstack", "--setup-only"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def admin_usernames(database_url: str) -> list[str]:
    config = dj_database_url.parse(database_url)
    dsn = admin_dsn(database_url).replace("dbname=postgres", f"dbname={config['NAME']}")
    with psycopg.connect(dsn) as connection:
        rows = connection.execute("SELECT username FROM auth_user WHERE is_superuser").fetchall()
    return [row[0] for row in rows]


@pytest.mark.slow
def test_setup_only_creates_the_database_migrates_and_adds_the_admin(
    fresh_database_url: str,
) -> None:
    result = run_setup_only(fresh_database_url)

    assert result.returncode == 0, result.stderr[-4000:]
    assert "Created the database named in DATABASE_URL." in result.stdout
    assert admin_usernames(fresh_database_url) == [ADMIN_USER]


@pytest.mark.slow
def test_setup_only_twice_changes_nothing_the_second_time(fresh_database_url: str) -> None:
    run_setup_only(fresh_database_url)

    second = run_setup_only(fresh_database_url)

    assert second.returncode == 0, second.stderr[-4000:]
    assert "Created" not in second.stdout
    assert admin_usernames(fresh_database_url) == [ADMIN_USER]


def test_a_taken_bind_address_is_detected_and_a_free_one_is_not() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        taken = listener.getsockname()[1]
        assert bind_taken(f"127.0.0.1:{taken}")
    assert not bind_taken(f"127.0.0.1:{free_port()}")
    assert not bind_taken("unix:/tmp/hunter.sock")


@pytest.mark.slow
def test_make_run_with_its_port_taken_says_so_and_starts_nothing(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "manage.py", "runstack"],
            cwd=BASE_DIR,
            env=embedded_env(tmp_path, port),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"CommandError: 127.0.0.1:{port} is already in use by another program: stop it, "
        "or set HUNTER_BIND to a free address (for example 127.0.0.1:8001)."
    )
    assert "Hunter is running" not in done.stdout
    assert "started" not in done.stdout
