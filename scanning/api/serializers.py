"""Request bodies and documented response shapes of the ingest, scan and job endpoints."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from leads.api.fields import ScanResultSchema, schema_serializer

MAX_BULK_DOMAINS = 1000


class IngestDomainRequest(serializers.Serializer[Any]):
    domain = serializers.CharField(max_length=2048, allow_blank=True)
    company_name = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default=""
    )
    email = serializers.CharField(max_length=320, required=False, allow_blank=True, default="")
    website = serializers.CharField(max_length=2048, required=False, allow_blank=True, default="")


IngestDomainResponse = schema_serializer(
    "IngestDomainResponse",
    {
        "domain": serializers.CharField(),
        "company_id": serializers.IntegerField(),
        "message": serializers.CharField(),
    },
)


class UploadRequest(serializers.Serializer[Any]):
    file = serializers.FileField()


class UploadQuery(serializers.Serializer[Any]):
    auto_detect_columns = serializers.BooleanField(default=False)
    auto_scan = serializers.BooleanField(required=False, help_text="Legacy paths: true; v1: false")


UploadResponse = schema_serializer(
    "UploadResponse",
    {
        "job_id": serializers.UUIDField(),
        "scan_job_id": serializers.UUIDField(allow_null=True),
        "message": serializers.CharField(),
        "ingested": serializers.IntegerField(),
        "scanned": serializers.IntegerField(),
        "total_rows": serializers.IntegerField(),
        "errors": serializers.ListField(child=serializers.CharField()),
    },
)


class WebhookRequest(serializers.Serializer[Any]):
    domain = serializers.CharField(max_length=2048)
    company_name = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default=""
    )
    # Blank entries are dropped, not refused: old clients send the empty fields of their forms.
    contact_emails = serializers.ListField(
        child=serializers.CharField(max_length=320, allow_blank=True),
        required=False,
        default=list,
        max_length=1000,
    )


WebhookResponse = schema_serializer(
    "WebhookResponse",
    {
        "status": serializers.CharField(),
        "domain": serializers.CharField(),
        "ingested": serializers.BooleanField(),
        "enriched": serializers.BooleanField(),
        "message": serializers.CharField(),
    },
)


class ScanDomainRequest(serializers.Serializer[Any]):
    domain = serializers.CharField(max_length=2048)


class BulkScanRequest(serializers.Serializer[Any]):
    domain_list = serializers.ListField(
        child=serializers.CharField(max_length=2048, allow_blank=True),
        min_length=1,
        max_length=MAX_BULK_DOMAINS,
    )


class BulkRescanQuery(serializers.Serializer[Any]):
    domain_list = serializers.CharField(help_text="Comma-separated domains (at most 1000)")

    def validate_domain_list(self, value: str) -> list[str]:
        items = [item.strip() for item in value.split(",") if item.strip()]
        if not items:
            raise serializers.ValidationError("domain_list is empty.")
        if len(items) > MAX_BULK_DOMAINS:
            raise serializers.ValidationError(f"At most {MAX_BULK_DOMAINS} domains.")
        return items


JobStarted = schema_serializer(
    "JobStarted",
    {
        "job_id": serializers.UUIDField(),
        "status": serializers.CharField(),
        "total": serializers.IntegerField(),
        "message": serializers.CharField(),
    },
)

_ERROR_ITEM = schema_serializer(
    "BulkJobError",
    {
        "domain": serializers.CharField(),
        "error": serializers.CharField(),
        "timestamp": serializers.DateTimeField(),
    },
)

BulkJobStatus = schema_serializer(
    "BulkJobStatus",
    {
        "job_id": serializers.UUIDField(),
        "status": serializers.CharField(),
        "progress": serializers.IntegerField(),
        "total": serializers.IntegerField(),
        "processed": serializers.IntegerField(),
        "succeeded": serializers.IntegerField(),
        "failed": serializers.IntegerField(),
        "errors": _ERROR_ITEM(many=True),
    },
)

BulkJobResults = schema_serializer(
    "BulkJobResults",
    {
        "job_id": serializers.UUIDField(),
        "total": serializers.IntegerField(),
        "succeeded": serializers.IntegerField(),
        "failed": serializers.IntegerField(),
        "results": ScanResultSchema(many=True),
    },
)

JobStatusSchema = schema_serializer(
    "JobStatus",
    {
        "job_id": serializers.UUIDField(),
        "status": serializers.CharField(),
        "total": serializers.IntegerField(),
        "processed": serializers.IntegerField(),
        "successful": serializers.IntegerField(),
        "failed": serializers.IntegerField(),
        "progress_percent": serializers.FloatField(),
        "remaining": serializers.IntegerField(),
        "errors": serializers.ListField(child=serializers.CharField()),
        "message": serializers.CharField(),
        "started_at": serializers.DateTimeField(allow_null=True),
        "completed_at": serializers.DateTimeField(allow_null=True),
    },
)

RescanResult = schema_serializer(
    "RescanResult",
    {
        "domain": serializers.CharField(),
        "success": serializers.BooleanField(),
        "changes_detected": serializers.BooleanField(),
        "signal_changes": serializers.IntegerField(),
        "score_changes": serializers.IntegerField(),
        "alerts_created": serializers.IntegerField(),
        "changes": serializers.ListField(child=serializers.DictField()),
        "result": ScanResultSchema(allow_null=True),
        "error": serializers.CharField(allow_null=True),
    },
)
