"""Logging set-up: structlog JSON lines in production, a readable console in development,
and one formatter for everything: our structlog loggers and the stdlib loggers of Django,
gunicorn and Celery all end in the same handler on the root logger.

A client error (a 403, a 404, a suspicious request) is one line: Django attaches the
exception to those records, and a traceback per mistyped URL would bury the real errors.

PII policy: domains, provider, segment, score and scan status may be logged; e-mail
addresses, company names and contact lists may not. Callers that must refer to one log
``mask_pii(value)``; as a safety net, values under the keys in PII_KEYS are masked anyway.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from typing import Any, TextIO

import structlog
from structlog.types import EventDict, Processor

PII_KEYS = frozenset(
    {"email", "e_mail", "contact_email", "contact", "contacts", "company", "company_name"}
)
# Libraries that install their own handlers; we hand their records to the root handler.
LIBRARY_LOGGERS = ("django", "gunicorn.error", "gunicorn.access", "celery", "celery.task")


# C0 and C1 control characters and DEL: a newline in a logged path would forge a log line.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """``text`` with control characters written as ``\\xNN`` (other characters kept)."""
    return _CONTROL_CHARACTERS.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


class ClientErrorsWithoutTraceback(logging.Filter):
    """Drop the exception from records of responses below 500: the status says it all."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


def mask_pii(value: object) -> str:
    """The first 8 hex characters of SHA-256 of ``value``: correlatable, not readable.

    ``None`` and empty values give an empty string, so callers need no special case.
    """
    if value is None or value == "":
        return ""
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:8]


def mask_pii_fields(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: mask values logged under a PII key by mistake."""
    for key in PII_KEYS.intersection(event_dict):
        event_dict[key] = mask_pii(event_dict[key])
    return event_dict


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        mask_pii_fields,
    ]


def _formatter(json_output: bool) -> structlog.stdlib.ProcessorFormatter:
    renderer: Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json_output
        else structlog.dev.ConsoleRenderer()
    )
    # JSON needs the traceback as a string field; the console renderer prints it itself.
    exc_formatting: list[Processor] = [structlog.processors.format_exc_info] if json_output else []
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *exc_formatting,
            renderer,
        ],
    )


def _route_library_loggers_to_root() -> None:
    # gunicorn sets up its loggers before our app is imported; taking their handlers away
    # and letting records propagate makes gunicorn's lines JSON in production too.
    for name in LIBRARY_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True


def _keep_our_logging(**_kwargs: Any) -> None:
    """Receiver for Celery's setup_logging: its presence stops Celery reconfiguring logging."""


def _stop_celery_from_reconfiguring() -> None:
    from celery.signals import setup_logging

    setup_logging.connect(_keep_our_logging, weak=False, dispatch_uid="hunter.logging")


def configure_logging(*, json_output: bool, level: str, stream: TextIO | None = None) -> None:
    """Configure structlog and the stdlib root logger once for the whole process.

    ``stream`` defaults to stderr (what containers and process managers collect).
    """
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_formatter(json_output))
    handler.addFilter(ClientErrorsWithoutTraceback())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    _route_library_loggers_to_root()
    _quiet_url_logging_libraries()
    _stop_celery_from_reconfiguring()


# Loggers that write every request URL at INFO; the URLs Hunter calls (alert webhooks, Slack,
# RDAP) can carry secret tokens or domains of leads, so only their warnings get through.
URL_LOGGING_LIBRARIES = ("httpx", "httpcore")


def _quiet_url_logging_libraries() -> None:
    for name in URL_LOGGING_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
