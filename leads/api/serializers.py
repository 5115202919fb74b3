"""Request bodies, query parameters and the documented shapes of the smaller lead responses."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from leads.api.fields import schema_serializer
from leads.choices import AlertFrequency, AlertStatus, AlertType, NotificationMethod
from leads.filtersets import SORT_FIELDS, LeadFilterSet
from leads.models import Alert, AlertConfig, Company, Note, Tag

_FILTER_TYPES: dict[type, type] = {
    django_filters.NumberFilter: int,
    django_filters.BooleanFilter: bool,
}
_FILTER_ENUMS: dict[str, list[str]] = {
    "sort_by": list(SORT_FIELDS),
    "sort_order": ["asc", "desc"],
}


def lead_filter_parameters() -> list[OpenApiParameter]:
    """The lead list's query parameters, documented from the FilterSet itself."""
    parameters = []
    for name, item in LeadFilterSet.base_filters.items():
        kind = next((t for cls, t in _FILTER_TYPES.items() if isinstance(item, cls)), str)
        choices = item.extra.get("choices")
        enum = _FILTER_ENUMS.get(name) or ([value for value, _ in choices] if choices else None)
        parameters.append(
            OpenApiParameter(
                name, kind, OpenApiParameter.QUERY, description=str(item.label), enum=enum
            )
        )
    return parameters


class EnrichRequest(serializers.Serializer[Any]):
    # Blank entries are accepted and dropped by the e-mail normalisation, as the webhook does.
    contact_emails = serializers.ListField(
        child=serializers.CharField(max_length=320, allow_blank=True),
        min_length=1,
        max_length=1000,
    )


EnrichResponse = schema_serializer(
    "EnrichResponse",
    {
        "domain": serializers.CharField(),
        "contact_emails": serializers.ListField(child=serializers.CharField()),
        "contact_quality_score": serializers.IntegerField(),
        "linkedin_pattern": serializers.CharField(allow_null=True),
        "message": serializers.CharField(),
    },
)

NoteSchema = schema_serializer(
    "Note",
    {
        "id": serializers.IntegerField(),
        "domain": serializers.CharField(),
        "note": serializers.CharField(),
        "created_at": serializers.DateTimeField(),
        "updated_at": serializers.DateTimeField(),
    },
)

TagSchema = schema_serializer(
    "Tag",
    {
        "id": serializers.IntegerField(),
        "domain": serializers.CharField(),
        "tag": serializers.CharField(),
        "created_at": serializers.DateTimeField(),
    },
)


def note_record(note: Note, company: Company) -> dict[str, Any]:
    return {
        "id": note.pk,
        "domain": company.domain,
        "note": note.note,
        "created_at": note.created_at.isoformat(),
        "updated_at": note.updated_at.isoformat(),
    }


def tag_record(tag: Tag, company: Company) -> dict[str, Any]:
    return {
        "id": tag.pk,
        "domain": company.domain,
        "tag": tag.tag,
        "created_at": tag.created_at.isoformat(),
    }


DashboardSchema = schema_serializer(
    "Dashboard",
    {
        "total_leads": serializers.IntegerField(),
        "migration": serializers.IntegerField(),
        "existing": serializers.IntegerField(),
        "cold": serializers.IntegerField(),
        "skip": serializers.IntegerField(),
        "avg_score": serializers.FloatField(),
        "max_score": serializers.IntegerField(allow_null=True),
        "high_priority": serializers.IntegerField(),
    },
)

KpiSchema = schema_serializer(
    "Kpis",
    {
        "total_leads": serializers.IntegerField(),
        "migration_leads": serializers.IntegerField(),
        "high_priority": serializers.IntegerField(),
        "max_score": serializers.IntegerField(allow_null=True),
    },
)


class AlertQuery(serializers.Serializer[Any]):
    domain = serializers.CharField(required=False, default="", max_length=255)
    alert_type = serializers.ChoiceField(AlertType.choices, required=False, default="")
    status = serializers.ChoiceField(AlertStatus.choices, required=False, default="")
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)


