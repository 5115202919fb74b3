"""API errors: every failure is JSON with a status that names the problem, never a 500.

* validation (DRF or Django ``ValidationError``): 400 with the message of each field;
* a path domain that is not a domain: 400 with the reason; a domain never ingested: 404;
* an upload over the size limit (ours or Django's): 413;
* a database that cannot answer (down, restarting, a lock or statement timeout): 503 with
  ``Retry-After``. The request's transaction is rolled back, so the client may simply send
  it again: the webhook keeps no retry queue of its own, whose rows would sit in the very
  database that just failed.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = structlog.get_logger(__name__)


class InvalidDomain(exceptions.APIException):
    """A ``{domain}`` path parameter or body field that does not normalise to a domain."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_domain"

    def __init__(self, reason: str) -> None:
        super().__init__({"detail": _("Invalid domain format"), "reason": reason})


class DomainNotFound(exceptions.NotFound):
    """A valid domain that was never ingested (or has no scanned data where that is needed)."""

    default_code = "domain_not_found"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The upload is larger than the allowed size.")
    default_code = "too_large"


class Gone(exceptions.APIException):
    """A write endpoint that was switched off for good (the data moved elsewhere)."""

    status_code = status.HTTP_410_GONE
    default_code = "gone"


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The database is not answering; nothing was changed. Try again shortly.")
    default_code = "database_unavailable"
    # DRF sends this many seconds as Retry-After.
    wait = 30


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django's ValidationError as 400, oversized bodies as 413 and a
    database that cannot answer as 503."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, OperationalError | InterfaceError):
        # The type only: a database message can quote the row it was writing.
        logger.warning("api_database_unavailable", error_type=type(exc).__name__)
        exc = DatabaseUnavailable()
    return exception_handler(exc, context)
