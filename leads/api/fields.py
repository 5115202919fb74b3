"""The lead's API fields: one table maps stored rows to the names old clients read.

Every lead response (list, detail, export) is built from ``LEAD_FIELDS``, so a renamed model
column touches one column path here and the documented field names never move. The same
table builds the OpenAPI serializer (the schema cannot drift from what is sent) and names the
columns the list query reads.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rest_framework import serializers

from leads.choices import DnsStatus, RegistrationStatus
from leads.models import Company, DomainSignals, LeadScore

Read = Callable[[str], Any]
"""A lead's stored value by column path (``domain``, ``signals__spf``, ``score__segment``).

None when the lead has no such related row. The same fields read a company with its rows
selected (detail, scan results) or one ``values()`` row of the list, which skips building
three model instances per lead.
"""


@dataclass(frozen=True)
class LeadField:
    """One response field: the columns it reads, how it reads them, its type for the schema."""

    columns: tuple[str, ...]
    get: Callable[[Read], Any]
    schema: serializers.Field
    # The same value straight off a ``values()`` row, where ``column`` can skip the ``Read``
    # indirection (a third of a list page's record building); None reads through ``get``.
    from_row: Callable[[Mapping[str, Any]], Any] | None = None

    def row_reader(self) -> Callable[[Mapping[str, Any]], Any]:
        """Reads this field from a ``values()`` row."""
        if self.from_row is not None:
            return self.from_row
        get = self.get
        return lambda row: get(row.__getitem__)


def column(
    path: str, schema: serializers.Field, convert: Callable[[Any], Any] | None = None
) -> LeadField:
    """A field that is one stored column, converted for old clients when needed."""
    if convert is None:
        return LeadField((path,), lambda read: read(path), schema, operator.itemgetter(path))
    return LeadField(
        (path,), lambda read: convert(read(path)), schema, lambda row: convert(row[path])
    )


def model_reader(company: Company) -> Read:
    """Reads a company and the signals and score rows selected with it."""
    rows: dict[str, Any] = {"": company, "signals": _signals(company), "score": _score(company)}

    def read(path: str) -> Any:
        relation, _, name = path.rpartition("__")
        row = rows[relation]
        return getattr(row, name) if row is not None else None

    return read


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


def _nothing(*_: Any) -> None:
    return None


def _text_or_none(value: str | None) -> str | None:
    return value or None


def _listed(value: list[Any] | None) -> list[Any]:
    return list(value or [])


def legacy_scan_status(status: str | None, registration_status: str | None) -> str:
    """The old single ``scan_status`` word, from the two statuses stored today."""
    if status is None or status == DnsStatus.PENDING:
        return "pending"
    if status == DnsStatus.INVALID:
        return "invalid_domain"
    if status == DnsStatus.UNRESOLVED:
        return "dns_timeout"
    if registration_status == RegistrationStatus.UNKNOWN:
        return "whois_failed"
    return "success"


def _priority(stored: int | None) -> int:
    # Unscored rows store no priority; they rank last, as the engine's fallback does.
    return stored if stored is not None else 7


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _nullable(field: type[serializers.Field], **kwargs: Any) -> serializers.Field:
    return field(allow_null=True, **kwargs)


_STR = serializers.CharField


# Schema types: a new instance per field (DRF orders a serializer's fields by creation).
def _text() -> serializers.Field:
    return _nullable(_STR)


def _int() -> serializers.Field:
    return _nullable(serializers.IntegerField)


def _bool() -> serializers.Field:
    return _nullable(serializers.BooleanField)


_STATUSES = ("signals__status", "signals__registration_status")
LEAD_FIELDS: dict[str, LeadField] = {
    "company_id": column("id", serializers.IntegerField()),
    "canonical_name": column("canonical_name", _STR()),
    "domain": column("domain", _STR()),
    "provider": column("provider", _text(), _text_or_none),
    "tenant_size": column("tenant_size", _text(), _text_or_none),
    "local_provider": column("signals__local_provider", _text(), _text_or_none),
    "country": column("country", _text(), _text_or_none),
    "contact_emails": column(
        "contact_emails",
        serializers.ListField(child=serializers.EmailField(), allow_null=True),
        _listed,
    ),
    "contact_quality_score": column("contact_quality_score", _int()),
    "linkedin_pattern": column("linkedin_pattern", _text(), _text_or_none),
    "spf": column("signals__spf", _bool()),
    "dkim": column("signals__dkim", _bool()),
    "dmarc_policy": column("signals__dmarc_policy", _text(), _text_or_none),
    "dmarc_coverage": column("signals__dmarc_coverage", _int()),
    "mx_root": column("signals__mx_root", _text(), _text_or_none),
    "registrar": column("signals__registrar", _text(), _text_or_none),
    "expires_at": column("signals__expires_at", _nullable(serializers.DateField), _iso),
    "nameservers": column(
        "signals__nameservers", serializers.ListField(child=_STR(), allow_null=True), _listed
    ),
    "scan_status": LeadField(
        _STATUSES, lambda read: legacy_scan_status(*map(read, _STATUSES)), _STR()
    ),
    "scanned_at": column("signals__scanned_at", _nullable(serializers.DateTimeField), _iso),
    "readiness_score": column("score__score", _int()),
    "segment": column("score__segment", _text()),
    "reason": column("score__reason", _text(), _text_or_none),
    "priority_score": column(
        "score__priority_score", serializers.IntegerField(min_value=1, max_value=7), _priority
    ),
    "technical_heat": column("score__technical_heat", _text()),
    "commercial_segment": column("score__commercial_segment", _text()),
    "commercial_heat": column("score__commercial_heat", _text()),
    "priority_category": column("score__priority_category", _text()),
    "priority_label": column("score__priority_label", _text(), _text_or_none),
    # IP enrichment is not collected yet; the field stays for old clients.
    "infrastructure_summary": LeadField((), _nothing, _text()),
}

# The list query does not read contact data; old clients get null there, as before.
LIST_HIDDEN_FIELDS = frozenset({"contact_emails", "contact_quality_score", "linkedin_pattern"})


# The columns the list reads, from the fields it shows: no raw DNS records, evidence or
# contact data, which would be most of its cost on a page of 200 rows.
LIST_COLUMNS = tuple(
    dict.fromkeys(
        path
        for name, field in LEAD_FIELDS.items()
        if name not in LIST_HIDDEN_FIELDS
        for path in field.columns
    )
)


def lead_record(company: Company, *, with_contacts: bool = True) -> dict[str, Any]:
    """The API form of one lead (company with signals and score selected)."""
    read = model_reader(company)
    return {
        name: None if not with_contacts and name in LIST_HIDDEN_FIELDS else field.get(read)
        for name, field in LEAD_FIELDS.items()
    }


_LIST_ROW_READERS = tuple(
    (name, _nothing if name in LIST_HIDDEN_FIELDS else field.row_reader())
    for name, field in LEAD_FIELDS.items()
)


def lead_list_record(values: Mapping[str, Any]) -> dict[str, Any]:
    """The list form of one lead from its ``values(*LIST_COLUMNS)`` row (contacts null)."""
    return {name: from_row(values) for name, from_row in _LIST_ROW_READERS}


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
    read = model_reader(company)
    return {name: LEAD_FIELDS[source].get(read) for name, source in SCAN_RESULT_FIELDS.items()}


ScanResultSchema = schema_serializer(
    "ScanResult",
    {name: LEAD_FIELDS[source].schema for name, source in SCAN_RESULT_FIELDS.items()},
)
