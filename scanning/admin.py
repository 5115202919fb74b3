"""Admin pages for scan jobs: progress at a glance, and every domain or chunk that failed.

Jobs, chunks and outcomes are written only by the scan services, so the pages are read-only.
The job page pages through its chunks and failed domains (a 100,000-domain job has 2,000
chunks), each list with its own page parameter.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django_admin_inline_paginator_plus.admin import TabularInlinePaginated

from leads.admin import ReadOnlyAdminMixin
from scanning import models


def _progress_bar(job: models.ScanJob) -> SafeString:
    percent = job.progress_percent
    return format_html(
        '<progress max="100" value="{}" title="{}%"></progress> {}%', percent, percent, percent
    )


INLINE_PAGE_SIZE = 50


class FailedOutcomeInline(ReadOnlyAdminMixin, TabularInlinePaginated):
    """Only the domains that did not commit: the committed ones are the job's success list."""

    model = models.ScanOutcome
    per_page = INLINE_PAGE_SIZE
    pagination_key = "failures-page"
    verbose_name_plural = "failed domains"
    fields = ["domain", "chunk_number", "attempt", "status", "error", "created_at"]
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.ScanOutcome]:
        failed = (models.OutcomeStatus.FAILED, models.OutcomeStatus.SET_ASIDE)
        return super().get_queryset(request).filter(status__in=failed)


class ScanChunkInline(ReadOnlyAdminMixin, TabularInlinePaginated):
    model = models.ScanChunk
    per_page = INLINE_PAGE_SIZE
    pagination_key = "chunks-page"
    fields = [
        "number",
        "status",
        "attempts",
        "errors",
        "lost_workers",
        "last_error",
        "dispatched_at",
        "claimed_at",
        "updated_at",
    ]
    readonly_fields = ["updated_at"]
    can_delete = False


@admin.register(models.ScanJob)
class ScanJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "public_id",
        "kind",
        "status",
        "progress",
        "total",
        "processed",
        "succeeded",
        "failed",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["created_by"]
    search_fields = ["public_id", "created_by__username"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["public_id", "kind", "status", "created_by", "options"]}),
        ("Progress", {"fields": ["progress", ("total", "processed", "succeeded", "failed")]}),
        ("Timing", {"fields": ["created_at", "started_at", "finished_at", "chunk_size"]}),
        (
            "Delivery",
            {"fields": ["runs_in_process", "dispatched_at", "dispatch_error", "heartbeat_at"]},
        ),
        ("Failure", {"fields": ["error"]}),
    ]
    readonly_fields = ["public_id", "progress"]
    inlines = [ScanChunkInline, FailedOutcomeInline]

    @admin.display(description="progress")
    def progress(self, job: models.ScanJob) -> SafeString:
        return _progress_bar(job)


@admin.register(models.ScanChunk)
class ScanChunkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "job",
        "number",
        "status",
        "attempts",
        "errors",
        "lost_workers",
        "updated_at",
    ]
    list_filter = ["status"]
    list_select_related = ["job"]
    search_fields = ["job__public_id", "last_error"]


@admin.register(models.ScanOutcome)
class ScanOutcomeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["domain", "job", "chunk_number", "attempt", "status", "error", "created_at"]
    list_filter = ["status"]
    list_select_related = ["job"]
    search_fields = ["domain", "job__public_id", "error"]
    date_hierarchy = "created_at"
