"""API errors: every failure is JSON with a status that names the problem, never a 500.

* validation (DRF or Django ``ValidationError``): 400 with the message of each field;
* a path domain that is not a domain: 400 with the reason; a domain never ingested: 404;
* an upload over the size limit (ours or Django's): 413.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


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


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django's ValidationError as 400 and oversized bodies as 413."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    return exception_handler(exc, context)
