"""API-key authentication: ``X-API-Key: <key>`` or ``Authorization: Api-Key <key>``.

The key row is found by its visible prefix (from the per-process cache of hunter.api.keys,
so no database round trip once a process has seen the key) and checked against the stored
SHA-512 with a constant-time comparison: a fast hash is right for a long random secret, and
keeps the check well under a millisecond per request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_api_key.permissions import KeyParser

from hunter.api.keys import api_key_check, api_key_mark_used
from hunter.api.models import APIKey

HEADER = "X-API-Key"
KEYWORD = KeyParser.keyword


def key_from_request(request: Request) -> str | None:
    """The key the request carries, from X-API-Key first, then the Authorization header."""
    return request.headers.get(HEADER) or KeyParser().get_from_authorization(request) or None


class APIKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates a request carrying an API key; ``request.auth`` is then the APIKey.

    The user is the key's owner when it has one, else anonymous: a key grants API access,
    not the owner's session rights. A present but unknown, revoked or expired key is a 401.
    """

    def authenticate(self, request: Request) -> tuple[Any, APIKey] | None:
        raw = key_from_request(request)
        if raw is None:
            return None
        key = api_key_check(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("Invalid, revoked or expired API key."))
        api_key_mark_used(key=key)
        return (key.owner if key.owner_id else AnonymousUser()), key

    def authenticate_header(self, request: Request) -> str:
        # A WWW-Authenticate value makes DRF answer 401 (not 403) to unauthenticated calls.
        return KEYWORD
