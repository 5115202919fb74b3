"""Admin pages for the lead data.

Rows written by scans (signals, scores, history, alerts, the ingest log) are read-only here:
editing them by hand would make the history lie. Staff curate companies, tags, notes,
favourites and alert configurations. Every changelist selects its related rows in the same
query, so a page costs the same number of queries for 1 row or 100.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.db import models as db_models
from django.db.models import Model
from django.http import HttpRequest

from leads import models


class ReadOnlyAdminMixin:
    """Show rows, never add, change or delete them (append-only logs and scan results)."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


def _related_or_none(company: models.Company, name: str) -> Any:
    """The reverse one-to-one row (signals/score) or None before the first scan."""
    try:
        return getattr(company, name)
    except ObjectDoesNotExist:
        return None


_DMARC_FIELDS = (
    "dmarc_policy",
    "dmarc_subdomain_policy",
    "dmarc_coverage",
    "dmarc_testing",
    "dmarc_record",
)
_REGISTRATION_FIELDS = (
    "registration_status",
    "registration_source",
    "registrar",
    "expires_at",
    "nameservers",
    "registration_error",
)


class DomainSignalsInline(ReadOnlyAdminMixin, admin.StackedInline):
    model = models.DomainSignals
    can_delete = False
    fieldsets = [
        (None, {"fields": ["status", "message", "dns_errors", "scanned_at"]}),
        (
            "Provider",
            {"fields": ["provider", "gateway", "provider_inferred_behind_gateway", "evidence"]},
        ),
        (
            "Mail",
            {"fields": ["mx_root", "mx_records", "null_mx", "mixed_vendors", "local_provider"]},
        ),
        ("Tenant", {"fields": ["tenant_size", "tenant_initial_domain", "autodiscover"]}),
        (
            "SPF",
            {"fields": ["spf", "spf_record", "spf_dns_lookups", "spf_void_lookups", "spf_error"]},
        ),
        ("DKIM", {"fields": ["dkim", "dkim_selectors", "dkim_selectors_checked", "dkim_message"]}),
        ("DMARC", {"fields": _DMARC_FIELDS}),
        ("Registration", {"fields": _REGISTRATION_FIELDS}),
    ]


class LeadScoreInline(ReadOnlyAdminMixin, admin.StackedInline):
    model = models.LeadScore
    can_delete = False
    fields = [
        ("score", "segment", "priority_score", "hard_fail"),
        ("technical_heat", "commercial_segment", "commercial_heat"),
        ("priority_category", "priority_label"),
        "reason",
        "reasons",
        ("rules_hash", "updated_at"),
    ]
    readonly_fields = ["priority_score", "updated_at"]


class TagInline(admin.TabularInline):
    model = models.Tag
    extra = 0
    fields = ["tag", "source", "created_at"]
    readonly_fields = ["created_at"]


