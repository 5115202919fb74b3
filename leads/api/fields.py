"""The lead's API fields: one table maps stored rows to the names old clients read.

Every lead response (list, detail, export) is built from ``LEAD_FIELDS``, so a renamed model
column touches one getter here and the documented field names never move. The same table
builds the OpenAPI serializer, so the schema cannot drift from what is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from rest_framework import serializers

from leads.choices import DnsStatus, RegistrationStatus
from leads.models import Company, DomainSignals, LeadScore


class LeadRow(NamedTuple):
    """A lead's three rows, looked up once per lead rather than once per field."""

    company: Company
    signals: DomainSignals | None
    score: LeadScore | None


@dataclass(frozen=True)
class LeadField:
    """One response field: how to read it from a lead, and its type for the schema."""

    get: Callable[[LeadRow], Any]
    schema: serializers.Field


def lead_row(company: Company) -> LeadRow:
    """The company with its signals and score (None when missing), as the getters read them."""
    return LeadRow(company, _signals(company), _score(company))


def _signals(company: Company) -> DomainSignals | None:
    try:
        return company.signals
    except DomainSignals.DoesNotExist:
        return None


def _score(company: Company) -> LeadScore | None:
    try:
        return company.score
    except LeadScore.DoesNotExist:
        return None


def _text_or_none(value: str | None) -> str | None:
    return value or None


def legacy_scan_status(signals: DomainSignals | None) -> str:
    """The old single ``scan_status`` word, from the two statuses stored today."""
    if signals is None or signals.status == DnsStatus.PENDING:
        return "pending"
    if signals.status == DnsStatus.INVALID:
        return "invalid_domain"
    if signals.status == DnsStatus.UNRESOLVED:
        return "dns_timeout"
    if signals.registration_status == RegistrationStatus.UNKNOWN:
        return "whois_failed"
    return "success"


def _from_signals(
    name: str, convert: Callable[[Any], Any] = lambda v: v
) -> Callable[[LeadRow], Any]:
    def get(row: LeadRow) -> Any:
        return convert(getattr(row.signals, name)) if row.signals is not None else None

    return get


def _from_score(name: str, convert: Callable[[Any], Any] = lambda v: v) -> Callable[[LeadRow], Any]:
    def get(row: LeadRow) -> Any:
        return convert(getattr(row.score, name)) if row.score is not None else None

    return get


def _priority(row: LeadRow) -> int:
    # Unscored rows store no priority; they rank last, as the engine's fallback does.
    stored = row.score.priority_score if row.score is not None else None
    return stored if stored is not None else 7


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _nullable(field: type[serializers.Field], **kwargs: Any) -> serializers.Field:
    return field(allow_null=True, **kwargs)


_STR = serializers.CharField
LEAD_FIELDS: dict[str, LeadField] = {
    "company_id": LeadField(lambda r: r.company.pk, serializers.IntegerField()),
    "canonical_name": LeadField(lambda r: r.company.canonical_name, _STR()),
    "domain": LeadField(lambda r: r.company.domain, _STR()),
    "provider": LeadField(lambda r: _text_or_none(r.company.provider), _nullable(_STR)),
    "tenant_size": LeadField(lambda r: _text_or_none(r.company.tenant_size), _nullable(_STR)),
    "local_provider": LeadField(_from_signals("local_provider", _text_or_none), _nullable(_STR)),
    "country": LeadField(lambda r: _text_or_none(r.company.country), _nullable(_STR)),
    "contact_emails": LeadField(
        lambda r: list(r.company.contact_emails or []),
        serializers.ListField(child=serializers.EmailField(), allow_null=True),
    ),
    "contact_quality_score": LeadField(
        lambda r: r.company.contact_quality_score, _nullable(serializers.IntegerField)
    ),
    "linkedin_pattern": LeadField(
        lambda r: _text_or_none(r.company.linkedin_pattern), _nullable(_STR)
    ),
    "spf": LeadField(_from_signals("spf"), _nullable(serializers.BooleanField)),
    "dkim": LeadField(_from_signals("dkim"), _nullable(serializers.BooleanField)),
    "dmarc_policy": LeadField(_from_signals("dmarc_policy", _text_or_none), _nullable(_STR)),
    "dmarc_coverage": LeadField(
        _from_signals("dmarc_coverage"), _nullable(serializers.IntegerField)
    ),
    "mx_root": LeadField(_from_signals("mx_root", _text_or_none), _nullable(_STR)),
    "registrar": LeadField(_from_signals("registrar", _text_or_none), _nullable(_STR)),
    "expires_at": LeadField(_from_signals("expires_at", _iso), _nullable(serializers.DateField)),
    "nameservers": LeadField(
        _from_signals("nameservers", lambda v: list(v or [])),
        serializers.ListField(child=_STR(), allow_null=True),
    ),
    "scan_status": LeadField(lambda r: legacy_scan_status(r.signals), _STR()),
    "scanned_at": LeadField(
        _from_signals("scanned_at", _iso), _nullable(serializers.DateTimeField)
    ),
    "readiness_score": LeadField(_from_score("score"), _nullable(serializers.IntegerField)),
    "segment": LeadField(_from_score("segment"), _nullable(_STR)),
    "reason": LeadField(_from_score("reason", _text_or_none), _nullable(_STR)),
    "priority_score": LeadField(_priority, serializers.IntegerField(min_value=1, max_value=7)),
    "technical_heat": LeadField(_from_score("technical_heat"), _nullable(_STR)),
    "commercial_segment": LeadField(_from_score("commercial_segment"), _nullable(_STR)),
    "commercial_heat": LeadField(_from_score("commercial_heat"), _nullable(_STR)),
    "priority_category": LeadField(_from_score("priority_category"), _nullable(_STR)),
    "priority_label": LeadField(_from_score("priority_label", _text_or_none), _nullable(_STR)),
    # IP enrichment is not collected yet; the field stays for old clients.
    "infrastructure_summary": LeadField(lambda r: None, _nullable(_STR)),
}

