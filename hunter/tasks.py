"""Diagnostic tasks: prove a worker is alive and that request ids reach it."""

from __future__ import annotations

from celery import shared_task

from hunter.request_context import current_request_id


@shared_task(name="hunter.ping", ignore_result=False)
def ping() -> dict[str, str | None]:
    """Answer with the request id this task ran under (health checks and tests use it)."""
    return {"pong": "pong", "request_id": current_request_id()}
