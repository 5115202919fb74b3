"""Writes of users' alert configurations."""

from __future__ import annotations

from typing import Any

from leads.models import AlertConfig


def alert_config_upsert(
    *,
    user_id: int,
    alert_type: str,
    notification_method: str,
    enabled: bool = True,
    frequency: str = "immediate",
    webhook_url: str = "",
    email_address: str = "",
) -> AlertConfig:
    """Create or update the user's configuration for one (alert type, channel) pair."""
    defaults: dict[str, Any] = {
        "enabled": enabled,
        "frequency": frequency,
        "webhook_url": webhook_url,
        "email_address": email_address,
    }
    config, _created = AlertConfig.objects.update_or_create(
        user_id=user_id,
        alert_type=alert_type,
        notification_method=notification_method,
        defaults=defaults,
    )
    return config