# The list query does not read contact data; old clients get null there, as before.
LIST_HIDDEN_FIELDS = frozenset({"contact_emails", "contact_quality_score", "linkedin_pattern"})


# The columns the list reads; the list query loads only these (no raw DNS records, evidence,
# contact data), which is most of its cost on a page of 200 rows.
LIST_COLUMNS = (
    "domain", "canonical_name", "provider", "tenant_size", "country",
    "signals__local_provider", "signals__spf", "signals__dkim", "signals__dmarc_policy",
    "signals__dmarc_coverage", "signals__mx_root", "signals__registrar",
    "signals__expires_at", "signals__nameservers", "signals__status",
    "signals__registration_status", "signals__scanned_at",
    "score__score", "score__segment", "score__reason", "score__technical_heat",
    "score__commercial_segment", "score__commercial_heat", "score__priority_category",
    "score__priority_label", "score__priority_score",
)  # fmt: skip


def lead_record(company: Company, *, with_contacts: bool = True) -> dict[str, Any]:
    """The API form of one lead (company with signals and score selected)."""
    row = lead_row(company)
    if with_contacts:
        return {name: field.get(row) for name, field in LEAD_FIELDS.items()}
    return {
        name: None if name in LIST_HIDDEN_FIELDS else field.get(row)
        for name, field in LEAD_FIELDS.items()
    }


def schema_serializer(
    name: str, fields: dict[str, serializers.Field]
) -> type[serializers.Serializer[Any]]:
    """A serializer class that only documents a response shape in the OpenAPI schema."""
    return type(name, (serializers.Serializer,), dict(fields))


LeadSchema = schema_serializer("Lead", {name: field.schema for name, field in LEAD_FIELDS.items()})


# What a scan answers about one domain: a subset of the lead, with the score as "score".
SCAN_RESULT_FIELDS = {
    "domain": "domain",
    "score": "readiness_score",
    "segment": "segment",
    "reason": "reason",
    "provider": "provider",
    "local_provider": "local_provider",
    "tenant_size": "tenant_size",
    "mx_root": "mx_root",
    "spf": "spf",
    "dkim": "dkim",
    "dmarc_policy": "dmarc_policy",
    "dmarc_coverage": "dmarc_coverage",
    "scan_status": "scan_status",
}


def scan_result_record(company: Company) -> dict[str, Any]:
    """The legacy scan-result shape of a stored lead (company with signals and score)."""
    row = lead_row(company)
    return {name: LEAD_FIELDS[source].get(row) for name, source in SCAN_RESULT_FIELDS.items()}


ScanResultSchema = schema_serializer(
    "ScanResult",
    {name: LEAD_FIELDS[source].schema for name, source in SCAN_RESULT_FIELDS.items()},
)
