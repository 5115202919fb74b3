"""API keys for integrators: hashed at rest, a visible prefix, an owner and a rate."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager

DEFAULT_RATE_LIMIT_PER_MINUTE = 60
MAX_RATE_LIMIT_PER_MINUTE = 10_000


class APIKeyQuerySet(models.QuerySet["APIKey"]):
    """Bulk changes to keys retire every process's cached key rows, as saves do."""

    def update(self, **kwargs: Any) -> int:
        changed = super().update(**kwargs)
        _keys_changed()
        return changed

    def delete(self) -> tuple[int, dict[str, int]]:
        deleted = super().delete()
        _keys_changed()
        return deleted

    def mark_used(self, used_at: datetime) -> int:
        """Set last_used_at without retiring cached rows (it decides nothing about access)."""
        return super().update(last_used_at=used_at)


class HunterAPIKeyManager(APIKeyManager.from_queryset(APIKeyQuerySet)):  # type: ignore[misc]
    pass


def _keys_changed() -> None:
    from hunter.api.keys import api_keys_changed

    api_keys_changed()
    # Again once the change is visible: a process that reloaded the old row in between would
    # otherwise keep it under the new token.
    transaction.on_commit(api_keys_changed)


class APIKey(AbstractAPIKey):
    """One integrator's key: revocable, optionally expiring, limited to N requests a minute.

    Only the prefix and a SHA-512 of the whole key are stored; the secret is shown once, when
    the key is created in the admin.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="api_keys",
        help_text="Who asked for the key (requests made with it act for nobody in particular)",
    )
    is_active = models.BooleanField(
        default=True,
        help_text="Inactive keys are refused until activated again (revoking is for good)",
    )
    last_used_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Last request, to the minute"
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        default=DEFAULT_RATE_LIMIT_PER_MINUTE,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RATE_LIMIT_PER_MINUTE)],
        help_text="Requests per minute this key may make (1-10000)",
    )

    objects: ClassVar[HunterAPIKeyManager] = HunterAPIKeyManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate_limit_per_minute__gte=1)
                & models.Q(rate_limit_per_minute__lte=MAX_RATE_LIMIT_PER_MINUTE),
                name="api_key_rate_limit_1_10000",
            )
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        _keys_changed()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        deleted = super().delete(*args, **kwargs)
        _keys_changed()
        return deleted
