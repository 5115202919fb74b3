"""API keys in the Django admin: the secret is shown once, when the key is created."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey as LibraryAPIKey

from hunter.api.models import APIKey

# The library registers its own concrete model; Hunter's keys are the subclass below.
if admin.site.is_registered(LibraryAPIKey):
    admin.site.unregister(LibraryAPIKey)


@admin.register(APIKey)
class HunterAPIKeyAdmin(APIKeyModelAdmin):
    """The library's key admin (secret shown once on creation) plus owner and rate."""

    # The library's admin declares fixed-length tuples; ours lists more columns.
    list_display = (  # type: ignore[assignment]
        "prefix",
        "name",
        "owner",
        "rate_limit_per_minute",
        "is_active",
        "created",
        "last_used_at",
        "expiry_date",
        "_has_expired",
        "revoked",
    )
    list_filter = ("is_active", "revoked", "created")  # type: ignore[assignment]
    actions = ("activate", "deactivate")
    list_select_related = ("owner",)
    search_fields = ("name", "prefix", "owner__username")  # type: ignore[assignment]
    autocomplete_fields = ("owner",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), "last_used_at")

    @admin.action(description="Activate the selected keys")
    def activate(self, request: HttpRequest, queryset: QuerySet[APIKey]) -> None:
        queryset.update(is_active=True)

    @admin.action(description="Deactivate the selected keys")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[APIKey]) -> None:
        queryset.update(is_active=False)
