"""API keys for integrators: hashed at rest, a visible prefix, an owner and a rate."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey

DEFAULT_RATE_LIMIT_PER_MINUTE = 60
MAX_RATE_LIMIT_PER_MINUTE = 10_000


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
    rate_limit_per_minute = models.PositiveIntegerField(
        default=DEFAULT_RATE_LIMIT_PER_MINUTE,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RATE_LIMIT_PER_MINUTE)],
        help_text="Requests per minute this key may make (1-10000)",
    )

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
