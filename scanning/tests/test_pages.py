"""The scanning pages: upload with live progress, jobs, scan one domain now, rescan a lead."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from scanning.models import JobKind, JobStatus, ScanJob
from scanning.tests.factories import ScanJobFactory, ScanOutcomeFactory

pytestmark = pytest.mark.django_db

CSV = b"domain,company\nalpha.com,Alpha\nnot a domain,Broken\n,Empty\nbeta.com.tr,Beta\n"


def _upload(client, content: bytes, name: str = "leads.csv", **fields):
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(reverse("scanning:upload"), {"file": file, **fields})


def _body(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/app/upload/", "/app/jobs/", "/app/scan/", f"/app/jobs/{'0' * 8}-0000-0000-0000-{'0' * 12}/"],
)
def test_every_scanning_page_asks_an_anonymous_visitor_to_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_upload_form_labels_its_inputs_and_turns_auto_detection_on(sales_client):
    body = _body(sales_client.get(reverse("scanning:upload")))

    assert '<label for="id_file">' in body
    assert '<label for="id_auto_detect">' in body
    assert 'name="auto_detect" id="id_auto_detect" checked' in body


def test_an_upload_imports_the_rows_and_starts_one_scan_job_of_its_domains(
    sales_client, sales_user
):
    response = _upload(sales_client, CSV, auto_detect="on")

    scan_job = ScanJob.objects.get(kind=JobKind.SCAN)
    import_job = ScanJob.objects.get(kind=JobKind.IMPORT)
    assert response.status_code == 302
    assert response["Location"] == reverse("scanning:job", args=[scan_job.public_id])
    assert scan_job.total == 2
    assert scan_job.created_by == sales_user
    assert scan_job.options["import_job"] == str(import_job.public_id)


def test_the_job_page_polls_progress_and_lists_the_rows_that_were_not_imported(sales_client):
    response = _upload(sales_client, CSV, auto_detect="on")

    body = _body(sales_client.get(response["Location"]))

    assert 'hx-trigger="every 1s"' in body
    assert 'role="progressbar"' in body
    assert "Satır 3: “not a domain” geçerli bir alan adı değil" in body  # the header is row 1
    assert "Satır 4: alan adı yok" in body
    assert 'data-counter="remaining">2<' in body


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("leads.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "Eski Excel dosyaları"),
        ("leads.pdf", b"%PDF-1.4", "Bir .csv veya .xlsx dosyası yükleyin."),
        ("leads.csv", b"name,city\nAlpha,Ankara\n", "Dosyadaki hiçbir sütunda alan adı"),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_in_plain_language(
    sales_client, name, content, message
):
    response = _upload(sales_client, content, name=name)

    assert response.status_code == 200
    assert message in _body(response)
    assert not ScanJob.objects.filter(kind=JobKind.SCAN).exists()


def test_a_file_without_any_domain_leads_to_its_import_report_and_scans_nothing(sales_client):
    response = _upload(sales_client, b"domain\nnope\n")

    import_job = ScanJob.objects.get()
    assert import_job.kind == JobKind.IMPORT
    body = _body(sales_client.get(response["Location"]))
    assert "hiçbir şey taranmadı" in body


def test_the_progress_partial_shows_the_counters_and_stops_polling_when_done(sales_client):
    job = ScanJobFactory.create(total=20, processed=20, succeeded=19, failed=1)
    url = reverse("scanning:job-progress", args=[job.public_id])

    running = _body(sales_client.get(url))
    job.status = JobStatus.COMPLETED
    job.save()
    done = _body(sales_client.get(url))

    assert 'hx-trigger="every 1s"' in running
    assert "every 1s" not in done
    assert 'hx-select="#results"' in done  # the results list is loaded in place
    assert 'aria-valuenow="100"' in done
    assert 'data-counter="failed">1<' in done
    assert "Tamamlandı: 19 alan adı tarandı." in done


def test_the_job_page_lists_each_domain_with_a_link_to_its_lead(sales_client):
    job = ScanJobFactory.create(status=JobStatus.COMPLETED)
    ScanOutcomeFactory.create(
        job=job, domain="scanned.com", result={"score": 77, "segment": "Migration"}
    )

    body = _body(sales_client.get(reverse("scanning:job", args=[job.public_id])))

    assert reverse("leads:detail", args=["scanned.com"]) in body
    assert ">77<" in body


def test_an_unknown_job_is_not_found(sales_client):
    url = reverse("scanning:job", args=["12345678-1234-5678-1234-567812345678"])

    assert sales_client.get(url).status_code == 404


def test_jobs_page_lists_jobs_and_tells_a_new_user_how_to_start(sales_client):
    empty = _body(sales_client.get(reverse("scanning:jobs")))
    job = ScanJobFactory.create()
    listed = _body(sales_client.get(reverse("scanning:jobs")))

    assert "Henüz iş yok" in empty
    assert reverse("scanning:job", args=[job.public_id]) in listed


def test_scan_now_starts_a_job_and_shows_a_result_area_that_polls(sales_client):
    response = sales_client.post(reverse("scanning:scan"), {"domain": "https://www.gamma.com/x"})

    job = ScanJob.objects.get()
    assert response["Location"] == f"{reverse('scanning:scan')}?job={job.public_id}"
    assert job.total == 1
    page = _body(sales_client.get(response["Location"]))
    assert reverse("scanning:scan-result", args=[job.public_id]) in page


def test_scan_now_takes_an_e_mail_address_for_its_domain(sales_client):
    sales_client.post(reverse("scanning:scan"), {"domain": "info@gamma.com"})

    assert ScanJob.objects.get().chunks.get().domains == ["gamma.com"]


def test_scan_now_refuses_text_that_is_not_a_domain(sales_client):
    response = sales_client.post(reverse("scanning:scan"), {"domain": "not a domain"})

    assert response.status_code == 200
    assert "tarayabileceği bir alan adı değil" in _body(response)
    assert not ScanJob.objects.exists()


def test_the_scan_result_shows_score_segment_and_provider_when_the_job_is_done(sales_client):
    job = ScanJobFactory.create(status=JobStatus.COMPLETED, total=1, processed=1)
    ScanOutcomeFactory.create(
        job=job,
        domain="gamma.com",
        result={"score": 64, "segment": "Migration", "provider": "Google"},
    )

    body = _body(sales_client.get(reverse("scanning:scan-result", args=[job.public_id])))

    assert 'data-result="score">64<' in body
    assert "hx-trigger" not in body


def test_rescan_is_a_post_that_starts_a_rescan_job(sales_client):
    url = reverse("scanning:rescan", args=["delta.com"])

    assert sales_client.get(url).status_code == 405
    response = sales_client.post(url)

    job = ScanJob.objects.get()
    assert job.kind == JobKind.RESCAN
    assert response["Location"].endswith(f"?job={job.public_id}")


def test_uploads_past_the_form_post_rate_answer_429_and_import_nothing_more(sales_client, settings):
    settings.HUNTER_FORM_POST_RATE = "2/m"
    answers = [_upload(sales_client, b"domain\nrate-%d.com\n" % n).status_code for n in range(3)]

    assert answers == [302, 302, 429]
    assert ScanJob.objects.filter(kind=JobKind.IMPORT).count() == 2
