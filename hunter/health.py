"""Health probes: liveness says the process answers, readiness says its dependencies
(database, cache, broker) answer too.

Each dependency has one small check function that raises on failure. The checks run in
worker threads with a deadline, so a dependency that hangs (a half-open socket, a firewall
dropping packets) turns into a failed check instead of a probe that never returns.

The probe answers anyone, so its body names a failed check and the kind of error only;
driver messages carry internal host names, ports and paths, and go to the log instead.
"""

from __future__ import annotations

import importlib
import math
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

Check = Callable[[float], None]
logger = structlog.get_logger("hunter.health")

# The clients the checks use import many of their modules lazily, on first connect. Two check
# threads doing that first import at once can each meet the other's half-initialised module
# (ImportError: cannot import name ... from partially initialized module), so they are
# imported in one thread before any check thread starts.
CLIENT_MODULES = (
    "redis",
    "redis.asyncio",
    "redis.observability.recorder",
    "django_redis.cache",
    "django_redis.client.default",
    "kombu.transport.redis",
)


def import_client_modules() -> None:
    """Import the cache and broker client modules (idempotent, cheap once done)."""
    for name in CLIENT_MODULES:
        importlib.import_module(name)


class CheckFailed(RuntimeError):
    """A check's own failure, worded without internal names: safe for the probe's body."""


ERROR_TEXT_LIMIT = 200
NO_ANSWER = "no answer within"
# Driver errors sometimes echo the URL or DSN they were given; never let a password out.
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)
_PASSWORD_PAIR = re.compile(r"(password\s*[=:]\s*)\S+", re.IGNORECASE)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one readiness check: ok, or not ok with a short, credential-free reason."""

    ok: bool
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"ok": True} if self.ok else {"ok": False, "error": self.error}


def public_error(error: BaseException) -> str:
    """What the probe's body says about a failed check: the error's type, or our own words."""
    return str(error) if isinstance(error, CheckFailed) else type(error).__name__


def check_database(timeout: float) -> None:
    """`SELECT 1` on a fresh connection of this thread, closed afterwards so probes leak none."""
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


def check_cache(timeout: float) -> None:
    """A set/get round trip with a unique key, so a stale value cannot pass for a live cache."""
    key = f"healthz:{uuid.uuid4().hex}"
    token = uuid.uuid4().hex
    ping = getattr(cache, "ping", None)
    if ping is not None:  # a cache that hides outages from callers still reports them here
        ping()
    cache.set(key, token, timeout=max(1, int(timeout) + 1))
    if cache.get(key) != token:
        raise CheckFailed("cache did not return the value just written")
    cache.delete(key)


def check_broker(timeout: float) -> None:
    """Open a connection through the Celery app (Redis or the kombu filesystem transport)."""
    from hunter.celery import app

    # Socket timeouts end a check stuck on a silent Redis; the filesystem transport ignores them.
    socket_timeouts = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    with app.connection_for_write(
        connect_timeout=timeout, transport_options=socket_timeouts
    ) as connection:
        # max_retries=0: fail on the first refusal instead of sleeping between retries.
        connection.ensure_connection(max_retries=0, timeout=math.ceil(timeout))
        if connection.transport.driver_type == "filesystem":
            _check_queue_folder(connection.transport_options or {})


def _check_queue_folder(transport_options: dict[str, Any]) -> None:
    # The filesystem transport "connects" to any path; publishing is what fails later.
    folder = Path(transport_options.get("data_folder_out", "."))
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        logger.warning("broker_queue_folder_unusable", folder=str(folder))
        raise CheckFailed("broker queue folder is missing or not writable")


READINESS_CHECKS: dict[str, Check] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


def describe_error(error: BaseException) -> str:
    """A one-line reason for a failed check: type and first line, credentials masked."""
    first_line = (str(error).strip().splitlines() or [""])[0]
    text = f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
    text = _URL_CREDENTIALS.sub(r"\g<scheme>***@", text)
    text = _PASSWORD_PAIR.sub(r"\g<1>***", text)
    return text[:ERROR_TEXT_LIMIT]


class _CheckThread(threading.Thread):
    """Runs one check; a daemon, so a check stuck on a dead socket never blocks shutdown."""

    def __init__(self, name: str, check: Check, timeout: float) -> None:
        super().__init__(name=f"healthz-{name}", daemon=True)
        self.check, self.timeout = check, timeout
        self.result = CheckResult(ok=False, error=f"{NO_ANSWER} {timeout:g}s")

    def run(self) -> None:
        try:
            self.check(self.timeout)
        except Exception as error:
            check = self.name.removeprefix("healthz-")
            logger.warning("readiness_check_failed", check=check, error=describe_error(error))
            self.result = CheckResult(ok=False, error=public_error(error))
        else:
            self.result = CheckResult(ok=True)


# One thread per check name at most: while a dependency hangs, probes every few seconds
# must not pile up a new stuck thread each time.
_in_flight: dict[str, _CheckThread] = {}
_in_flight_lock = threading.Lock()


def _start(name: str, check: Check, timeout: float) -> _CheckThread | None:
    with _in_flight_lock:
        previous = _in_flight.get(name)
        if previous is not None and previous.is_alive():
            return None
        thread = _in_flight[name] = _CheckThread(name, check, timeout)
    thread.start()
    return thread


def _outcome(thread: _CheckThread | None, deadline: float) -> CheckResult:
    if thread is None:
        return CheckResult(ok=False, error="previous check has not answered yet")
    thread.join(max(0.0, deadline - time.monotonic()))
    return thread.result


def run_checks(checks: dict[str, Check], timeout: float) -> dict[str, CheckResult]:
    """Run the checks in parallel and give them all `timeout` seconds in total."""
    import_client_modules()
    deadline = time.monotonic() + timeout
    threads = {name: _start(name, check, timeout) for name, check in checks.items()}
    return {name: _outcome(thread, deadline) for name, thread in threads.items()}


def readiness_response() -> JsonResponse:
    results = run_checks(READINESS_CHECKS, settings.HUNTER_HEALTH_CHECK_TIMEOUT)
    failed = [name for name, result in results.items() if not result.ok]
    body: dict[str, Any] = {
        "status": "unavailable" if failed else "ready",
        "checks": {name: result.as_json() for name, result in results.items()},
    }
    if failed:
        body["failed"] = failed
        # Checks that raised have logged their details; a silent one is logged here.
        for name in failed:
            if results[name].error.startswith(NO_ANSWER):
                logger.warning("readiness_check_failed", check=name, error=results[name].error)
    return _json(body, status=503 if failed else 200)


def _json(body: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Always 200 while the process can answer; touches no dependency."""
    return _json({"status": "ok", "environment": settings.HUNTER_ENV})


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return _json({"status": "alive"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    return readiness_response()


@never_cache
@require_GET
def startup(request: HttpRequest) -> JsonResponse:
    # Startup is readiness: the app has started once its dependencies answer.
    return readiness_response()


# At import too, so the first probe of a fresh process finds them loaded.
import_client_modules()
