"""A salesperson's day in a real browser (Debian's Chromium, headless, driven by Playwright).

Against a live server, a real Celery worker and a loopback DNS server serving 20 synthetic
domains: sign in, upload a CSV, watch the progress bar reach 100 %, open the Migration list,
filter by provider, sort by score, open a lead and read its score breakdown, download the
Excel export and read it, switch the language. A screenshot of each page is written to
``var/test-artifacts/browser/`` (not committed) for a person to look at.

Playwright's own browser download is not used: the test drives ``/usr/bin/chromium``
(``make browser`` installs it with apt). The browser is started and stopped inside the test,
so Playwright's event loop never outlives it (Django refuses database calls while a loop runs).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from openpyxl import load_workbook
from pypdf import PdfReader

from bench.synthetic_dns import write_zones
from hunter.testing.dns_server import DnsServer
from hunter.testing.personas import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "browser"
DOMAINS = 20
JOB_TIMEOUT_MS = 180_000

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def synthetic_dns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """20 synthetic domains (M365, Google, hosting, self-hosted...) on a loopback DNS server."""
    domains = write_zones(tmp_path / "zones", DOMAINS)
    with DnsServer(tmp_path / "zones") as server:
        monkeypatch.setenv("HUNTER_DNS_NAMESERVERS", server.nameserver)
        monkeypatch.setenv("HUNTER_REGISTRATION_ENABLED", "false")
        yield domains


@pytest.fixture
def worker(synthetic_dns, settings, request):
    """A real worker, started after the environment points it at the loopback DNS server."""
    settings.HUNTER_SCAN_CHUNK_SIZE = 4  # several chunks, so progress moves in steps
    return request.getfixturevalue("celery_worker_process")


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's loop runs in this thread while the test reads the database to check.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(
            accept_downloads=True, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def upload_file(tmp_path: Path, domains: list[str]) -> Path:
    path = tmp_path / "leads.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Firma", "Web sitesi"])
        writer.writerows(
            [f"Firma {n}", f"https://www.{domain}/"] for n, domain in enumerate(domains)
        )
    return path


@pytest.mark.django_db(transaction=True)
def test_a_salesperson_uploads_domains_and_works_the_migration_list(
    live_server, sales_user, worker, synthetic_dns, browser_page, tmp_path
):
    page = browser_page
    base = live_server.url

    # Sign in, in Turkish (headless Chromium asks for English, so the user picks TR).
    page.goto(f"{base}/app/")
    page.get_by_role("button", name="TR", exact=True).click()
    page.wait_for_selector("html[lang=tr]")
    page.locator("#id_username").fill(sales_user.username)
    page.locator("#id_password").fill(PASSWORD)
    shot(page, "01-login")
    page.get_by_role("button", name="Giriş yap").click()
    page.wait_for_url(f"{base}/app/")
    shot(page, "02-dashboard-empty")

    # Upload 20 domains; the job page polls the job row until it says 100 %.
    page.get_by_role("link", name="Yükle", exact=True).click()
    page.get_by_label("CSV veya Excel dosyası").set_input_files(
        upload_file(tmp_path, synthetic_dns)
    )
    shot(page, "03-upload")
    page.get_by_role("button", name="Yükle ve tara").click()
    page.wait_for_url(re.compile(r"/app/jobs/[0-9a-f-]+/$"))
    page.wait_for_selector('#job-progress[data-status="completed"]', timeout=JOB_TIMEOUT_MS)
    assert page.locator("[data-percent]").inner_text() == "100%"
    assert page.get_by_role("progressbar").get_attribute("aria-valuenow") == "100"
    assert page.locator('[data-counter="processed"]').inner_text() == f"{DOMAINS} / {DOMAINS}"
    shot(page, "04-job-done")

    # The dashboard now counts the scanned leads and draws its charts.
    page.goto(f"{base}/app/")
    assert int(page.locator('[data-kpi="total_leads"]').inner_text()) >= DOMAINS - 2
    page.wait_for_selector("#chart-segment")
    shot(page, "05-dashboard")

    # Migration list, filtered by provider, sorted by score (highest first).
    page.get_by_role("link", name="Müşteri adayları", exact=True).click()
    page.get_by_role("link", name="Geçiş adayları").click()
    page.get_by_label("Sağlayıcı").select_option("Google")
    page.get_by_role("button", name="Filtrele").click()
    page.wait_for_url(re.compile(r"provider=Google"))
    page.locator('th a[data-sort="readiness_score"]').click()
    page.wait_for_url(re.compile(r"sort_by=readiness_score&sort_order=desc"))
    rows = page.locator("table.lead-table tbody tr")
    assert rows.count() > 0
    providers = rows.locator("td:nth-child(4)").all_inner_texts()
    assert set(providers) == {"Google Workspace"}
    scores = [int(text) for text in rows.locator("td:nth-child(6)").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    shown = rows.locator("td:nth-child(2)").all_inner_texts()
    shot(page, "06-migration-google-by-score")

    # The Excel export holds exactly the rows shown, in the same order.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel olarak indir").click()
    export = tmp_path / "export.xlsx"
    download_info.value.save_as(export)
    sheet = load_workbook(export).active
    exported = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert exported == shown

    # Open the top lead and read why it scored what it did.
    rows.first.locator("td:nth-child(2) a").click()
    page.wait_for_selector("#why")
    score = int(page.locator("[data-score]").get_attribute("data-score"))
    points = [int(text) for text in page.locator(".breakdown tbody td.num").all_inner_texts()]
    assert score == max(0, min(100, sum(points)))
    assert page.get_by_text("Posta sağlayıcı: Google Workspace").is_visible()
    shot(page, "07-lead-detail")

    # Its PDF account summary downloads and carries the lead's domain in Turkish labels.
    domain = page.locator("h1").inner_text()
    with page.expect_download() as pdf_info:
        page.get_by_role("link", name="PDF özetini indir").click()
    assert pdf_info.value.suggested_filename == f"{domain}_summary.pdf"
    pdf = tmp_path / "summary.pdf"
    pdf_info.value.save_as(pdf)
    text = "".join(page_.extract_text() for page_ in PdfReader(pdf).pages)
    assert domain in text

    # On a phone the same list stays readable (the table scrolls sideways inside its card).
    page.set_viewport_size({"width": 390, "height": 844})
    page.go_back()
    page.wait_for_selector("table.lead-table")
    shot(page, "09-migration-list-phone")
    page.go_forward()
    page.wait_for_selector("#why")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Switch to English: the same page, in English.
    page.get_by_role("button", name="EN", exact=True).click()
    page.wait_for_selector("html[lang=en]")
    assert page.get_by_role("heading", name="Why this score").is_visible()
    shot(page, "08-lead-detail-en")


@pytest.mark.django_db(transaction=True)
def test_scan_now_shows_the_result_when_the_worker_has_stored_it(
    live_server, sales_user, worker, synthetic_dns, browser_page
):
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(sales_user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/app/")

    page.goto(f"{live_server.url}/app/scan/")
    page.locator("#id_domain").fill(f"info@{synthetic_dns[1]}")  # an e-mail address will do
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/app/scan/\?job="))
    page.wait_for_selector('[data-result="score"]', timeout=JOB_TIMEOUT_MS)

    assert int(page.locator('[data-result="score"]').inner_text()) > 0
    assert page.locator('[data-result="provider"]').inner_text() == "Google Workspace"
    shot(page, "10-scan-now-result")
