"""The cache codec (scanning.engine.codec): engine values to JSON-safe dicts and back."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from hunter.testing.dns_server import DnsServer
from scanning.engine.codec import CodecError, from_dict, to_dict
from scanning.engine.dns import DnsConfig, DnsFacts
from scanning.engine.providers import ProviderVerdict, dkim_selectors_for
from scanning.engine.registration import RegistrationConfig
from scanning.engine.scan import EngineConfig, scan_many_sync
from scanning.engine.scoring import ScoreResult


def scanned(dns_server: DnsServer, domain: str):
    config = EngineConfig(
        dns=DnsConfig(
            nameservers=(("127.0.0.1", dns_server.port),),
            timeout=0.5,
            dkim_selectors=dkim_selectors_for,
        ),
        registration=RegistrationConfig(enabled=False),
    )
    (result,) = scan_many_sync([domain], config)
    return result


@pytest.mark.parametrize("domain", ["contoso.com", "fabrikam.com", "northwind.com"])
def test_real_dns_facts_survive_a_trip_through_json(dns_server: DnsServer, domain: str) -> None:
    facts = scanned(dns_server, domain).dns
    assert facts is not None
    assert facts.status == "ok"
    stored = json.loads(json.dumps(to_dict(facts)))
    assert from_dict(DnsFacts, stored) == facts


def test_verdicts_and_scores_survive_a_trip_through_json(dns_server: DnsServer) -> None:
    result = scanned(dns_server, "contoso.com")
    assert result.verdict is not None
    assert result.score is not None
    verdict = json.loads(json.dumps(to_dict(result.verdict)))
    score = json.loads(json.dumps(to_dict(result.score)))
    assert from_dict(ProviderVerdict, verdict) == result.verdict
    assert from_dict(ScoreResult, score) == result.score


def test_a_dict_of_another_shape_is_refused_not_half_read() -> None:
    with pytest.raises(CodecError):
        from_dict(DnsFacts, {"domain": "example.com", "status": "sideways"})
    with pytest.raises(CodecError):
        from_dict(DnsFacts, {"status": "ok"})
    with pytest.raises(CodecError):
        from_dict(DnsFacts, ["not", "a", "dict"])


def test_dates_travel_as_iso_text() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Dated:
        when: dt.date | None

    assert to_dict(Dated(dt.date(2027, 1, 31))) == {"when": "2027-01-31"}
    assert from_dict(Dated, {"when": "2027-01-31"}) == Dated(dt.date(2027, 1, 31))


def test_a_list_of_texts_with_one_number_in_it_is_refused() -> None:
    verdict = ProviderVerdict("M365", None, None, None, False, None, None, None, (), ("mx",))
    stored = to_dict(verdict) | {"evidence": ["mx", 7]}
    assert from_dict(ProviderVerdict, to_dict(verdict)) == verdict

    with pytest.raises(CodecError):
        from_dict(ProviderVerdict, stored)


def test_a_stored_true_is_not_a_count_but_a_whole_number_is_a_float() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Measured:
        count: int
        ratio: float

    assert from_dict(Measured, {"count": 3, "ratio": 1}) == Measured(3, 1.0)
    with pytest.raises(CodecError):
        from_dict(Measured, {"count": True, "ratio": 1.0})
    with pytest.raises(CodecError):
        from_dict(Measured, {"count": 3, "ratio": False})


def test_score_breakdown_pairs_come_back_as_tuples() -> None:
    stored = {"score": 0, "segment": "Cold", "reason": "r", "breakdown": [["spf", 5], ["dkim", 3]]}
    stored |= {"hard_fail": False, "priority_score": 0, "technical_heat": "", "rules_hash": ""}
    stored |= {"commercial_segment": "", "commercial_heat": "", "priority_category": ""}
    stored |= {"priority_label": ""}

    assert from_dict(ScoreResult, stored).breakdown == (("spf", 5), ("dkim", 3))
