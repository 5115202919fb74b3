"""The sales summary engine: deterministic Turkish sales guidance for one lead.

Pure functions over a frozen ``SalesInput`` (no Django, no database, no clock: the caller
passes ``now``), so every rule branch is testable with plain values. ``sales_summary`` is the
entry point; its ``as_dict()`` is the frozen v1 response of the sales-summary endpoint, whose
field names and types may not change (new fields must be optional).

A readiness score of 0 is a real score and earns 0 points; only a missing score (None) falls
back to the default points.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

PARTNER_NAME = "Gibibyte"

MIGRATION = "Migration"
EXISTING = "Existing"
COLD = "Cold"
SKIP = "Skip"

LARGE = "large"
MEDIUM = "medium"
SMALL = "small"

CLOUD_PROVIDERS = frozenset({"Google", "Yandex", "Zoho"})
SHARED_HOSTING_PROVIDERS = frozenset({"Hosting", "Local"})
MIGRATION_PROVIDERS = CLOUD_PROVIDERS | SHARED_HOSTING_PROVIDERS
TRANSACTIONAL_PROVIDERS = frozenset({"Amazon", "SendGrid", "Mailgun"})
ENFORCING_DMARC = frozenset({"quarantine", "reject"})

PROVIDER_LABELS = {
    "M365": "Microsoft 365",
    "Google": "Google Workspace",
    "Yandex": "Yandex Mail",
    "Zoho": "Zoho Mail",
    "Amazon": "Amazon SES",
    "SendGrid": "SendGrid",
    "Mailgun": "Mailgun",
    "Hosting": "paylaşımlı hosting",
    "Local": "yerel e-posta sunucusu",
}

# Opportunity potential: points per factor, and the weight each factor is reported with.
SEGMENT_POINTS = {MIGRATION: 40, EXISTING: 30, COLD: 15}
OTHER_SEGMENT_POINTS = 5
MISSING_SCORE_POINTS = 10
PRIORITY_POINTS = {1: 20, 2: 18, 3: 15, 4: 12, 5: 8, 6: 5, 7: 2}
MISSING_PRIORITY_POINTS = 5
TENANT_POINTS = {LARGE: 10, MEDIUM: 7, SMALL: 5}
UNKNOWN_TENANT_POINTS = 3
FACTOR_WEIGHTS = {
    "segment": 0.4,
    "readiness_score": 0.3,
    "priority_score": 0.2,
    "tenant_size": 0.1,
    "contact_quality": 0.05,
}
MAX_OPPORTUNITY = 100


@dataclass(frozen=True)
class SalesInput:
    """Everything the sales summary reads about one lead; None means "not known"."""

    domain: str
    provider: str | None = None
    tenant_size: str | None = None
    local_provider: str | None = None
    mx_root: str | None = None
    spf: bool | None = None
    dkim: bool | None = None
    dmarc_policy: str | None = None
    dmarc_coverage: int | None = None
    expires_at: date | None = None
    segment: str | None = None
    readiness_score: int | None = None
    priority_score: int | None = None
    contact_quality_score: int | None = None
    # Posture records ("valid", "malformed", "absent"; None = unknown) and DNSSEC: facts a
    # seller can cite; no rule reads them yet.
    mta_sts: str | None = None
    tls_rpt: str | None = None
    bimi: str | None = None
    dnssec: bool | None = None
    # IP context (country, proxy) and the infrastructure summary come from IP enrichment.
    ip_country: str | None = None
    is_proxy: bool = False
    proxy_type: str | None = None
    infrastructure_summary: str | None = None


@dataclass(frozen=True)
class OfferTier:
    """The Microsoft 365 package and prices to offer (euros; None = not part of the offer)."""

    tier: str
    license: str
    price_per_user_per_month: int
    migration_fee: int
    defender_price_per_user_per_month: int | None
    consulting_fee: int | None
    recommendation: str


@dataclass(frozen=True)
class SecurityReasoning:
    """How exposed the domain's mail is, and how a seller should use it."""

    risk_level: str
    summary: str
    details: tuple[str, ...]
    sales_angle: str
    recommended_action: str


@dataclass(frozen=True)
class OpportunityFactor:
    """One term of the opportunity potential: its input, points and an explanation."""

    name: str
    weight: float
    raw: str | int | None
    score: int
    comment: str


@dataclass(frozen=True)
class OpportunityRationale:
    """The opportunity potential with every factor that built it."""

    total: int
    factors: tuple[OpportunityFactor, ...]
    tuning_factor: float
    summary: str


