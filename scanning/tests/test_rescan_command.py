"""`manage.py rescan`: rescan jobs from the command line (inline, queued, or followed)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from hunter.testing.dns_server import DnsServer
from leads.models import DomainSignals
from leads.tests.factories import CompanyFactory
from scanning.models import JobKind, JobStatus, ScanJob


@pytest.fixture
def scanning_setup(app_dns_server: DnsServer, settings) -> DnsServer:
    settings.HUNTER_REGISTRATION_ENABLED = False
    return app_dns_server


def rescan(*args: str) -> str:
    out = StringIO()
    call_command("rescan", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_sync_rescans_the_named_domains_here_and_reports_the_finished_job(
    scanning_setup: DnsServer,
) -> None:
    output = rescan("--sync", "contoso.com", "https://fabrikam.com/")

    job = ScanJob.objects.get()
    assert (job.kind, job.status, job.succeeded) == (JobKind.RESCAN, JobStatus.COMPLETED, 2)
    assert str(job.public_id) in output
    assert "completed: 2/2 (100%), 2 succeeded, 0 failed" in output
    stored = DomainSignals.objects.filter(company__domain__in=["contoso.com", "fabrikam.com"])
    assert stored.count() == 2


@pytest.mark.django_db(transaction=True)
def test_all_rescans_every_scanned_company(scanning_setup: DnsServer) -> None:
    rescan("--sync", "contoso.com", "adatum.com")

    rescan("--all", "--sync")

    latest = ScanJob.objects.order_by("-id").first()
    assert latest is not None
    assert (latest.total, latest.status) == (2, JobStatus.COMPLETED)


@pytest.mark.django_db(transaction=True)
def test_all_includes_imported_companies_never_scanned(scanning_setup: DnsServer) -> None:
    rescan("--sync", "contoso.com")
    CompanyFactory.create(domain="adatum.com")  # imported, never scanned

    rescan("--all", "--sync")

    scanned = DomainSignals.objects.values_list("company__domain", flat=True)
    assert sorted(scanned) == ["adatum.com", "contoso.com"]


@pytest.mark.django_db
def test_no_wait_queues_the_job_and_returns_its_id() -> None:
    output = rescan("--no-wait", "contoso.com")

    job = ScanJob.objects.get()
    assert job.status == JobStatus.PENDING
    assert output.strip() == f"rescan job {job.public_id}: 1 domains"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "DOMAIN arguments or --all"),
        (("--all", "contoso.com"), "DOMAIN arguments or --all"),
        (("--all",), "there is no company yet"),
        (("not a domain",), "No valid domains"),
    ],
)
def test_usage_errors_exit_with_status_two_and_create_no_job(args, message) -> None:
    with translation.override("en"), pytest.raises(CommandError, match=message) as raised:
        rescan(*args)
    assert raised.value.returncode == 2
    assert not ScanJob.objects.exists()