class NoteInline(admin.TabularInline):
    model = models.Note
    extra = 0
    fields = ["note", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(models.Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = [
        "domain",
        "canonical_name",
        "provider",
        "gateway",
        "lead_score",
        "segment",
        "priority",
        "scan_status",
        "updated_at",
    ]
    list_filter = [
        "provider",
        "tenant_size",
        "score__segment",
        "score__priority_category",
        "signals__status",
    ]
    list_select_related = ["signals", "score"]
    search_fields = ["domain", "canonical_name"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "updated_at"
    inlines = [DomainSignalsInline, LeadScoreInline, TagInline, NoteInline]

    @admin.display(description="score", ordering="score__score")
    def lead_score(self, company: models.Company) -> int | None:
        score = _related_or_none(company, "score")
        return score.score if score else None

    @admin.display(description="segment", ordering="score__segment")
    def segment(self, company: models.Company) -> str | None:
        score = _related_or_none(company, "score")
        return score.segment if score else None

    @admin.display(description="priority (1-7)")
    def priority(self, company: models.Company) -> int | None:
        score = _related_or_none(company, "score")
        return score.priority_score if score else None

    @admin.display(description="DNS", ordering="signals__status")
    def scan_status(self, company: models.Company) -> str:
        signals = _related_or_none(company, "signals")
        return signals.get_status_display() if signals else "-"


@admin.register(models.RawLead)
class RawLeadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["domain", "source", "company_name", "email", "ingested_at"]
    list_filter = ["source"]
    search_fields = ["domain", "company_name", "email"]
    date_hierarchy = "ingested_at"


@admin.register(models.DomainSignals)
class DomainSignalsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "company",
        "status",
        "registration_status",
        "provider",
        "gateway",
        "mx_root",
        "spf",
        "dkim",
        "dmarc_policy",
        "expires_at",
        "scanned_at",
    ]
    list_filter = ["status", "registration_status", "provider", "spf", "dkim", "dmarc_policy"]
    list_select_related = ["company"]
    search_fields = ["company__domain", "mx_root", "gateway", "registrar"]
    date_hierarchy = "scanned_at"
    fieldsets = [("Company", {"fields": ["company"]}), *DomainSignalsInline.fieldsets]


@admin.register(models.LeadScore)
class LeadScoreAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "company",
        "score",
        "segment",
        "priority_score",
        "priority_category",
        "technical_heat",
        "commercial_segment",
        "commercial_heat",
        "short_rules_hash",
        "updated_at",
    ]
    list_filter = [
        "segment",
        "priority_category",
        "technical_heat",
        "commercial_segment",
        "commercial_heat",
    ]
    list_select_related = ["company"]
    search_fields = ["company__domain", "rules_hash"]
    readonly_fields = ["priority_score"]

    @admin.display(description="rules")
    def short_rules_hash(self, score: models.LeadScore) -> str:
        return score.rules_hash[:12]


class HistoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Shared shape of the three change-history pages."""

    list_select_related = ["company"]
    search_fields = ["company__domain"]
    date_hierarchy = "changed_at"


@admin.register(models.ProviderChangeHistory)
class ProviderChangeHistoryAdmin(HistoryAdmin):
    list_display = ["company", "previous_provider", "new_provider", "changed_at"]
    list_filter = ["new_provider", "previous_provider"]


@admin.register(models.SignalChangeHistory)
class SignalChangeHistoryAdmin(HistoryAdmin):
    list_display = ["company", "signal_type", "old_value", "new_value", "changed_at"]
    list_filter = ["signal_type"]


@admin.register(models.ScoreChangeHistory)
class ScoreChangeHistoryAdmin(HistoryAdmin):
    list_display = [
        "company",
        "old_score",
        "new_score",
        "old_segment",
        "new_segment",
        "changed_at",
    ]
    list_filter = ["new_segment", "old_segment"]


@admin.register(models.Alert)
class AlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "company",
        "alert_type",
        "status",
        "notification_method",
        "alert_message",
        "attempts",
        "next_attempt_at",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "alert_type", "notification_method", "digest_due"]
    list_select_related = ["company"]
    search_fields = ["company__domain", "alert_message"]
    date_hierarchy = "created_at"


@admin.register(models.AlertConfig)
class AlertConfigAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "alert_type",
        "notification_method",
        "enabled",
        "frequency",
        "updated_at",
    ]
    list_filter = ["enabled", "alert_type", "notification_method", "frequency"]
    list_select_related = ["user"]
    search_fields = ["user__username", "email_address", "webhook_url"]
    raw_id_fields = ["user"]
    # Webhook targets are typed without a scheme at times; assume the secure one.
    formfield_overrides = {db_models.URLField: {"assume_scheme": "https"}}


@admin.register(models.Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["tag", "company", "source", "created_at"]
    list_filter = ["source", "tag"]
    list_select_related = ["company"]
    search_fields = ["tag", "company__domain"]
    raw_id_fields = ["company"]


@admin.register(models.Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["company", "note", "created_at", "updated_at"]
    list_select_related = ["company"]
    search_fields = ["company__domain", "note"]
    date_hierarchy = "created_at"
    raw_id_fields = ["company"]


@admin.register(models.Favorite)
class FavoriteAdmin(admin.ModelAdmin):
    list_display = ["company", "user", "created_at"]
    list_select_related = ["company", "user"]
    search_fields = ["company__domain", "user__username"]
    raw_id_fields = ["company", "user"]
