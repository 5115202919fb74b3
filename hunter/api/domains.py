"""The ``{domain}`` path parameter: normalised like every other input, or a 400 saying why."""

from __future__ import annotations

from hunter.api.exceptions import InvalidDomain
from scanning.engine.normalize import normalize_domain_checked


def domain_param(raw: str) -> str:
    """The normalised domain for ``raw``; raises InvalidDomain (400) naming the reason."""
    outcome = normalize_domain_checked(raw)
    if not outcome.ok:
        raise InvalidDomain(outcome.reason or "empty")
    return outcome.domain
