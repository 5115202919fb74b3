"""factory_boy factories for the lead models: each builds a valid, realistic row."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from leads import choices, models
from leads.priority import priority_score


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"sales{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@partner.example")


class CompanyFactory(factory.django.DjangoModelFactory[models.Company]):
    class Meta:
        model = models.Company

    domain = factory.Sequence(lambda n: f"company{n}.com.tr")
    canonical_name = factory.Sequence(lambda n: f"Company {n} A.Ş.")
    provider = choices.Provider.GOOGLE
    country = "TR"


class RawLeadFactory(factory.django.DjangoModelFactory[models.RawLead]):
    class Meta:
        model = models.RawLead

    source = choices.RawLeadSource.CSV
    domain = factory.Sequence(lambda n: f"ingested{n}.com")
    company_name = factory.Sequence(lambda n: f"Ingested {n}")
    payload = factory.LazyAttribute(lambda lead: {"original_domain": lead.domain, "row_index": 1})


class DomainSignalsFactory(factory.django.DjangoModelFactory[models.DomainSignals]):
    """A resolved Google Workspace domain with SPF, DKIM and an enforcing DMARC policy."""

    class Meta:
        model = models.DomainSignals

    company = factory.SubFactory(CompanyFactory)
    status = choices.DnsStatus.OK
    registration_status = choices.RegistrationStatus.OK
    provider = choices.Provider.GOOGLE
    mx_root = "google.com"
    mx_records = factory.LazyFunction(lambda: [{"preference": 1, "host": "smtp.google.com"}])
    spf = True
    spf_record = "v=spf1 include:_spf.google.com ~all"
    spf_dns_lookups = 4
    dkim = True
    dkim_selectors = factory.LazyFunction(lambda: ["google"])
    dkim_selectors_checked = factory.LazyFunction(lambda: ["google", "default"])
    dmarc_policy = choices.DmarcPolicy.QUARANTINE
    dmarc_coverage = 100
    dmarc_record = "v=DMARC1; p=quarantine"
    registrar = "Example Registrar"
    nameservers = factory.LazyFunction(lambda: ["ns1.example.net", "ns2.example.net"])
    evidence = factory.LazyFunction(lambda: ["MX smtp.google.com is Google"])


class LeadScoreFactory(factory.django.DjangoModelFactory[models.LeadScore]):
    """A Google Migration lead at 85 points: P2 Competitive Takeover, priority 1."""

    class Meta:
        model = models.LeadScore

    company = factory.SubFactory(CompanyFactory)
    score = 85
    segment = choices.Segment.MIGRATION
    reason = "Migration candidate. Score: 85, Provider: Google"
    reasons = factory.LazyFunction(lambda: [{"rule": "provider:Google", "points": 50}])
    technical_heat = choices.TechnicalHeat.WARM
    commercial_segment = choices.CommercialSegment.COMPETITIVE
    commercial_heat = choices.CommercialHeat.HIGH
    priority_category = choices.PriorityCategory.P2
    priority_label = "Competitive Takeover"
    # What a scan stores: the rules' priority of segment and score, NULL when unscored.
    priority_score = factory.LazyAttribute(
        lambda row: None if row.score is None else priority_score(row.segment, row.score)
    )
    rules_hash = "0" * 64


class ProviderChangeHistoryFactory(factory.django.DjangoModelFactory[models.ProviderChangeHistory]):
    class Meta:
        model = models.ProviderChangeHistory

    company = factory.SubFactory(CompanyFactory)
    previous_provider = choices.Provider.LOCAL
    new_provider = choices.Provider.M365


class SignalChangeHistoryFactory(factory.django.DjangoModelFactory[models.SignalChangeHistory]):
    class Meta:
        model = models.SignalChangeHistory

    company = factory.SubFactory(CompanyFactory)
    signal_type = choices.SignalType.SPF
    old_value = "False"
    new_value = "True"


class ScoreChangeHistoryFactory(factory.django.DjangoModelFactory[models.ScoreChangeHistory]):
    class Meta:
        model = models.ScoreChangeHistory

    company = factory.SubFactory(CompanyFactory)
    old_score = 45
    new_score = 85
    old_segment = choices.Segment.COLD
    new_segment = choices.Segment.MIGRATION


class AlertFactory(factory.django.DjangoModelFactory[models.Alert]):
    class Meta:
        model = models.Alert

    company = factory.SubFactory(CompanyFactory)
    alert_type = choices.AlertType.MX_CHANGED
    alert_message = "MX root changed from yandex.net to google.com"


class AlertConfigFactory(factory.django.DjangoModelFactory[models.AlertConfig]):
    class Meta:
        model = models.AlertConfig

    user = factory.SubFactory(UserFactory)
    alert_type = choices.AlertType.MX_CHANGED
    notification_method = choices.NotificationMethod.EMAIL
    email_address = factory.LazyAttribute(lambda config: config.user.email)


class TagFactory(factory.django.DjangoModelFactory[models.Tag]):
    class Meta:
        model = models.Tag

    company = factory.SubFactory(CompanyFactory)
    tag = factory.Sequence(lambda n: f"tag-{n}")


class NoteFactory(factory.django.DjangoModelFactory[models.Note]):
    class Meta:
        model = models.Note

    company = factory.SubFactory(CompanyFactory)
    note = "Called the IT manager; renewal is in March."


class FavoriteFactory(factory.django.DjangoModelFactory[models.Favorite]):
    class Meta:
        model = models.Favorite

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
