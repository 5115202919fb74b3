"""The score breakdown response: the stored score reasons regrouped as old clients read them.

The breakdown is stored with every score (and refreshed when the rules change), so this
reads it instead of scoring again; a hard-fail shows as its own entry and the total is the
stored score, never a different number.
"""

from __future__ import annotations

from typing import Any

from leads.api.fields import LEAD_FIELDS, model_reader
from leads.models import Company

_GROUPS = {"signal": "signal_points", "risk": "risk_points"}
_LEAD_KEYS = (
    "tenant_size",
    "local_provider",
    "dmarc_coverage",
    "dmarc_policy",
    "technical_heat",
    "commercial_segment",
    "commercial_heat",
    "priority_category",
    "priority_label",
)


def _components(entries: list[dict[str, Any]], fallback_provider: str) -> dict[str, Any]:
    parts: dict[str, Any] = {
        "base_score": 0,
        "provider": {"name": fallback_provider, "points": 0},
        "signal_points": {},
        "risk_points": {},
        "hard_fail": None,
    }
    for entry in entries:
        key, points = str(entry.get("rule", "")), int(entry.get("points", 0))
        group, _, name = key.partition(".")
        if key == "base_score":
            parts["base_score"] = points
        elif group == "provider":
            parts["provider"] = {"name": name, "points": points}
        elif group in _GROUPS:
            parts[_GROUPS[group]][name] = points
        elif group == "hard_fail":
            parts["hard_fail"] = {"rule": name, "points": points}
    return parts


def score_breakdown_record(company: Company) -> dict[str, Any]:
    """Points per component, the total, the hard-fail if any, and the P-model fields."""
    score = company.score
    entries = score.reasons if isinstance(score.reasons, list) else []
    record = {
        "domain": company.domain,
        **_components([e for e in entries if isinstance(e, dict)], company.provider or "Unknown"),
        "total_score": score.score,
        "ip_enrichment": None,  # IP enrichment is not collected yet
    }
    read = model_reader(company)
    record.update({key: LEAD_FIELDS[key].get(read) for key in _LEAD_KEYS})
    return record
