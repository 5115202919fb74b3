"""How lead values read on the sales pages: badge colours, tooltips and score reasons.

The words come from the scoring rules (``rules.json``), so a tooltip never quotes an old
threshold: when the rules change, the text follows. Everything here is a pure function of
plain values (strings, numbers, the stored breakdown list), translated with gettext.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads.choices import Provider, Segment
from scanning.engine.rules import Condition, SegmentRule
from scanning.engine.scoring import load_rules

PRIORITY_LABELS: Mapping[str, Any] = {
    "P1": gettext_lazy("High Potential Greenfield"),
    "P2": gettext_lazy("Competitive Takeover"),
    "P3": gettext_lazy("Existing Microsoft but Weak Partner"),
    "P4": gettext_lazy("Renewal Pressure"),
    "P5": gettext_lazy("Low Intent / Long Nurturing"),
    "P6": gettext_lazy("No-Go / Archive"),
}

# Score reasons by the key the scorer stores; provider and hard-fail keys carry a name.
REASON_LABELS: Mapping[str, Any] = {
    "base_score": gettext_lazy("Base score"),
    "signal.spf": gettext_lazy("SPF record published"),
    "signal.dkim": gettext_lazy("DKIM key found"),
    "signal.dmarc_quarantine": gettext_lazy("DMARC policy: quarantine"),
    "signal.dmarc_reject": gettext_lazy("DMARC policy: reject"),
    "signal.dmarc_none": gettext_lazy("DMARC policy: none"),
    "risk.no_spf": gettext_lazy("No SPF record"),
    "risk.no_dkim": gettext_lazy("No DKIM key found"),
    "risk.dkim_none": gettext_lazy("DKIM not set up"),
    "risk.dmarc_none": gettext_lazy("No enforced DMARC policy"),
    "risk.hosting_mx_weak": gettext_lazy("Mail runs on shared hosting"),
    "risk.spf_multiple_includes": gettext_lazy("SPF record has many includes"),
}
HARD_FAIL_LABELS: Mapping[str, Any] = {
    "domain_not_found": gettext_lazy("The domain does not exist in DNS"),
    "null_mx": gettext_lazy("The domain accepts no e-mail (null MX)"),
    "mx_missing": gettext_lazy("The domain has no MX record"),
}


@dataclass(frozen=True)
class Reason:
    """One line of "why this score": what counted and how many points it gave."""

    label: str
    points: int
    kind: str  # "base", "provider", "signal", "risk" or "hard_fail"


def priority_label(category: str | None) -> str:
    """The translated label of a P-category ("" when there is none)."""
    return str(PRIORITY_LABELS.get(category or "", ""))


def _choice_label(choices: type[TextChoices], value: str) -> str:
    """The label of a stored value, or the value itself when the vocabulary lacks it."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def provider_label(provider: str | None) -> str:
    """The display name of a provider value ("Unknown" when there is none)."""
    return _choice_label(Provider, provider) if provider else _("Unknown")


def segment_label(segment: str | None) -> str:
    """The translated name of a segment ("Not scored" when there is none)."""
    return _choice_label(Segment, segment) if segment else _("Not scored")


def score_band(score: int | None) -> str:
    """``high`` (70 and up), ``medium`` (50 and up) or ``low``: the colour of a score."""
    if score is None:
        return "low"
    if score >= 70:
        return "high"
    return "medium" if score >= 50 else "low"


def reasons(breakdown: Iterable[Mapping[str, Any]]) -> list[Reason]:
    """The stored breakdown (``[{"rule": key, "points": n}]``) as labelled reasons, in order."""
    return [_reason(str(item.get("rule", "")), int(item.get("points", 0))) for item in breakdown]


def _reason(key: str, points: int) -> Reason:
    group, _dot, name = key.partition(".")
    if group == "provider":
        return Reason(_("Mail provider: %(name)s") % {"name": provider_label(name)}, points, group)
    if group == "hard_fail":
        why = str(HARD_FAIL_LABELS.get(name, name))
        return Reason(_("Hard-fail: %(why)s") % {"why": why}, points, group)
    kind = "base" if key == "base_score" else group
    return Reason(str(REASON_LABELS.get(key, key)), points, kind)


def segment_tooltips() -> dict[str, str]:
    """For each segment, the conditions that put a lead in it, worded from the rules file."""
    rules = load_rules()
    by_segment: dict[str, list[str]] = {}
    for rule in (*rules.segment_rules, rules.segment_fallback):
        by_segment.setdefault(rule.segment, []).append(_rule_text(rule))
    return {segment: _(" or ").join(texts) for segment, texts in by_segment.items()}


def _rule_text(rule: SegmentRule) -> str:
    parts = _condition_parts(rule.condition)
    return ", ".join(parts) if parts else _("any other lead")


def _condition_parts(condition: Condition) -> list[str]:
    parts = []
    providers = condition.allowed.get("provider")
    if providers:
        names = ", ".join(provider_label(p) for p in sorted(providers))
        parts.append(_("mail provider %(names)s") % {"names": names})
    if condition.min_score is not None:
        parts.append(_("score %(n)s or more") % {"n": condition.min_score})
    if condition.max_score is not None:
        parts.append(_("score %(n)s or less") % {"n": condition.max_score})
    return parts


def provider_tooltips() -> dict[str, str]:
    """For each provider, the points it adds to a score, from the rules file."""
    points = load_rules().provider_points
    return {
        provider: _("%(name)s: %(points)+d points for the mail provider")
        % {"name": provider_label(provider), "points": value}
        for provider, value in points.items()
    }


def chart_labels(kind: str, values: Sequence[str]) -> list[str]:
    """Readable, translated labels for chart keys (segments, providers, P-categories)."""
    labeller = {"segment": segment_label, "provider": provider_label}.get(kind)
    if labeller is not None:
        return [labeller(value) for value in values]
    if kind == "priority_category":
        return [f"{value} {priority_label(value)}" if value else _("None") for value in values]
    return list(values)