@dataclass(frozen=True)
class NextStep:
    """What the seller does next, by when, and why."""

    action: str
    timeline: str
    priority: str
    message: str
    internal_note: str


@dataclass(frozen=True)
class SalesMetadata:
    """The inputs the summary was built from, echoed for the reader."""

    domain: str
    provider: str | None
    segment: str | None
    readiness_score: int | None
    priority_score: int | None
    tenant_size: str | None
    local_provider: str | None
    generated_at: datetime


@dataclass(frozen=True)
class SalesSummary:
    """The whole sales summary of one lead (the v1 response once turned into a dict)."""

    domain: str
    one_liner: str
    segment_explanation: str
    provider_reasoning: str
    security_reasoning: SecurityReasoning | None
    call_script: tuple[str, ...]
    discovery_questions: tuple[str, ...]
    offer_tier: OfferTier
    opportunity_potential: int
    opportunity_rationale: OpportunityRationale
    urgency: str
    next_step: NextStep
    metadata: SalesMetadata

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict: nested objects as dicts, sequences as lists, times in ISO 8601."""
        result: dict[str, Any] = _jsonable(self)
        return result


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# -- small helpers ---------------------------------------------------------------------------


def _at_least(score: int | None, bound: int) -> bool:
    """True when a score is known and reaches ``bound`` (a missing score reaches nothing)."""
    return score is not None and score >= bound


def _provider_label(inp: SalesInput) -> str:
    if inp.provider == "Local" and inp.local_provider:
        return f"yerel sağlayıcı {inp.local_provider}"
    return PROVIDER_LABELS.get(inp.provider or "", "bilinmeyen bir sağlayıcı")


def _country_note(inp: SalesInput) -> str:
    return f" ({inp.ip_country} merkezli)" if inp.ip_country else ""


def _proxy_warning(inp: SalesInput) -> str:
    kind = f" ({inp.proxy_type})" if inp.proxy_type else ""
    return (
        f"Dikkat: altyapı bir proxy/VPN arkasında görünüyor{kind}; "
        "konum bilgisi yanıltıcı olabilir."
    )


def days_until(expires_at: date | None, today: date) -> int | None:
    """Days from ``today`` to the registration expiry (negative once expired); None if unknown."""
    return None if expires_at is None else (expires_at - today).days


# -- offer tier ------------------------------------------------------------------------------

_TIERS = {
    LARGE: OfferTier(
        tier="Enterprise",
        license="Enterprise",
        price_per_user_per_month=20,
        migration_fee=10_000,
        defender_price_per_user_per_month=10,
        consulting_fee=50_000,
        recommendation=(
            "Büyük ölçek için Microsoft 365 Enterprise, Defender ve danışmanlık paketi önerilir."
        ),
    ),
    MEDIUM: OfferTier(
        tier="Business Standard",
        license="Business Standard",
        price_per_user_per_month=10,
        migration_fee=2_000,
        defender_price_per_user_per_month=5,
        consulting_fee=None,
        recommendation="Microsoft 365 Business Standard ve Defender eklentisi önerilir.",
    ),
    SMALL: OfferTier(
        tier="Business Basic",
        license="Business Basic",
        price_per_user_per_month=5,
        migration_fee=500,
        defender_price_per_user_per_month=None,
        consulting_fee=None,
        recommendation=(
            "Microsoft 365 Business Basic ile başlayıp ihtiyaç büyüdükçe yükseltme önerilir."
        ),
    ),
}


def recommend_offer_tier(
    tenant_size: str | None, segment: str | None, readiness_score: int | None
) -> OfferTier:
    """The package to offer: by tenant size, or for an unknown size by segment and score.

    large → Enterprise, medium → Business Standard, small → Business Basic; an unknown size
    gets Business Standard when it is a Migration lead scoring 70 or more, else Business Basic.
    """
    if tenant_size in _TIERS:
        return _TIERS[tenant_size]
    if segment == MIGRATION and _at_least(readiness_score, 70):
        return _TIERS[MEDIUM]
    return _TIERS[SMALL]


# -- opportunity potential -------------------------------------------------------------------


def _segment_factor(segment: str | None) -> OpportunityFactor:
    points = SEGMENT_POINTS.get(segment or "", OTHER_SEGMENT_POINTS)
    comment = f"{segment} segmenti: {points} puan" if segment else f"Segment yok: {points} puan"
    return OpportunityFactor("segment", FACTOR_WEIGHTS["segment"], segment, points, comment)


def _readiness_factor(score: int | None) -> OpportunityFactor:
    weight = FACTOR_WEIGHTS["readiness_score"]
    if score is None:
        comment = f"Hazırlık puanı yok: varsayılan {MISSING_SCORE_POINTS} puan"
        return OpportunityFactor("readiness_score", weight, None, MISSING_SCORE_POINTS, comment)
    points = score * 3 // 10  # int(score x 0.3) without float rounding (70 x 0.3 = 20.99…)
    comment = f"Hazırlık puanı {score} x 0,3 = {points} puan"
    return OpportunityFactor("readiness_score", weight, score, points, comment)


def _priority_factor(priority: int | None) -> OpportunityFactor:
    points = PRIORITY_POINTS.get(priority or 0, MISSING_PRIORITY_POINTS)
    if priority in PRIORITY_POINTS:
        comment = f"Öncelik {priority}: {points} puan"
    else:
        comment = f"Öncelik bilinmiyor: varsayılan {points} puan"
    return OpportunityFactor(
        "priority_score", FACTOR_WEIGHTS["priority_score"], priority, points, comment
    )


def _tenant_factor(tenant_size: str | None) -> OpportunityFactor:
    points = TENANT_POINTS.get(tenant_size or "", UNKNOWN_TENANT_POINTS)
    size = tenant_size if tenant_size in TENANT_POINTS else None
    comment = f"Ölçek {size}: {points} puan" if size else f"Ölçek bilinmiyor: {points} puan"
    return OpportunityFactor("tenant_size", FACTOR_WEIGHTS["tenant_size"], size, points, comment)


def _contact_factor(quality: int) -> OpportunityFactor:
    points = quality * 5 // 100  # int(quality x 0.05)
    comment = f"İletişim kalitesi {quality} x 0,05 = {points} puan"
    return OpportunityFactor(
        "contact_quality", FACTOR_WEIGHTS["contact_quality"], quality, points, comment
    )


def _opportunity_factors(
    segment: str | None,
    readiness_score: int | None,
    priority_score: int | None,
    tenant_size: str | None,
    contact_quality_score: int | None,
) -> tuple[OpportunityFactor, ...]:
    factors = [
        _segment_factor(segment),
        _readiness_factor(readiness_score),
        _priority_factor(priority_score),
        _tenant_factor(tenant_size),
    ]
    if contact_quality_score is not None:
        factors.append(_contact_factor(contact_quality_score))
    return tuple(factors)


def _tuned_total(factors: tuple[OpportunityFactor, ...], tuning_factor: float) -> int:
    return min(MAX_OPPORTUNITY, int(sum(f.score for f in factors) * tuning_factor))


def calculate_opportunity_potential(
    segment: str | None,
    readiness_score: int | None,
    priority_score: int | None,
    tenant_size: str | None,
    contact_quality_score: int | None = None,
    tuning_factor: float = 1.0,
) -> int:
    """0-100: segment + readiness + priority + tenant size + contact quality points, tuned.

    Points: segment (Migration 40, Existing 30, Cold 15, other 5); readiness int(score x 0.3),
    or 10 when missing; priority (1→20 … 7→2, missing 5); tenant (large 10, medium 7, small 5,
    unknown 3); int(contact quality x 0.05) when known. The sum is multiplied by the tuning
    factor, truncated and capped at 100.
    """
    factors = _opportunity_factors(
        segment, readiness_score, priority_score, tenant_size, contact_quality_score
    )
    return _tuned_total(factors, tuning_factor)


def opportunity_rationale(
    segment: str | None,
    readiness_score: int | None,
    priority_score: int | None,
    tenant_size: str | None,
    contact_quality_score: int | None = None,
    tuning_factor: float = 1.0,
) -> OpportunityRationale:
    """The opportunity potential with its factors; ``total`` equals the potential."""
    factors = _opportunity_factors(
        segment, readiness_score, priority_score, tenant_size, contact_quality_score
    )
    total = _tuned_total(factors, tuning_factor)
    summary = f"Fırsat potansiyeli {total}/100 (ayar katsayısı {tuning_factor:g})."
    return OpportunityRationale(total, factors, tuning_factor, summary)


# -- urgency and next step -------------------------------------------------------------------


def calculate_urgency(
    segment: str | None,
    priority_score: int | None,
    readiness_score: int | None,
    expires_in_days: int | None,
) -> str:
    """``high``, ``medium`` or ``low``.

    high: priority 1, a Migration lead scoring 80+, or registration expiring within 60 days
    (or already expired). medium: priority 2, Migration 50+, Existing 70+, or expiry in 60-89
    days. Otherwise low.
    """
    if (
        priority_score == 1
        or (segment == MIGRATION and _at_least(readiness_score, 80))
        or (expires_in_days is not None and expires_in_days < 60)
    ):
        return "high"
    if (
        priority_score == 2
        or (segment == MIGRATION and _at_least(readiness_score, 50))
        or (segment == EXISTING and _at_least(readiness_score, 70))
        or (expires_in_days is not None and expires_in_days < 90)
    ):
        return "medium"
    return "low"


_CALL_SOON_MESSAGES = {
    MIGRATION: "Geçiş fırsatını konuşmak için 3 gün içinde arayın.",
    EXISTING: "Güvenlik ve Defender fırsatı için 3 gün içinde arayın.",
    COLD: "İhtiyaçları anlamak için 3 gün içinde kısa bir keşif araması yapın.",
}


def next_step(segment: str | None, opportunity: int, urgency: str) -> NextStep:
    """The seller's next action from segment, opportunity potential and urgency.

    Skip or opportunity < 20 → wait a month; 80+ on a Migration/Existing lead with high or
    medium urgency → call within 24 hours; 50-79 → call within 3 days; < 50 → e-mail within a
    week; any other case (80+ otherwise) follows urgency, then segment.
    """
    note = f"Fırsat potansiyeli {opportunity}, aciliyet {urgency}, segment {segment or 'yok'}."
    if segment == SKIP or opportunity < 20:
        return NextStep(
            "wait",
            "1_ay",
            "low",
            "Şimdilik beklemede tutun; bir ay sonra yeniden değerlendirin.",
            note,
        )
    if opportunity >= 80 and segment in (MIGRATION, EXISTING) and urgency in ("high", "medium"):
        return NextStep("call", "24_saat", "high", "Yüksek fırsat: 24 saat içinde arayın.", note)
    if opportunity >= 50 and opportunity < 80:
        message = _CALL_SOON_MESSAGES.get(segment or "", "3 gün içinde arayıp ilgiyi yoklayın.")
        return NextStep("call", "3_gün", "medium", message, note)
    if opportunity < 50:
        return NextStep(
            "email", "1_hafta", "low", "Bir hafta içinde tanıtım e-postası gönderin.", note
        )
    return _high_opportunity_fallback(segment, urgency, note)


def _high_opportunity_fallback(segment: str | None, urgency: str, note: str) -> NextStep:
    if urgency == "high":
        return NextStep("call", "24_saat", "high", "Aciliyet yüksek: 24 saat içinde arayın.", note)
    if urgency == "medium":
        return NextStep("call", "3_gün", "medium", "3 gün içinde arayın.", note)
    if segment == MIGRATION:
        return NextStep(
            "call", "1_hafta", "medium", "Bir hafta içinde geçiş görüşmesi için arayın.", note
        )
    if segment == EXISTING:
        return NextStep(
            "email",
            "1_hafta",
            "medium",
            "Bir hafta içinde Defender teklifini e-postayla iletin.",
            note,
        )
    return NextStep(
        "wait", "1_ay", "low", "Şimdilik beklemede tutun; bir ay sonra yeniden değerlendirin.", note
    )


# -- security --------------------------------------------------------------------------------

_RISK_DETAILS = {
    "spf_missing": "SPF kaydı yok: alan adı adına e-posta gönderen sunucular doğrulanmıyor.",
    "dkim_missing": "DKIM imzası bulunamadı: e-postaların bütünlüğü doğrulanamıyor.",
    "dmarc_missing": "DMARC politikası yok ya da 'none': sahte e-postalar engellenmiyor.",
}
_SALES_ANGLES = {
    "high": "Güvenlik açığını görüşmenin merkezine koyun: Microsoft 365 ve Defender ile "
    "kimlik avı ve sahte e-posta riskini kapatma önerisi sunun.",
    "medium": "Eksik ayarı hızlı bir kazanım olarak önerin; kurulum desteğiyle güven kazanın.",
    "low": "E-posta güvenliği iyi durumda; verimlilik ve iş birliği özelliklerine odaklanın.",
}
_RECOMMENDED_ACTIONS = {
    "high": "SPF, DKIM ve DMARC (quarantine veya reject) kayıtlarını öncelikle yapılandırın.",
    "medium": "Eksik kaydı tamamlayın ve DMARC politikasını %100 kapsamla uygulayın.",
    "low": "Mevcut yapılandırmayı koruyun ve DMARC raporlarını düzenli izleyin.",
}


def security_risk_factors(inp: SalesInput) -> tuple[str, ...]:
    """The mail-security gaps of a lead, in a fixed order.

    spf_missing and dkim_missing only when the record is known to be absent; dmarc_missing
    when DMARC is absent or ``none``; dmarc_partial when an enforcing policy covers < 100 %.
    """
    factors = []
    if inp.spf is False:
        factors.append("spf_missing")
    if inp.dkim is False:
        factors.append("dkim_missing")
    policy = (inp.dmarc_policy or "").lower()
    if policy in ("", "none"):
        factors.append("dmarc_missing")
    elif policy in ENFORCING_DMARC and inp.dmarc_coverage is not None and inp.dmarc_coverage < 100:
        factors.append("dmarc_partial")
    return tuple(factors)


def security_risk_level(factors: tuple[str, ...]) -> str:
    """high for two or more gaps or a missing DMARC; medium for any single other gap; else low."""
    if len(factors) >= 2 or factors == ("dmarc_missing",):
        return "high"
    return "medium" if factors else "low"


def _security_summary(inp: SalesInput, factors: tuple[str, ...]) -> str:
    if "dmarc_missing" in factors:
        if inp.spf is True and inp.dkim is True:
            return (
                "SPF ve DKIM mevcut, ancak DMARC politikası yok ya da etkisiz; "
                "alan adı taklide açık."
            )
        if inp.spf is True or inp.dkim is True:
            present = "SPF" if inp.spf is True else "DKIM"
            return f"Yalnızca {present} mevcut ve DMARC yok; e-posta kimlik doğrulaması eksik."
        return "SPF, DKIM ve DMARC eksik; alan adı sahte e-posta ve kimlik avına karşı korumasız."
    if not factors:
        return "SPF, DKIM ve DMARC yapılandırılmış; e-posta güvenliği iyi durumda."
    return "E-posta güvenliği kısmen yapılandırılmış: " + ", ".join(factors) + "."


def _risk_detail(inp: SalesInput, factor: str) -> str:
    if factor == "dmarc_partial":
        return f"DMARC politikası e-postaların yalnızca %{inp.dmarc_coverage} kadarına uygulanıyor."
    return _RISK_DETAILS[factor]


def security_reasoning(inp: SalesInput) -> SecurityReasoning | None:
    """Risk level, summary, details and sales angle of the lead's mail security.

    None when SPF, DKIM and DMARC are all unknown (the lead was never resolved).
    """
    if inp.spf is None and inp.dkim is None and inp.dmarc_policy is None:
        return None
    factors = security_risk_factors(inp)
    level = security_risk_level(factors)
    return SecurityReasoning(
        risk_level=level,
        summary=_security_summary(inp, factors),
        details=tuple(_risk_detail(inp, factor) for factor in factors),
        sales_angle=_SALES_ANGLES[level],
        recommended_action=_RECOMMENDED_ACTIONS[level],
    )


# -- one-liner, segment and provider reasoning -----------------------------------------------

_SCALE_OPPORTUNITIES = {
    LARGE: "büyük ölçekli kurum, Microsoft 365 Enterprise geçişi için yüksek potansiyel.",
    MEDIUM: "orta ölçekli şirket, Microsoft 365 Business Standard geçişi için güçlü fırsat.",
    SMALL: "küçük ölçekli şirket, Microsoft 365 Business Basic ile hızlı geçiş fırsatı.",
}


def _migration_one_liner(inp: SalesInput) -> str:
    score = inp.readiness_score
    if _at_least(score, 80):
        opportunity = _SCALE_OPPORTUNITIES.get(
            inp.tenant_size or "", "Microsoft 365 geçişine hazır, hemen harekete geçin."
        )
        text = f"{inp.domain}{_country_note(inp)}: {opportunity}"
        return f"{text} {_proxy_warning(inp)}" if inp.is_proxy else text
    if _at_least(score, 50):
        return (
            f"{inp.domain}: {_provider_label(inp)} kullanan geçiş adayı; "
            "ihtiyaçları netleştirmek için takip görüşmesi yapın."
        )
    return (
        f"{inp.domain}: {_provider_label(inp)} kullanan geçiş adayı, hazırlık düşük; "
        "düzenli takipte tutun."
    )


def _existing_one_liner(inp: SalesInput) -> str:
    if _at_least(inp.readiness_score, 70):
        return (
            f"{inp.domain}: Microsoft 365 kullanıyor ve altyapısı güçlü; "
            "Defender ile güvenlik upsell fırsatı."
        )
    if _at_least(inp.readiness_score, 50):
        return (
            f"{inp.domain}: Microsoft 365 kullanıyor ama e-posta güvenliğinde eksikler var; "
            "güvenlik odaklı takip edin."
        )
    return f"{inp.domain}: Microsoft 365 kullanıcısı, hazırlık düşük; uzun vadeli ilişki kurun."


def one_liner(inp: SalesInput) -> str:
    """One Turkish sentence that tells a seller what this lead is worth, by segment and score."""
    if inp.segment == MIGRATION:
        return _migration_one_liner(inp)
    if inp.segment == EXISTING:
        return _existing_one_liner(inp)
    if inp.segment == COLD:
        if _at_least(inp.readiness_score, 40):
            return f"{inp.domain}: şimdilik soğuk aday; uzun vadeli takip listesine alın."
        return f"{inp.domain}: düşük öncelikli soğuk aday."
    return f"{inp.domain}: şu an için takip edilmesi önerilmez."


def _score_band(score: int | None) -> str:
    if score is None:
        return "hazırlık puanı yok"
    if score >= 80:
        return f"hazırlık puanı {score} (yüksek)"
    if score >= 60:
        return f"hazırlık puanı {score} (iyi)"
    if score >= 40:
        return f"hazırlık puanı {score} (orta)"
    return f"hazırlık puanı {score} (düşük)"


def _signals_present(inp: SalesInput) -> str:
    present = [name for name, value in (("SPF", inp.spf), ("DKIM", inp.dkim)) if value]
    if inp.dmarc_policy:
        present.append(f"DMARC ({inp.dmarc_policy})")
    if present:
        return "Mevcut güvenlik kayıtları: " + ", ".join(present) + "."
    if inp.spf is None and inp.dkim is None:
        return "Güvenlik kayıtları bilinmiyor."
    return "Hiçbir e-posta güvenlik kaydı bulunamadı."


def _segment_reason(inp: SalesInput) -> str:
    label, band = _provider_label(inp), _score_band(inp.readiness_score)
    if inp.segment == EXISTING:
        if inp.provider == "M365":
            return f"Microsoft 365 kullandığı için Existing segmentinde; {band}."
        return f"Existing segmentinde ama sağlayıcı {label}: veri tutarsızlığı, yeniden tarayın."
    if inp.segment == MIGRATION:
        if inp.provider in MIGRATION_PROVIDERS:
            return f"{label} kullanıyor ve {band}; Microsoft 365'e geçiş adayı (Migration)."
        return f"Migration segmentinde ama sağlayıcı {label}: veri tutarsızlığı, yeniden tarayın."
    if inp.segment == COLD:
        return f"{label} kullanıyor, {band}; geçiş için henüz olgun değil (Cold)."
    if inp.segment == SKIP:
        return f"{label} kullanıyor, {band}; satış için uygun görülmedi (Skip)."
    return "Henüz puanlanmadı: taranmış bir sonuç yok."


def segment_explanation(inp: SalesInput) -> str:
    """Why the lead is in its segment: provider, score band, security records present.

    Flags inconsistent data, such as an Existing lead whose provider is not Microsoft 365.
    """
    return f"{_segment_reason(inp)} {_signals_present(inp)}"


def _mx_shows(inp: SalesInput) -> str:
    evidence = f" ({inp.mx_root})" if inp.mx_root else ""
    return f"MX kayıtları {_provider_label(inp)} kullanıldığını gösteriyor{evidence}"


def _m365_reasoning(inp: SalesInput) -> str:
    text = f"MX kayıtları Microsoft 365'i gösteriyor{f' ({inp.mx_root})' if inp.mx_root else ''}."
    if inp.spf:
        text += " SPF kaydı mevcut."
    if inp.infrastructure_summary:
        text += f" Altyapı: {inp.infrastructure_summary}."
    return text


def provider_reasoning(inp: SalesInput) -> str:
    """Why the provider was assigned, and the sales angle that follows from it."""
    if inp.provider == "M365":
        return _m365_reasoning(inp)
    if inp.provider in CLOUD_PROVIDERS:
        return (
            f"{_mx_shows(inp)}. Zaten bulut e-postası kullandığı için Microsoft 365'e geçiş "
            "teknik olarak kolay; rekabetçi geçiş açısıyla yaklaşın."
        )
    if inp.provider in SHARED_HOSTING_PROVIDERS:
        return (
            f"{_mx_shows(inp)}. Paylaşımlı sunucular güvenlik, yedekleme ve erişilebilirlik "
            "riski taşır; kurumsal e-postaya geçiş argümanı güçlü."
        )
    if inp.provider in TRANSACTIONAL_PROVIDERS:
        return (
            f"{_mx_shows(inp)}: bu bir toplu gönderim servisi, asıl posta kutusu "
            "sağlayıcısı belirsiz."
        )
    return (
        "Sağlayıcı belirsiz: MX kayıtları bilinen bir sağlayıcıyla eşleşmiyor "
        "ya da henüz tarama yok."
    )


# -- call script and discovery questions -----------------------------------------------------

_VALUE_PROPOSITIONS = {
    LARGE: "Kurumunuzun ölçeğinde Microsoft 365 Enterprise; gelişmiş güvenlik, uyumluluk "
    "ve merkezi yönetim sağlar.",
    MEDIUM: "Microsoft 365 Business Standard ile e-posta, Teams ve Office uygulamaları "
    "tek pakette.",
    SMALL: "Microsoft 365 Business Basic ile uygun maliyetli, profesyonel e-posta ve Teams.",
}
_DEFAULT_VALUE_PROPOSITION = "Microsoft 365 ile e-posta, dosya paylaşımı ve Teams tek çatı altında."


OPENING = f"Merhaba, ben {PARTNER_NAME} ekibinden arıyorum."


def _security_bullet(security: SecurityReasoning | None) -> list[str]:
    """One bullet about the security gaps, only when there are any worth raising."""
    if security is None or security.risk_level == "low":
        return []
    return [f"Yaptığımız kontrolde şunu gördük: {security.summary}"]


def _cold_script(inp: SalesInput, security: SecurityReasoning | None) -> list[str]:
    if security is not None and security.risk_level == "high":
        middle = (
            "E-posta güvenliğinizde sahte e-posta riskini artıran eksikler gördük; "
            "bunları birlikte kapatabiliriz."
        )
    else:
        middle = (
            "E-posta altyapınızı Microsoft 365 ile daha verimli ve güvenli hale getirecek "
            "iyileştirme fırsatları gördük."
        )
    return [
        f"{OPENING} {inp.domain} için e-posta altyapınızla ilgili kısa bir değerlendirme yaptık.",
        middle,
        "Uygun olursanız 10-15 dakikalık kısa bir görüşmede bulgularımızı paylaşmak isteriz.",
    ]


def _migration_script(inp: SalesInput, security: SecurityReasoning | None) -> list[str]:
    bullets = [
        f"{OPENING} {inp.domain}{_country_note(inp)} e-postalarının şu anda "
        f"{_provider_label(inp)} üzerinde çalıştığını görüyoruz."
    ]
    if inp.is_proxy:
        bullets.append(_proxy_warning(inp))
    bullets += _security_bullet(security)
    bullets.append(_VALUE_PROPOSITIONS.get(inp.tenant_size or "", _DEFAULT_VALUE_PROPOSITION))
    if _at_least(inp.readiness_score, 70):
        bullets.append(
            "Bu hafta 15 dakikalık bir görüşmede size özel geçiş planını paylaşabilir miyiz?"
        )
    else:
        bullets.append(
            "Size kısa bir bilgi notu gönderelim; uygun olduğunuzda geçiş seçeneklerini konuşalım."
        )
    return bullets


def _existing_script(inp: SalesInput, security: SecurityReasoning | None) -> list[str]:
    return [
        f"{OPENING} {inp.domain} olarak Microsoft 365 kullandığınızı görüyoruz.",
        *_security_bullet(security),
        "Microsoft Defender for Office 365 ile kimlik avı ve zararlı eklere karşı "
        "ek koruma sağlayabiliriz.",
        "Lisanslarınızı ve güvenlik ayarlarınızı birlikte gözden geçirmek için "
        "kısa bir görüşme planlayalım mı?",
    ]


def call_script(inp: SalesInput, security: SecurityReasoning | None) -> tuple[str, ...]:
    """The bullets of a first call, by segment, naming the partner.

    Cold: opening, a risk- or improvement-oriented middle (by security risk), a 10-15 minute
    meeting ask. Migration: opening with provider and country, proxy warning, security gaps,
    a value proposition by tenant size, and a 15-minute call ask from score 70. Existing:
    opening, security gaps, Defender pitch, a review meeting ask. Others: two generic bullets.
    """
    if inp.segment == COLD:
        return tuple(_cold_script(inp, security))
    if inp.segment == MIGRATION:
        return tuple(_migration_script(inp, security))
    if inp.segment == EXISTING:
        return tuple(_existing_script(inp, security))
    return (
        f"{OPENING} E-posta ve iş birliği altyapınız hakkında kısa bilgi almak istiyoruz.",
        "İhtiyaç duyarsanız Microsoft 365 çözümlerimizi paylaşmaktan memnuniyet duyarız.",
    )


_SEGMENT_QUESTIONS = {
    MIGRATION: (
        "Mevcut e-posta çözümünüzden memnun musunuz, en çok hangi sorunları yaşıyorsunuz?",
        "Kaç kullanıcınız var ve e-posta dışında hangi araçları (dosya paylaşımı, toplantı) "
        "kullanıyorsunuz?",
        "Daha önce Microsoft 365'e geçişi değerlendirdiniz mi?",
    ),
    EXISTING: (
        "Microsoft 365 lisanslarınızı kim yönetiyor, bir iş ortağınız var mı?",
        "Hangi Microsoft 365 planlarını kullanıyorsunuz?",
        "Kimlik avı ya da hesap ele geçirme olayı yaşadınız mı?",
    ),
}
_OTHER_SEGMENT_QUESTIONS = (
    "E-posta altyapınızı şu anda kim yönetiyor?",
    "Önümüzdeki dönemde BT altyapınızda bir değişiklik planlıyor musunuz?",
)
_LOCAL_PROVIDER_QUESTION = "Yerel sağlayıcınızla sözleşmeniz ne zaman bitiyor?"
_TENANT_QUESTIONS = {
    LARGE: (
        "Birden fazla lokasyon veya şirket için merkezi yönetim ihtiyacınız var mı?",
        "KVKK/GDPR uyumluluğu ve veri saklama gereksinimleriniz neler?",
    ),
    MEDIUM: ("Ekibiniz büyüdükçe lisans ve cihaz yönetimini nasıl yapıyorsunuz?",),
    SMALL: ("Kurulum ve destek için dışarıdan hizmet alıyor musunuz?",),
}
_DECISION_QUESTIONS = (
    "Bu yıl için BT bütçeniz belirlendi mi?",
    "Satın alma kararını kimler veriyor?",
    "Böyle bir değişikliği hangi zaman diliminde planlıyorsunuz?",
)


def discovery_questions(inp: SalesInput) -> tuple[str, ...]:
    """Questions for the first call: by segment, by tenant size, then budget/decision/timing.

    Migration 3 (+1 for a local provider), Existing 3, others 2; large tenants 2 (one on
    KVKK/GDPR), medium 1, small 1; always the same 3 budget, decision and timeline questions.
    """
    questions = list(_SEGMENT_QUESTIONS.get(inp.segment or "", _OTHER_SEGMENT_QUESTIONS))
    if inp.segment == MIGRATION and inp.provider == "Local":
        questions.append(_LOCAL_PROVIDER_QUESTION)
    questions += _TENANT_QUESTIONS.get(inp.tenant_size or "", ())
    return (*questions, *_DECISION_QUESTIONS)


# -- the whole summary -----------------------------------------------------------------------


def summary_metadata(inp: SalesInput, generated_at: datetime) -> SalesMetadata:
    """The inputs the summary was built from, and when."""
    return SalesMetadata(
        domain=inp.domain,
        provider=inp.provider,
        segment=inp.segment,
        readiness_score=inp.readiness_score,
        priority_score=inp.priority_score,
        tenant_size=inp.tenant_size,
        local_provider=inp.local_provider,
        generated_at=generated_at,
    )


def sales_summary(inp: SalesInput, *, tuning_factor: float, now: datetime) -> SalesSummary:
    """The full sales summary of one lead; ``now`` dates it and measures the expiry distance."""
    security = security_reasoning(inp)
    opportunity_args: Mapping[str, Any] = {
        "segment": inp.segment,
        "readiness_score": inp.readiness_score,
        "priority_score": inp.priority_score,
        "tenant_size": inp.tenant_size,
        "contact_quality_score": inp.contact_quality_score,
        "tuning_factor": tuning_factor,
    }
    rationale = opportunity_rationale(**opportunity_args)
    expires_in = days_until(inp.expires_at, now.date())
    urgency = calculate_urgency(inp.segment, inp.priority_score, inp.readiness_score, expires_in)
    return SalesSummary(
        domain=inp.domain,
        one_liner=one_liner(inp),
        segment_explanation=segment_explanation(inp),
        provider_reasoning=provider_reasoning(inp),
        security_reasoning=security,
        call_script=call_script(inp, security),
        discovery_questions=discovery_questions(inp),
        offer_tier=recommend_offer_tier(inp.tenant_size, inp.segment, inp.readiness_score),
        opportunity_potential=rationale.total,
        opportunity_rationale=rationale,
        urgency=urgency,
        next_step=next_step(inp.segment, rationale.total, urgency),
        metadata=summary_metadata(inp, now),
    )
