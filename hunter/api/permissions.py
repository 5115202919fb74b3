"""Who may call the API: a key or a signed-in user reads; a key or a staff user writes."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from hunter.api.models import APIKey


def has_api_key(request: Request) -> bool:
    return isinstance(request.auth, APIKey)


class KeyOrSession(permissions.BasePermission):
    """Reads need an API key or a session; writes need an API key or a staff session."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if has_api_key(request):
            return True
        user = request.user
        if request.method in permissions.SAFE_METHODS:
            return bool(user and user.is_authenticated)
        return bool(user and user.is_authenticated and user.is_staff)


class KeyOnly(permissions.BasePermission):
    """Machine-to-machine endpoints (the webhook) accept an API key and nothing else."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_api_key(request)
