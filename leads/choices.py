"""Every vocabulary of the lead data, one TextChoices class each.

Stored values are the exact strings the engine produces ("M365", "Migration", "P1"...), so
engine results can be written without translation. Labels are for people.
Engine-produced columns carry no database CHECK on purpose: a provider added to the engine's
data file must not make scans fail to save. Only user-entered vocabularies (alert configs) are
checked in the database.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Provider(models.TextChoices):
    M365 = "M365", "Microsoft 365"
    GOOGLE = "Google", "Google Workspace"
    YANDEX = "Yandex", "Yandex"
    ZOHO = "Zoho", "Zoho"
    PROTON = "Proton", "Proton Mail"
    FASTMAIL = "Fastmail", "Fastmail"
    MAILBOX_ORG = "Mailbox.org", "mailbox.org"
    AMAZON = "Amazon", "Amazon SES / WorkMail"
    SENDGRID = "SendGrid", "SendGrid"
    MAILGUN = "Mailgun", "Mailgun"
    HOSTING = "Hosting", _("Hosting")
    LOCAL = "Local", _("Local / self-hosted")
    UNKNOWN = "Unknown", _("Unknown")


class TenantSize(models.TextChoices):
    SMALL = "small", _("Small")
    MEDIUM = "medium", _("Medium")
    LARGE = "large", _("Large")


class LinkedinPattern(models.TextChoices):
    FIRSTNAME_LASTNAME = "firstname.lastname", "firstname.lastname"
    F_LASTNAME = "f.lastname", "f.lastname"
    FIRSTNAME = "firstname", "firstname"


class RawLeadSource(models.TextChoices):
    DOMAIN = "domain", _("Single domain")
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel"
    WEBHOOK = "webhook", "Webhook"
    PARTNERCENTER = "partnercenter", "Partner Center"
    API = "api", "API"


class DnsStatus(models.TextChoices):
    """Outcome of the DNS half of a scan, kept apart from the registration lookup's outcome."""

    PENDING = "pending", _("Not scanned yet")
    OK = "ok", _("Resolved")
    INVALID = "invalid", _("Invalid domain")
    NXDOMAIN = "nxdomain", _("Domain does not exist")
    # A timeout or SERVFAIL: unknown is not "no MX", so it is retried later.
    UNRESOLVED = "unresolved", _("Unresolved (retry later)")


class RegistrationStatus(models.TextChoices):
    """Outcome of the RDAP/WHOIS half of a scan, independent of the DNS outcome."""

    PENDING = "pending", _("Not looked up yet")
    OK = "ok", _("Found")
    UNKNOWN = "unknown", _("Lookup failed")
    DISABLED = "disabled", _("Lookups disabled")


class DmarcPolicy(models.TextChoices):
    NONE = "none", "none"
    QUARANTINE = "quarantine", "quarantine"
    REJECT = "reject", "reject"


class Segment(models.TextChoices):
    EXISTING = "Existing", _("Existing")
    MIGRATION = "Migration", _("Migration")
    COLD = "Cold", _("Cold")
    SKIP = "Skip", _("Skip")


class TechnicalHeat(models.TextChoices):
    HOT = "Hot", _("Hot")
    WARM = "Warm", _("Warm")
    COLD = "Cold", _("Cold")


class CommercialSegment(models.TextChoices):
    GREENFIELD = "GREENFIELD", _("Greenfield")
    COMPETITIVE = "COMPETITIVE", _("Competitive")
    WEAK_PARTNER = "WEAK_PARTNER", _("Weak partner")
    RENEWAL = "RENEWAL", _("Renewal")
    LOW_INTENT = "LOW_INTENT", _("Low intent")
    NO_GO = "NO_GO", _("No-go")


class CommercialHeat(models.TextChoices):
    HIGH = "HIGH", _("High")
    MEDIUM = "MEDIUM", _("Medium")
    LOW = "LOW", _("Low")


class PriorityCategory(models.TextChoices):
    P1 = "P1", "P1 High Potential Greenfield"
    P2 = "P2", "P2 Competitive Takeover"
    P3 = "P3", "P3 Existing Microsoft but Weak Partner"
    P4 = "P4", "P4 Renewal Pressure"
    P5 = "P5", "P5 Low Intent / Long Nurturing"
    P6 = "P6", "P6 No-Go / Archive"


class SignalType(models.TextChoices):
    SPF = "spf", "SPF"
    DKIM = "dkim", "DKIM"
    DMARC = "dmarc", "DMARC"
    MX = "mx", "MX"


class AlertType(models.TextChoices):
    MX_CHANGED = "mx_changed", _("MX changed")
    DMARC_ADDED = "dmarc_added", _("DMARC added")
    EXPIRE_SOON = "expire_soon", _("Domain expires soon")
    SCORE_CHANGED = "score_changed", _("Score changed")


class AlertStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class NotificationMethod(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", "Webhook"
    SLACK = "slack", "Slack"


class AlertFrequency(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DAILY_DIGEST = "daily_digest", _("Daily digest")


class TagSource(models.TextChoices):
    """System tags are recomputed after every scan; manual tags are never touched by it."""

    SYSTEM = "system", _("Automatic")
    MANUAL = "manual", _("Manual")
