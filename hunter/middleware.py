"""Request middleware: a request id on every request and response, one access log line each."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

import structlog
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

from hunter.logging import escape_controls

REQUEST_ID_HEADER = "X-Request-ID"
# Inbound ids end up in log lines and headers: accept only short, plain tokens so a caller
# cannot inject new log fields, newlines or megabytes through the header.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Probes hit these every few seconds; at INFO they would drown the lines people read.
_QUIET_PATH_PREFIX = "/healthz"

GetResponse = Callable[[HttpRequest], HttpResponse]
access_log = structlog.get_logger("hunter.request")


def request_id_from(inbound: str | None) -> str:
    """The caller's X-Request-ID when it is a sane token, else a fresh uuid4 hex."""
    if inbound and _SANE_REQUEST_ID.fullmatch(inbound):
        return inbound
    return uuid.uuid4().hex


def clear_request_context(**_kwargs: object) -> None:
    """request_finished receiver: drop the request's log context once the response is closed.

    Django sends request_finished on every close, whether the view returned or raised, so
    the id of one request never reaches the log lines of the next one on the same thread.
    """
    structlog.contextvars.clear_contextvars()


request_finished.connect(clear_request_context, dispatch_uid="hunter.clear_request_context")


class RequestIdMiddleware:
    """Bind a request id to every log line of the request and return it in X-Request-ID.

    Installed first, so every other middleware and view logs with the id. The context is
    cleared when the response is closed (see clear_request_context), not when this method
    returns: Django writes its own "Not Found" and error lines after the middleware chain.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        # Clear first as well: a response that was never closed must not leak its context.
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestLogMiddleware:
    """One `request_finished` line per request: method, path, status, duration.

    The query string is left out on purpose: searches and filters carry e-mail addresses
    and company names, which must not reach the logs. Control characters in the path are
    escaped, so a crafted URL cannot write a line of its own into a text log.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        log = access_log.debug if request.path.startswith(_QUIET_PATH_PREFIX) else access_log.info
        log(
            "request_finished",
            method=request.method,
            path=escape_controls(request.path),
            status=response.status_code,
            duration_ms=duration_ms,
        )
        return response
