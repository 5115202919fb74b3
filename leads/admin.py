"""Admin pages for the lead data.

Rows written by scans (signals, scores, history, alerts, the ingest log) are read-only here:
editing them by hand would make the history lie. Staff curate companies, tags, notes,
favourites and alert configurations. Every changelist selects its related rows in the same
query, so a page costs the same number of queries for 1 row or 100.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from leads import models
from leads.notifications import alert_url_allowlist
from leads.outbound import (
    KIND_LINK_LOCAL,
    KIND_LOOPBACK,
    KIND_MULTICAST,
    KIND_NO_HOST,
    KIND_NOT_PUBLIC,
    KIND_PRIVATE,
    KIND_SCHEME,
    KIND_UNRESOLVABLE,
    OutboundRefused,
    outbound_target,
)
from scanning.engine import normalize


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
        (
            "Posture",
            {
                "fields": [
                    ("mta_sts", "mta_sts_id"),
                    ("tls_rpt", "tls_rpt_rua"),
                    ("bimi", "bimi_logo_url", "bimi_authority_url"),
                    "dnssec",
                ]
            },
        ),
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


# The engine's reasons, worded for the admin form in the user's language.
DOMAIN_REASONS = {
    normalize.REASON_EMPTY: _("it is empty"),
    normalize.REASON_PLACEHOLDER: _("it is a placeholder, not a domain"),
    normalize.REASON_NOT_A_DOMAIN: _("it is not a domain name"),
    normalize.REASON_IDNA: _("it cannot be written in punycode"),
    normalize.REASON_SCHEME: _("only http and https addresses are accepted"),
    normalize.REASON_NOT_AN_EMAIL: _("it is not an e-mail address"),
    normalize.REASON_PUBLIC_SUFFIX: _("it is a public suffix owned by a registry, not a company"),
    normalize.REASON_PUNYCODE: _("it has a punycode label that does not decode"),
}


class CompanyAdminForm(forms.ModelForm):
    """A company's domain is stored as an import would store it, so admin and imports
    always name one company by one domain (and the unique check sees the stored form)."""

    class Meta:
        model = models.Company
        # Every field, as the admin shows without a custom form (it builds its fieldsets
        # from this form's fields).
        fields = "__all__"  # noqa: DJ007
        error_messages = {
            "domain": {"unique": _("A company with this domain already exists.")},
        }

    def clean_domain(self) -> str:
        typed = self.cleaned_data["domain"]
        outcome = normalize.domain_field_checked(typed)
        if not outcome.ok:
            reason = DOMAIN_REASONS.get(outcome.reason or "", outcome.reason)
            raise forms.ValidationError(
                _("Invalid domain format '%(value)s': %(reason)s."),
                code="invalid_domain",
                params={"value": typed, "reason": reason},
            )
        return outcome.domain


@admin.register(models.Company)
class CompanyAdmin(admin.ModelAdmin):
    form = CompanyAdminForm
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


ADDRESS_KINDS = {
    KIND_LOOPBACK: _("a loopback address (this server itself)"),
    KIND_PRIVATE: _("a private network address"),
    KIND_LINK_LOCAL: _("a link-local address (such as the cloud metadata service)"),
    KIND_MULTICAST: _("a multicast address"),
    KIND_NOT_PUBLIC: _("an address that is not public"),
}
URL_PROBLEMS = {
    KIND_SCHEME: _("Only http and https URLs can receive alerts."),
    KIND_NO_HOST: _("The URL names no host."),
}


class AlertConfigAdminForm(forms.ModelForm):
    """Refuses webhook and Slack URLs that lead to internal addresses, saying which and why.

    A host name that does not resolve now is accepted: delivery checks every URL again.
    """

    # Webhook targets are typed without a scheme at times; assume the secure one.
    webhook_url = forms.URLField(
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=_("Required for webhook and Slack"),
    )

    class Meta:
        model = models.AlertConfig
        fields = "__all__"  # noqa: DJ007 - every field, as CompanyAdminForm

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data["webhook_url"]
        if not url:
            return url
        try:
            outbound_target(url, allow=alert_url_allowlist())
        except OutboundRefused as refused:
            if refused.kind in URL_PROBLEMS:
                raise forms.ValidationError(URL_PROBLEMS[refused.kind], code="url") from None
            if refused.kind != KIND_UNRESOLVABLE:
                raise self._internal_address(refused) from None
        return url

    @staticmethod
    def _internal_address(refused: OutboundRefused) -> forms.ValidationError:
        return forms.ValidationError(
            _(
                "Alerts cannot be sent to this URL: it leads to %(address)s, %(kind)s. "
                "Only public addresses are reachable unless %(setting)s names the host."
            ),
            code="internal_address",
            params={
                "address": refused.address,
                "kind": ADDRESS_KINDS.get(refused.kind, refused.kind),
                "setting": "HUNTER_ALERT_URL_ALLOWLIST",
            },
        )


@admin.register(models.AlertConfig)
class AlertConfigAdmin(admin.ModelAdmin):
    form = AlertConfigAdminForm
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
