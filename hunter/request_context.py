"""Carry the request id from the code that enqueues a task into the worker that runs it.

The HTTP middleware binds ``request_id`` into structlog's context variables. When a task is
published while one is bound, the id travels in a message header; the worker binds it again
for the task's duration, so the log lines of a web request and of the work it started share
one id. Tasks started without one (beat, shell) get a fresh id in the worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextvars import Token
from typing import Any

import structlog
from celery import Task
from celery.signals import before_task_publish, task_postrun, task_prerun

REQUEST_ID_KEY = "request_id"
# Celery copies unknown message headers onto task.request; the prefix keeps ours apart.
REQUEST_ID_HEADER = "hunter_request_id"

# Tokens to undo each running task's bindings; keyed by task id because a thread pool
# may run several tasks in one process at once.
_bound_tokens: dict[str, Mapping[str, Token[Any]]] = {}


def current_request_id() -> str | None:
    """The request id bound in this context (HTTP request or task), or None."""
    value = structlog.contextvars.get_contextvars().get(REQUEST_ID_KEY)
    return str(value) if value else None


def new_request_id() -> str:
    """A fresh request id, in the same shape as the HTTP middleware's."""
    return uuid.uuid4().hex


def attach_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """before_task_publish: copy the bound request id into the outgoing message's headers."""
    request_id = current_request_id()
    if request_id and headers is not None and not headers.get(REQUEST_ID_HEADER):
        headers[REQUEST_ID_HEADER] = request_id


def request_id_of(task: Task) -> str | None:
    """The request id a task message carried, wherever this Celery version put it."""
    request = task.request
    value = getattr(request, REQUEST_ID_HEADER, None)
    if not value:
        value = (getattr(request, "headers", None) or {}).get(REQUEST_ID_HEADER)
    return str(value) if value else None


def bind_task_context(task_id: str | None = None, task: Task | None = None, **_: Any) -> None:
    """task_prerun: bind the carried request id (or a new one) for the task's duration."""
    if task_id is None or task is None:
        return
    # A task run eagerly inside a request keeps that request's id; worker contexts are
    # empty between tasks (postrun resets them), so there a missing id means a fresh one.
    request_id = request_id_of(task) or current_request_id() or new_request_id()
    _bound_tokens[task_id] = structlog.contextvars.bind_contextvars(
        request_id=request_id, task_id=task_id
    )


def unbind_task_context(task_id: str | None = None, **_: Any) -> None:
    """task_postrun: restore the context as it was before the task (eager runs included)."""
    tokens = _bound_tokens.pop(task_id or "", None)
    if tokens is None:
        return
    try:
        structlog.contextvars.reset_contextvars(**tokens)
    except ValueError:
        # The task ended in another context than it started in: drop our keys instead.
        structlog.contextvars.unbind_contextvars(*tokens)


def connect_signals() -> None:
    """Wire the three handlers; weak=False because they are plain module functions."""
    before_task_publish.connect(attach_request_id, weak=False, dispatch_uid="hunter.rid.pub")
    task_prerun.connect(bind_task_context, weak=False, dispatch_uid="hunter.rid.pre")
    task_postrun.connect(unbind_task_context, weak=False, dispatch_uid="hunter.rid.post")
