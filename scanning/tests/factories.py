"""factory_boy factories for scan jobs, chunks and outcomes."""

from __future__ import annotations

import factory

from leads.tests.factories import UserFactory
from scanning import models


class ScanJobFactory(factory.django.DjangoModelFactory[models.ScanJob]):
    """A running 100-domain scan, 40 processed so far (35 succeeded, 5 failed)."""

    class Meta:
        model = models.ScanJob

    kind = models.JobKind.SCAN
    status = models.JobStatus.RUNNING
    total = 100
    processed = 40
    succeeded = 35
    failed = 5
    created_by = factory.SubFactory(UserFactory)


class ScanChunkFactory(factory.django.DjangoModelFactory[models.ScanChunk]):
    class Meta:
        model = models.ScanChunk

    job = factory.SubFactory(ScanJobFactory)
    number = factory.Sequence(lambda n: n + 1)
    domains = factory.LazyFunction(lambda: ["a.com", "b.com"])


class ScanOutcomeFactory(factory.django.DjangoModelFactory[models.ScanOutcome]):
    """A committed outcome; pass status=OutcomeStatus.FAILED and error=... for a failure."""

    class Meta:
        model = models.ScanOutcome

    job = factory.SubFactory(ScanJobFactory)
    chunk_number = 1
    domain = factory.Sequence(lambda n: f"scanned{n}.com")
    status = models.OutcomeStatus.COMMITTED
    result = factory.LazyFunction(lambda: {"score": 85, "segment": "Migration"})
