"""API keys in the Django admin: the secret is shown once, when the key is created."""

from __future__ import annotations

from django.contrib import admin
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
        "created",
        "expiry_date",
        "_has_expired",
        "revoked",
    )
    list_filter = ("revoked", "created")  # type: ignore[assignment]
    list_select_related = ("owner",)
    search_fields = ("name", "prefix", "owner__username")  # type: ignore[assignment]
    autocomplete_fields = ("owner",)
