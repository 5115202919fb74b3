"""Loading the scoring rules (``data/rules.json``) and fingerprinting the data files.

The rules are data so that a sales-driven change (new points, a new segment threshold) is a
reviewed JSON edit, not a code change. Every score records ``Rules.hash`` so a stored result
can always be traced back to the exact rules and provider tables that produced it. A broken
rules file is a deployment error: loading raises ``ValueError`` so the process refuses to start.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
RULES_PATH = DATA_DIR / "rules.json"
PROVIDERS_PATH = DATA_DIR / "providers.json"

# Keys a rule's "when" block may use; anything else is a typo that would silently never match.
CONDITION_KEYS = frozenset(
    {"provider", "segment", "commercial_segment", "technical_heat", "commercial_heat"}
)
SCORE_BOUND_KEYS = frozenset({"min_score", "max_score"})


def read_json_document(path: str | os.PathLike[str]) -> Any:
    """Parse a JSON data file; a missing or malformed file raises ``ValueError``."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read data file {path}: {exc}") from exc


def content_hash(*documents: Any) -> str:
    """First 16 hex digits of the SHA-256 of the documents' canonical JSON.

    Canonical (sorted keys, no whitespace) so reformatting a file does not change the hash.
    """
    digest = hashlib.sha256()
    for document in documents:
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest.update(canonical.encode("utf-8"))
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Condition:
    """An ANDed set of tests on named facts: allowed values per key plus a score band."""

    allowed: Mapping[str, frozenset[str]]
    min_score: int | None = None
    max_score: int | None = None

    def matches(self, facts: Mapping[str, Any]) -> bool:
        """True when every test holds; a missing fact fails any test made on it."""
        if not self._score_in_band(facts.get("score")):
            return False
        return all(facts.get(key) in values for key, values in self.allowed.items())

    def _score_in_band(self, score: Any) -> bool:
        if self.min_score is None and self.max_score is None:
            return True
        if not isinstance(score, int):
            return False
        above_min = self.min_score is None or score >= self.min_score
        return above_min and (self.max_score is None or score <= self.max_score)


@dataclass(frozen=True)
class TableRule:
    """One row of a first-match-wins table: when ``condition`` holds the answer is ``then``."""

    condition: Condition
    then: Any


@dataclass(frozen=True)
class DecisionTable:
    """A first-match-wins table with a fallback answer."""

    rules: tuple[TableRule, ...]
    fallback: Any

    def decide(self, facts: Mapping[str, Any]) -> Any:
        """The answer of the first matching row, or the fallback."""
        for rule in self.rules:
            if rule.condition.matches(facts):
                return rule.then
        return self.fallback


@dataclass(frozen=True)
class SegmentRule:
    """A segment rule (first match wins); ``description`` is the Turkish text of the reason."""

    segment: str
    description: str
    condition: Condition


@dataclass(frozen=True)
class HardFailRule:
    """A rule that forces score 0 / Skip before any points are counted."""

    key: str
    description: str


@dataclass(frozen=True)
class Rules:
    """The scoring rules as immutable values, plus the hash of the data they came from."""

    base_score: int
    score_min: int
    score_max: int
    provider_points: Mapping[str, int]
    signal_points: Mapping[str, int]
    risk_points: Mapping[str, int]
    spf_multiple_includes_threshold: int
    hard_fail_rules: Mapping[str, HardFailRule]
    invalid_input_prefix: str
    segment_rules: tuple[SegmentRule, ...]
    segment_fallback: SegmentRule
    priority_score: DecisionTable
    technical_heat: DecisionTable
    commercial_segment: DecisionTable
    commercial_heat: DecisionTable
    priority_category: DecisionTable
    priority_labels: Mapping[str, str]
    hash: str

    def lookup(self, dotted_key: str) -> Any:
        """A raw value by dotted path such as ``provider_points.Hosting`` (for reports/tests)."""
        group, _, name = dotted_key.partition(".")
        value = getattr(self, group)
        return value[name] if name else value


def _condition(when: Mapping[str, Any]) -> Condition:
    unknown = set(when) - CONDITION_KEYS - SCORE_BOUND_KEYS
    if unknown:
        raise ValueError(f"unknown rule condition keys: {sorted(unknown)}")
    allowed = {key: frozenset(_as_list(when[key])) for key in when if key in CONDITION_KEYS}
    return Condition(MappingProxyType(allowed), when.get("min_score"), when.get("max_score"))


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _table(raw: Mapping[str, Any]) -> DecisionTable:
    rules = tuple(TableRule(_condition(row["when"]), row["then"]) for row in raw["rules"])
    return DecisionTable(rules, raw["fallback"])


def _segment_rule(raw: Mapping[str, Any]) -> SegmentRule:
    return SegmentRule(raw["segment"], raw["description"], _condition(raw.get("when", {})))


def _frozen_ints(raw: Mapping[str, Any]) -> Mapping[str, int]:
    return MappingProxyType({key: int(value) for key, value in raw.items()})


def rules_from_documents(raw: Mapping[str, Any], providers: Any) -> Rules:
    """Build ``Rules`` from parsed rules.json (and providers.json, which is hashed with it)."""
    try:
        p_model = raw["p_model"]
        hard_fails = {
            row["key"]: HardFailRule(row["key"], row["description"])
            for row in raw["hard_fail_rules"]
        }
        return Rules(
            base_score=int(raw["base_score"]),
            score_min=int(raw["score_bounds"]["min"]),
            score_max=int(raw["score_bounds"]["max"]),
            provider_points=_frozen_ints(raw["provider_points"]),
            signal_points=_frozen_ints(raw["signal_points"]),
            risk_points=_frozen_ints(raw["risk_points"]),
            spf_multiple_includes_threshold=int(raw["spf_multiple_includes_threshold"]),
            hard_fail_rules=MappingProxyType(hard_fails),
            invalid_input_prefix=str(raw["invalid_input_prefix"]),
            segment_rules=tuple(_segment_rule(row) for row in raw["segment_rules"]),
            segment_fallback=_segment_rule(raw["segment_fallback"]),
            priority_score=_table(raw["priority_score"]),
            technical_heat=_table(p_model["technical_heat"]),
            commercial_segment=_table(p_model["commercial_segment"]),
            commercial_heat=_table(p_model["commercial_heat"]),
            priority_category=_table(p_model["priority_category"]),
            priority_labels=MappingProxyType(dict(p_model["priority_labels"])),
            hash=content_hash(raw, providers),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed rules document: {exc!r}") from exc


@lru_cache(maxsize=16)
def _load_rules_cached(rules_path: Path, providers_path: Path) -> Rules:
    return rules_from_documents(read_json_document(rules_path), read_json_document(providers_path))


@lru_cache(maxsize=16)
def load_rules(
    path: str | os.PathLike[str] = RULES_PATH,
    providers_path: str | os.PathLike[str] = PROVIDERS_PATH,
) -> Rules:
    """Load (once per path pair per process) the scoring rules; ``Rules.hash`` fingerprints
    rules.json together with providers.json, since both decide a lead's score. Cached on the
    arguments as well, so a hot caller never pays for resolving the paths again."""
    return _load_rules_cached(Path(path).resolve(), Path(providers_path).resolve())
