"""Lead data: companies, the ingest log, latest signals and score, history, alerts, CRM-lite.

Conventions:
* One Company per normalized domain; every child row points at it with ON DELETE CASCADE.
* DomainSignals and LeadScore are the *latest* result, one row per company (a OneToOne, so a
  unique constraint), updated in place: bulk writes use
  ``bulk_create(update_conflicts=True, unique_fields=["company"], update_fields=[...])``,
  which works on PostgreSQL and SQLite alike. Lists are JSONFields for the same reason.
* Text columns use "" for "absent" (Django convention); the services map the engine's None to
  "". The exception is LeadScore, where NULL means "not scored yet" (an unresolved scan).
* Append-only logs (history, alerts) carry ``scan_token``: the UUID of the scan that wrote
  them, unique per row kind, so a redelivered chunk inserting with ``ignore_conflicts=True``
  cannot write the same change twice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat, Lower, Replace, Upper
from django.utils import timezone

from leads.choices import (
    AlertFrequency,
    AlertStatus,
    AlertType,
    CommercialHeat,
    CommercialSegment,
    DmarcPolicy,
    DnsStatus,
    LinkedinPattern,
    NotificationMethod,
    PriorityCategory,
    Provider,
    RawLeadSource,
    RegistrationStatus,
    Segment,
    SignalType,
    TagSource,
    TechnicalHeat,
    TenantSize,
)


def _percent_check(field: str, name: str) -> models.CheckConstraint:
    """A 0-100 range check that lets NULL through (NULL means "not measured")."""
    in_range = Q(**{f"{field}__gte": 0, f"{field}__lte": 100})
    return models.CheckConstraint(condition=in_range | Q(**{f"{field}__isnull": True}), name=name)


def _scan_token_field() -> models.UUIDField:
    return models.UUIDField(
        null=True,
        blank=True,
        editable=False,
        help_text="UUID of the scan (job) that wrote this row; NULL for one-off writes.",
    )


def search_folded(text: Any) -> Replace:
    """``text`` upper-cased with Turkish İ and ı read as I, the way a search compares.

    PostgreSQL's UPPER leaves "İ" as it is but turns "i" into "I", so "sanayi" would never
    find "SANAYİ" (nor "şirket" find "ŞİRKET"); both sides of a search are folded alike.
    """
    upper = Upper(text)
    return Replace(Replace(upper, Value("İ"), Value("I")), Value("ı"), Value("I"))


def company_search_text() -> Concat:
    """What the lead list's search matches: domain, company name and provider in one text.

    One expression, so one trigram index serves the case-insensitive substring search on all
    three (a search for "lead0999" in 100,000 leads reads the index, not every row). A line
    break separates the parts: a search box cannot type one, so no match spans two columns.
    The index (PostgreSQL only, created by migration 0009) is built on the SQL that
    ``search_folded(company_search_text())`` compiles to: change one, rebuild the other
    (``test_indexes`` notices).
    """
    return Concat("domain", Value("\n"), "canonical_name", Value("\n"), "provider")


class Company(models.Model):
    """One company, identified by its normalized domain (the natural key of all lead data)."""

    domain = models.CharField(max_length=255, unique=True)
    canonical_name = models.CharField(max_length=255)
    # Last provider a scan classified (never "Unknown": a vanished MX keeps the old value).
    # Indexed: the lead list filters on it.
    provider = models.CharField(max_length=50, choices=Provider, blank=True, db_index=True)
    tenant_size = models.CharField(max_length=50, choices=TenantSize, blank=True)
    gateway = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    contact_emails = models.JSONField(default=list, blank=True)
    contact_quality_score = models.PositiveSmallIntegerField(null=True, blank=True)
    linkedin_pattern = models.CharField(max_length=255, choices=LinkedinPattern, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["domain"]
        constraints = [
            # Normalization happens before the row is written; this catches a caller that forgot.
            models.CheckConstraint(
                condition=Q(domain=Lower("domain")) & ~Q(domain=""),
                name="company_domain_lowercase_nonempty",
            ),
            _percent_check("contact_quality_score", "company_contact_quality_0_100"),
        ]

    def __str__(self) -> str:
        return self.domain


class RawLead(models.Model):
    """One ingested record exactly as received (append-only; duplicates are kept on purpose)."""

    source = models.CharField(max_length=50, choices=RawLeadSource)
    company_name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=255, blank=True)
    website = models.CharField(max_length=255, blank=True)
    # No FK: the log keeps records whose company was later deleted, or never created.
    domain = models.CharField(max_length=255, db_index=True)
    payload = models.JSONField(default=dict, blank=True)
    ingested_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-ingested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.domain} ({self.source})"


class DomainSignals(models.Model):
    """The latest DNS and registration scan of one company, with every raw record kept.

    Columns carry the names of the engine's record (``ScanResult.to_record()``), so
    ``leads.rows`` maps one to the other by name. ``status`` is the DNS half's outcome and
    ``registration_status`` the registration lookup's, kept apart: a scan succeeded when
    ``status`` is "ok", whatever the registration lookup did. Booleans are NULL when DNS did
    not answer.
    """

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="signals")
    status = models.CharField(max_length=20, choices=DnsStatus, default=DnsStatus.PENDING)
    registration_status = models.CharField(
        max_length=20, choices=RegistrationStatus, default=RegistrationStatus.PENDING
    )
    message = models.TextField(blank=True, help_text="Why the scan is not ok, in words")
    dns_errors = models.JSONField(default=list, blank=True)
    provider = models.CharField(max_length=50, choices=Provider, blank=True)
    gateway = models.CharField(max_length=100, blank=True)
    provider_inferred_behind_gateway = models.BooleanField(
        default=False, help_text="Provider inferred from SPF/DKIM/TXT evidence behind a gateway"
    )
    autodiscover = models.CharField(
        max_length=255, blank=True, help_text="Where autodiscover points"
    )
    tenant_size = models.CharField(max_length=50, choices=TenantSize, blank=True)
    tenant_initial_domain = models.CharField(max_length=255, blank=True)
    local_provider = models.CharField(max_length=255, blank=True)
    mx_root = models.CharField(max_length=255, blank=True)
    mx_records = models.JSONField(
        default=list, blank=True, help_text="[{preference, host}] as resolved"
    )
    null_mx = models.BooleanField(default=False, help_text="RFC 7505 'MX 0 .': accepts no mail")
    mixed_vendors = models.JSONField(default=list, blank=True)
    spf = models.BooleanField(null=True)
    spf_record = models.TextField(blank=True)
    spf_dns_lookups = models.PositiveSmallIntegerField(null=True, blank=True)
    spf_void_lookups = models.PositiveSmallIntegerField(null=True, blank=True)
    spf_error = models.TextField(blank=True)
    dkim = models.BooleanField(null=True)
    dkim_selectors = models.JSONField(default=list, blank=True, help_text="Selectors found")
    dkim_selectors_checked = models.JSONField(default=list, blank=True)
    dkim_message = models.TextField(blank=True, help_text='e.g. "not found among 6 selectors"')
    dmarc_policy = models.CharField(max_length=20, choices=DmarcPolicy, blank=True)
    dmarc_coverage = models.PositiveSmallIntegerField(null=True, blank=True)
    dmarc_record = models.TextField(blank=True)
    dmarc_testing = models.BooleanField(default=False, help_text="t=y: policy not enforced")
    dmarc_subdomain_policy = models.CharField(max_length=20, choices=DmarcPolicy, blank=True)
    # Posture records: "valid", "malformed" or "absent" ("declined" for BIMI); "" = DNS did
    # not answer. Facts for the sales summary; they do not change the score.
    mta_sts = models.CharField(max_length=20, blank=True, help_text="_mta-sts TXT (RFC 8461)")
    mta_sts_id = models.CharField(max_length=64, blank=True, help_text="The policy's id= tag")
    tls_rpt = models.CharField(max_length=20, blank=True, help_text="_smtp._tls TXT (RFC 8460)")
    tls_rpt_rua = models.JSONField(default=list, blank=True, help_text="Report addresses")
    bimi = models.CharField(max_length=20, blank=True, help_text="default._bimi TXT")
    bimi_logo_url = models.TextField(blank=True)
    bimi_authority_url = models.TextField(blank=True, help_text="The mark certificate (a=)")
    dnssec = models.BooleanField(
        null=True, blank=True, help_text="The zone publishes DNSKEY (not validated)"
    )
    registrar = models.CharField(max_length=255, blank=True)
    # Indexed: "expiring soon" is a date range over every lead.
    expires_at = models.DateField(null=True, blank=True, db_index=True)
    nameservers = models.JSONField(default=list, blank=True)
    registration_source = models.CharField(max_length=20, blank=True, help_text="rdap or whois")
    registration_error = models.TextField(blank=True)
    evidence = models.JSONField(default=list, blank=True, help_text="Why the provider was chosen")
    # Indexed: the lead list sorts by it.
    scanned_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "domain signals"
        verbose_name_plural = "domain signals"
        ordering = ["-scanned_at"]
        constraints = [_percent_check("dmarc_coverage", "signals_dmarc_coverage_0_100")]

    def __str__(self) -> str:
        return f"signals for {self.company_id}"

    @property
    def resolved(self) -> bool:
        """True when DNS answered, so the booleans and records are facts, not unknowns."""
        return self.status == DnsStatus.OK


class LeadScore(models.Model):
    """The latest readiness score and CSP P-model classification of one company.

    ``score`` (the readiness score) and ``segment`` are NULL together when the scan was
    unresolved (not scored yet); a "lead" is a company whose score is not NULL.
    ``rules_hash`` names the rules file version that produced the row, so a rules change can
    find stale scores.
    """

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="score")
    score = models.SmallIntegerField(null=True, blank=True)
    # NULL, not "", for the scored vocabularies: the engine's "not scored" is a distinct state.
    segment = models.CharField(  # noqa: DJ001
        max_length=50, choices=Segment, null=True, blank=True
    )
    reason = models.TextField(blank=True)
    hard_fail = models.BooleanField(default=False, help_text="Forced to 0 (e.g. no MX)")
    reasons = models.JSONField(
        default=list, blank=True, help_text="[{rule, points}]: the score breakdown, in order"
    )
    technical_heat = models.CharField(  # noqa: DJ001
        max_length=20, choices=TechnicalHeat, null=True, blank=True
    )
    commercial_segment = models.CharField(  # noqa: DJ001
        max_length=50, choices=CommercialSegment, null=True, blank=True
    )
    commercial_heat = models.CharField(  # noqa: DJ001
        max_length=20, choices=CommercialHeat, null=True, blank=True
    )
    priority_category = models.CharField(  # noqa: DJ001
        max_length=10, choices=PriorityCategory, null=True, blank=True
    )
    priority_label = models.CharField(max_length=100, blank=True)
    # Stored, not computed on read: the lead list sorts 100,000 rows by it through an index.
    priority_score = models.SmallIntegerField(
        null=True, blank=True, help_text="1-7 sales priority (1 = call first); NULL unscored"
    )
    rules_hash = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [_percent_check("score", "score_readiness_0_100")]
        # The lead list: best score first, within a segment or a priority category, or overall.
        indexes = [
            models.Index(fields=["segment", "-score"], name="leadscore_segment_score_idx"),
            models.Index(
                fields=["priority_category", "-score"], name="leadscore_category_score_idx"
            ),
            models.Index(fields=["-score"], name="leadscore_score_idx"),
            # The default order, overall and within a segment; only scored rows are leads.
            models.Index(
                fields=["priority_score", "-score", "company"],
                name="leadscore_priority_order_idx",
                condition=Q(score__isnull=False),
            ),
            models.Index(
                fields=["segment", "priority_score", "-score", "company"],
                name="leadscore_seg_priority_idx",
                condition=Q(score__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"score for {self.company_id}: {self.score}"


class ProviderChangeHistory(models.Model):
    """One change of a company's mail provider, written by a scan (append-only).

    Unique (company, scan_token): one scan classifies a company once, so a redelivered chunk
    of the same job can only hit the constraint, never add a second row.
    """

    # No index of its own: the history index below starts with company.
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="provider_changes", db_index=False
    )
    previous_provider = models.CharField(max_length=50, choices=Provider, blank=True)
    new_provider = models.CharField(max_length=50, choices=Provider)
    changed_at = models.DateTimeField(default=timezone.now)
    scan_token = _scan_token_field()

    class Meta:
        verbose_name_plural = "provider change history"
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "scan_token"], name="provider_change_once_per_scan"
            )
        ]
        # A company's history, newest first.
        indexes = [
            models.Index(fields=["company", "-changed_at"], name="provider_change_history_idx")
        ]

    def __str__(self) -> str:
        return f"{self.previous_provider or '-'} → {self.new_provider}"


class SignalChangeHistory(models.Model):
    """One changed signal (spf, dkim, dmarc or mx) between two scans (append-only).

    Values are text ("True"/"False" for booleans), so one column holds every signal type.
    Unique (company, signal_type, scan_token): a scan changes each signal at most once.
    """

    # No index of its own: the history index below starts with company.
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="signal_changes", db_index=False
    )
    signal_type = models.CharField(max_length=20, choices=SignalType)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    scan_token = _scan_token_field()

    class Meta:
        verbose_name_plural = "signal change history"
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "signal_type", "scan_token"], name="signal_change_once_per_scan"
            )
        ]
        # A company's history, newest first.
        indexes = [
            models.Index(fields=["company", "-changed_at"], name="signal_change_history_idx")
        ]

    def __str__(self) -> str:
        return f"{self.signal_type}: {self.old_value} → {self.new_value}"


class ScoreChangeHistory(models.Model):
    """One change of readiness score or segment between two scans (append-only).

    Unique (company, scan_token), for the same reason as ProviderChangeHistory.
    """

    # No index of its own: the history index below starts with company.
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="score_changes", db_index=False
    )
    old_score = models.SmallIntegerField(null=True, blank=True)
    new_score = models.SmallIntegerField(null=True, blank=True)
    old_segment = models.CharField(max_length=50, choices=Segment, blank=True)
    new_segment = models.CharField(max_length=50, choices=Segment, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    scan_token = _scan_token_field()

    class Meta:
        verbose_name_plural = "score change history"
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "scan_token"], name="score_change_once_per_scan"
            )
        ]
        # A company's history, newest first.
        indexes = [models.Index(fields=["company", "-changed_at"], name="score_change_history_idx")]

    def __str__(self) -> str:
        return f"{self.old_score} → {self.new_score}"


class Alert(models.Model):
    """One notification-worthy change of a company, waiting to be sent or already sent.

    Unique (company, alert_type, scan_token): a scan raises each kind of alert once per company,
    so redelivery cannot notify the sales team twice about the same change.
    """

    # No index of its own: the per-company index below starts with company.
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="alerts", db_index=False
    )
    alert_type = models.CharField(max_length=50, choices=AlertType)
    alert_message = models.TextField()
    status = models.CharField(max_length=20, choices=AlertStatus, default=AlertStatus.PENDING)
    notification_method = models.CharField(max_length=20, choices=NotificationMethod, blank=True)
    error = models.TextField(blank=True, help_text="Why the last delivery attempt failed")
    # Indexed: the alert list is newest first across all companies.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    scan_token = _scan_token_field()
    # Delivery bookkeeping (leads.services.alerts): failed deliveries are retried a bounded
    # number of times; an alert some user wants in a daily digest stays owed until it went out.
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Failed delivery attempts")
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When a failed delivery is retried; empty = given up"
    )
    digest_due = models.BooleanField(default=False, help_text="Owed to daily-digest subscribers")
    # A delivery run leases the alerts it is about to send and sends outside any transaction;
    # another run skips a leased alert, and one whose run died is sent again once it expires.
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="Being delivered by a run until then"
    )
    claim_token = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "alert_type", "scan_token"], name="alert_once_per_scan"
            )
        ]
        indexes = [
            models.Index(fields=["company", "-created_at"], name="alert_company_created_idx"),
            # Due for delivery: pending ones, and failed ones by their retry time.
            models.Index(fields=["status", "next_attempt_at"], name="alert_due_idx"),
            # Owed to a digest: a handful among every alert ever raised.
            models.Index(fields=["id"], condition=Q(digest_due=True), name="alert_digest_owed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.alert_type} for {self.company_id}"


class AlertConfig(models.Model):
    """One user's wish to be told about one alert type through one channel.

    The vocabularies are CHECKed in the database (not only in forms) because these rows are
    typed by people, and a channel without its address could never be delivered.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_configs"
    )
    alert_type = models.CharField(max_length=50, choices=AlertType)
    notification_method = models.CharField(max_length=20, choices=NotificationMethod)
    enabled = models.BooleanField(default=True)
    frequency = models.CharField(
        max_length=20, choices=AlertFrequency, default=AlertFrequency.IMMEDIATE
    )
    webhook_url = models.URLField(blank=True, help_text="Required for webhook and Slack")
    email_address = models.EmailField(blank=True, help_text="Required for e-mail")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user_id", "alert_type", "notification_method"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "alert_type", "notification_method"],
                name="alert_config_once_per_user_type_method",
            ),
            models.CheckConstraint(
                condition=Q(alert_type__in=AlertType.values), name="alert_config_valid_type"
            ),
            models.CheckConstraint(
                condition=Q(notification_method__in=NotificationMethod.values),
                name="alert_config_valid_method",
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=AlertFrequency.values),
                name="alert_config_valid_frequency",
            ),
            models.CheckConstraint(
                condition=~Q(notification_method__in=["webhook", "slack"]) | ~Q(webhook_url=""),
                name="alert_config_webhook_needs_url",
                violation_error_message="Webhook and Slack notifications need a webhook URL.",
            ),
            models.CheckConstraint(
                condition=~Q(notification_method="email") | ~Q(email_address=""),
                name="alert_config_email_needs_address",
                violation_error_message="E-mail notifications need an e-mail address.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alert_type} via {self.notification_method}"


class Tag(models.Model):
    """One label on a company; system tags are recomputed by each scan, manual ones are kept."""

    # No index of its own: the unique (company, tag) index starts with company.
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="tags", db_index=False
    )
    tag = models.CharField(max_length=100)
    source = models.CharField(max_length=20, choices=TagSource, default=TagSource.MANUAL)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "tag"], name="tag_once_per_company")
        ]

    def __str__(self) -> str:
        return self.tag


class Note(models.Model):
    """One free-text sales note about a company."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="notes")
    note = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # A company's notes, newest first.
        indexes = [models.Index(fields=["company", "-created_at"], name="note_company_created_idx")]

    def __str__(self) -> str:
        return self.note[:50]


class Favorite(models.Model):
    """One company a user has starred."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="favorites")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="favorite_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ★ {self.company_id}"
