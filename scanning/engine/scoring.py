"""Lead scoring: points, segment, 1-7 priority and the CSP P-model.

Every number and threshold comes from ``data/rules.json`` (see ``scanning.engine.rules``);
this module only interprets them. ``score_lead`` is the entry point and returns the score
together with its breakdown and the hash of the rules that produced it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from scanning.engine.rules import HardFailRule, Rules, load_rules

__all__ = [
    "Rules",
    "ScoreInput",
    "ScoreResult",
    "calculate_priority_score",
    "calculate_score",
    "check_hard_fail",
    "commercial_heat",
    "commercial_segment",
    "determine_segment",
    "invalid_input_result",
    "load_rules",
    "priority_category",
    "score_breakdown",
    "score_lead",
    "technical_heat",
]

Breakdown = tuple[tuple[str, int], ...]

# "include:" as an SPF term, with or without a qualifier, not inside another word.
_SPF_INCLUDE = re.compile(r"(?:^|\s)[+\-~?]?include:", re.IGNORECASE)


@dataclass(frozen=True)
class ScoreInput:
    """The signals a score is computed from (a scan's outcome for one domain)."""

    provider: str
    mx_hosts: tuple[str, ...] | None
    spf: bool
    dkim: bool
    dmarc_policy: str | None
    spf_record: str | None = None
    domain_exists: bool = True  # False for NXDOMAIN
    accepts_mail: bool = True  # False for a Null MX ("MX 0 .", RFC 7505)


@dataclass(frozen=True)
class ScoreResult:
    """A scored lead: points, segment and reason, the 1-7 priority and the P-model fields."""

    score: int
    segment: str
    reason: str
    breakdown: Breakdown
    hard_fail: bool
    priority_score: int
    technical_heat: str
    commercial_segment: str
    commercial_heat: str
    priority_category: str
    priority_label: str
    rules_hash: str


def _dmarc_key(dmarc_policy: str | None) -> str | None:
    policy = (dmarc_policy or "").strip().lower()
    return f"dmarc_{policy}" if policy in ("none", "quarantine", "reject") else None


def _spf_include_count(spf_record: str | None) -> int:
    return len(_SPF_INCLUDE.findall(spf_record or ""))


def _signal_keys(inp: ScoreInput) -> list[str]:
    keys = [key for key, present in (("spf", inp.spf), ("dkim", inp.dkim)) if present]
    dmarc = _dmarc_key(inp.dmarc_policy)
    return [*keys, dmarc] if dmarc else keys


def _risk_keys(inp: ScoreInput, rules: Rules) -> list[str]:
    checks = (
        ("no_spf", not inp.spf),
        ("no_dkim", not inp.dkim),
        ("dkim_none", not inp.dkim),  # charged on top of no_dkim: a domain without DKIM loses both
        ("dmarc_none", _dmarc_key(inp.dmarc_policy) == "dmarc_none"),
        ("hosting_mx_weak", inp.provider == "Hosting" and not inp.spf and not inp.dkim),
        (
            "spf_multiple_includes",
            _spf_include_count(inp.spf_record) > rules.spf_multiple_includes_threshold,
        ),
    )
    return [key for key, applies in checks if applies]


def score_breakdown(inp: ScoreInput, rules: Rules) -> Breakdown:
    """The point components as ``(key, points)`` pairs, before clamping.

    Keys: ``base_score``, ``provider.<name>``, ``signal.<key>``, ``risk.<key>``.
    """
    parts = [
        ("base_score", rules.base_score),
        (f"provider.{inp.provider}", rules.provider_points.get(inp.provider, 0)),
    ]
    parts += [(f"signal.{key}", rules.signal_points[key]) for key in _signal_keys(inp)]
    parts += [(f"risk.{key}", rules.risk_points[key]) for key in _risk_keys(inp, rules)]
    return tuple(parts)


def _clamp(total: int, rules: Rules) -> int:
    return max(rules.score_min, min(rules.score_max, total))


def calculate_score(inp: ScoreInput, rules: Rules) -> int:
    """Points for the signals, clamped once to [0, 100]; ignores the hard-fail."""
    return _clamp(sum(points for _, points in score_breakdown(inp, rules)), rules)


def check_hard_fail(
    mx_hosts: Sequence[str] | None,
    rules: Rules,
    *,
    domain_exists: bool = True,
    accepts_mail: bool = True,
) -> HardFailRule | None:
    """The hard-fail rule that applies, or None: NXDOMAIN, Null MX, no MX."""
    if not domain_exists:
        return rules.hard_fail_rules["domain_not_found"]
    if not accepts_mail:
        return rules.hard_fail_rules["null_mx"]
    if not mx_hosts:  # an omitted (None) list counts as missing, like an empty one
        return rules.hard_fail_rules["mx_missing"]
    return None


def determine_segment(score: int, provider: str, rules: Rules) -> tuple[str, str]:
    """``(segment, description)`` of the first matching segment rule, or the Skip fallback."""
    facts = {"score": score, "provider": provider}
    for rule in rules.segment_rules:
        if rule.condition.matches(facts):
            return rule.segment, rule.description
    return rules.segment_fallback.segment, rules.segment_fallback.description


def calculate_priority_score(segment: str | None, score: int | None, rules: Rules) -> int:
    """Legacy 1 (best) … 7 priority from segment and score; NULLs give 7."""
    if segment is None or score is None:
        return int(rules.priority_score.fallback)
    return int(rules.priority_score.decide({"segment": segment.strip(), "score": score}))


def technical_heat(segment: str, provider: str, rules: Rules) -> str:
    """Hot / Warm / Cold."""
    return str(rules.technical_heat.decide({"segment": segment, "provider": provider}))


def commercial_segment(segment: str, provider: str, score: int, rules: Rules) -> str:
    """GREENFIELD / COMPETITIVE / WEAK_PARTNER / RENEWAL / LOW_INTENT / NO_GO."""
    facts = {"segment": segment, "provider": provider, "score": score}
    return str(rules.commercial_segment.decide(facts))


def commercial_heat(segment_name: str, score: int, rules: Rules) -> str:
    """HIGH / MEDIUM / LOW from the commercial segment and score."""
    return str(rules.commercial_heat.decide({"commercial_segment": segment_name, "score": score}))


def priority_category(
    tech_heat: str, comm_heat: str, comm_segment: str, rules: Rules
) -> tuple[str, str]:
    """``(category, label)``, e.g. ``("P1", "High Potential Greenfield")``."""
    facts = {
        "technical_heat": tech_heat,
        "commercial_heat": comm_heat,
        "commercial_segment": comm_segment,
    }
    category = str(rules.priority_category.decide(facts))
    return category, rules.priority_labels.get(category, category)


def _result(
    score: int, segment: str, reason: str, breakdown: Breakdown, provider: str, rules: Rules
) -> ScoreResult:
    tech = technical_heat(segment, provider, rules)
    comm_segment = commercial_segment(segment, provider, score, rules)
    comm_heat = commercial_heat(comm_segment, score, rules)
    category, label = priority_category(tech, comm_heat, comm_segment, rules)
    return ScoreResult(
        score=score,
        segment=segment,
        reason=reason,
        breakdown=breakdown,
        hard_fail=any(key.startswith("hard_fail.") for key, _ in breakdown),
        priority_score=calculate_priority_score(segment, score, rules),
        technical_heat=tech,
        commercial_segment=comm_segment,
        commercial_heat=comm_heat,
        priority_category=category,
        priority_label=label,
        rules_hash=rules.hash,
    )


def _hard_fail_result(inp: ScoreInput, rule: HardFailRule, rules: Rules) -> ScoreResult:
    parts = score_breakdown(inp, rules)
    # The explicit entry cancels whatever the signals earned: the total reads 0 and the
    # breakdown still adds up.
    cancel = -max(sum(points for _, points in parts), 0)
    breakdown = (*parts, (f"hard_fail.{rule.key}", cancel))
    skip = rules.segment_fallback.segment
    return _result(0, skip, f"Hard-fail: {rule.description}", breakdown, inp.provider, rules)


def score_lead(inp: ScoreInput, rules: Rules | None = None) -> ScoreResult:
    """Score one lead: hard-fail first, then points, segment, priority and P-model.

    ``score == clamp(sum(points in breakdown))`` holds for every result.
    """
    rules = rules or load_rules()
    hard_fail = check_hard_fail(
        inp.mx_hosts, rules, domain_exists=inp.domain_exists, accepts_mail=inp.accepts_mail
    )
    if hard_fail is not None:
        return _hard_fail_result(inp, hard_fail, rules)
    breakdown = score_breakdown(inp, rules)
    score = _clamp(sum(points for _, points in breakdown), rules)
    segment, description = determine_segment(score, inp.provider, rules)
    reason = f"{description}. Score: {score}, Provider: {inp.provider}"
    return _result(score, segment, reason, breakdown, inp.provider, rules)


def invalid_input_result(reason: str, rules: Rules | None = None) -> ScoreResult:
    """The result for a value that is not a domain (always a hard fail), with the P6 P-model."""
    rules = rules or load_rules()
    text = f"{rules.invalid_input_prefix}: {reason}"
    skip = rules.segment_fallback.segment
    return _result(0, skip, text, (("invalid_input", 0),), "Unknown", rules)