AlertSchema = schema_serializer(
    "Alert",
    {
        "id": serializers.IntegerField(),
        "domain": serializers.CharField(),
        "alert_type": serializers.CharField(),
        "alert_message": serializers.CharField(),
        "status": serializers.CharField(),
        "notification_method": serializers.CharField(allow_null=True),
        "sent_at": serializers.DateTimeField(allow_null=True),
        "created_at": serializers.DateTimeField(),
    },
)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def alert_record(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "domain": alert.company.domain,
        "alert_type": alert.alert_type,
        "alert_message": alert.alert_message,
        "status": alert.status,
        "notification_method": alert.notification_method or None,
        "sent_at": _iso(alert.sent_at),
        "created_at": alert.created_at.isoformat(),
    }


class AlertConfigSerializer(serializers.Serializer[Any]):
    alert_type = serializers.ChoiceField(AlertType.choices)
    notification_method = serializers.ChoiceField(NotificationMethod.choices)
    enabled = serializers.BooleanField(default=True)
    frequency = serializers.ChoiceField(AlertFrequency.choices, default=AlertFrequency.IMMEDIATE)
    webhook_url = serializers.URLField(
        required=False, allow_blank=True, allow_null=True, default=""
    )
    email_address = serializers.EmailField(
        required=False, allow_blank=True, allow_null=True, default=""
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        method = attrs["notification_method"]
        attrs["webhook_url"] = attrs.get("webhook_url") or ""
        attrs["email_address"] = attrs.get("email_address") or ""
        if (
            method in (NotificationMethod.WEBHOOK, NotificationMethod.SLACK)
            and not attrs["webhook_url"]
        ):
            raise serializers.ValidationError(
                {"webhook_url": "Webhook and Slack need a webhook URL."}
            )
        if method == NotificationMethod.EMAIL and not attrs["email_address"]:
            raise serializers.ValidationError({"email_address": "E-mail needs an e-mail address."})
        return attrs


AlertConfigSchema = schema_serializer(
    "AlertConfig",
    {
        "id": serializers.IntegerField(),
        "user_id": serializers.IntegerField(),
        "alert_type": serializers.CharField(),
        "notification_method": serializers.CharField(),
        "enabled": serializers.BooleanField(),
        "frequency": serializers.CharField(),
        "webhook_url": serializers.CharField(allow_null=True),
        "email_address": serializers.CharField(allow_null=True),
        "created_at": serializers.DateTimeField(),
        "updated_at": serializers.DateTimeField(),
    },
)


def alert_config_record(config: AlertConfig) -> dict[str, Any]:
    return {
        "id": config.pk,
        "user_id": config.user_id,
        "alert_type": config.alert_type,
        "notification_method": config.notification_method,
        "enabled": config.enabled,
        "frequency": config.frequency,
        "webhook_url": config.webhook_url or None,
        "email_address": config.email_address or None,
        "created_at": config.created_at.isoformat(),
        "updated_at": config.updated_at.isoformat(),
    }


class EmailRequest(serializers.Serializer[Any]):
    domain = serializers.CharField(max_length=2048)


class EmailValidateRequest(EmailRequest):
    use_smtp = serializers.BooleanField(
        default=False, help_text="Accepted for old clients; SMTP probing is disabled."
    )


EmailListSchema = schema_serializer(
    "GeneratedEmails",
    {
        "domain": serializers.CharField(),
        "emails": serializers.ListField(child=serializers.EmailField()),
    },
)

EmailChecksSchema = schema_serializer(
    "CheckedEmails",
    {
        "domain": serializers.CharField(),
        "emails": schema_serializer(
            "EmailCheck",
            {
                "email": serializers.CharField(),
                "status": serializers.ChoiceField(["valid", "invalid", "unknown"]),
                "confidence": serializers.ChoiceField(["high", "medium", "low"]),
                "checks": serializers.DictField(),
                "reason": serializers.CharField(),
            },
        )(many=True),
    },
)
