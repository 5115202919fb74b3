"""Production logs are JSON lines with the request id; personal data is masked."""

import hashlib
import io
import json
import logging

import pytest
import structlog
from celery.app.log import Logging as CeleryLogging
from django.core.exceptions import PermissionDenied

from hunter.celery import app as celery_app
from hunter.logging import configure_logging, escape_controls, mask_pii

pytestmark = pytest.mark.django_db


def test_a_production_log_line_is_json_carrying_the_request_id(client, json_log):
    client.get("/accounts/login/", headers={"X-Request-ID": "req-json-1"})

    raw_line = json_log.text.splitlines()[-1]
    line = json.loads(raw_line)
    assert line["event"] == "request_finished"
    assert line["request_id"] == "req-json-1"
    assert line["level"] == "info"
    assert line["logger"] == "hunter.request"
    assert line["timestamp"].endswith("Z")


def test_mask_pii_is_the_first_eight_hex_characters_of_sha256():
    expected = hashlib.sha256(b"ayse@example.com").hexdigest()[:8]

    assert mask_pii("ayse@example.com") == expected
    assert mask_pii("ayse@example.com") != mask_pii("mehmet@example.com")


@pytest.mark.parametrize("empty", [None, ""])
def test_mask_pii_of_nothing_is_an_empty_string(empty):
    assert mask_pii(empty) == ""


def test_an_email_passed_through_mask_pii_never_reaches_the_log(json_log):
    structlog.get_logger("hunter.alerts").info("alert_sent", recipient=mask_pii("ayse@example.com"))

    (line,) = json_log.events("alert_sent")
    assert line["recipient"] == mask_pii("ayse@example.com")
    assert "ayse@example.com" not in json_log.text


def test_an_email_logged_under_a_pii_key_by_mistake_is_masked_anyway(json_log):
    structlog.get_logger("hunter.leads").info(
        "lead_created", domain="acme.com.tr", email="ayse@acme.com.tr", company_name="Acme A.Ş."
    )

    (line,) = json_log.events("lead_created")
    assert line["domain"] == "acme.com.tr"
    assert line["email"] == mask_pii("ayse@acme.com.tr")
    assert line["company_name"] == mask_pii("Acme A.Ş.")
    assert "Acme A.Ş." not in json_log.text


def test_django_stdlib_log_records_go_through_the_same_json_formatter(client, json_log):
    client.get("/no-such-page/", headers={"X-Request-ID": "req-404"})

    (line,) = [row for row in json_log.lines() if row.get("logger") == "django.request"]
    assert line["event"] == "Not Found: /no-such-page/"
    assert line["level"] == "warning"
    assert line["request_id"] == "req-404"


def test_gunicorn_handlers_are_replaced_by_ours(json_log):
    gunicorn_error = logging.getLogger("gunicorn.error")
    own_stream = io.StringIO()
    gunicorn_error.addHandler(logging.StreamHandler(own_stream))
    gunicorn_error.propagate = False
    configure_logging(json_output=True, level="INFO", stream=json_log.stream)

    gunicorn_error.info("Booting worker with pid: %s", 4242)

    (line,) = json_log.events("Booting worker with pid: 4242")
    assert line["logger"] == "gunicorn.error"
    assert own_stream.getvalue() == ""


def test_celery_worker_start_keeps_our_log_handler(json_log):
    ours = logging.getLogger().handlers[:]

    CeleryLogging(celery_app).setup_logging_subsystem(loglevel="DEBUG")

    assert logging.getLogger().handlers == ours


def test_development_logs_are_readable_text_not_json():
    stream = io.StringIO()
    configure_logging(json_output=False, level="INFO", stream=stream)
    try:
        structlog.get_logger("hunter.dev").info("scan_started", domain="acme.com.tr")
    finally:
        configure_logging(json_output=False, level="INFO")

    text = stream.getvalue()
    assert "scan_started" in text
    assert "domain" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.splitlines()[0])


def test_http_client_libraries_log_no_request_urls_at_info() -> None:
    # Webhook and Slack URLs carry secret tokens; httpx would log each one at INFO.
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("httpcore").getEffectiveLevel() >= logging.WARNING


def test_a_404_is_one_log_line_without_a_traceback(client, json_log):
    client.get("/no-such-page/")

    (line,) = [row for row in json_log.lines() if row.get("logger") == "django.request"]
    assert line["event"] == "Not Found: /no-such-page/"
    assert "exception" not in line
    assert "Traceback" not in json_log.text


def test_a_403_is_one_log_line_without_a_traceback(json_log):
    try:
        raise PermissionDenied
    except PermissionDenied as error:
        logging.getLogger("django.request").warning(
            "Forbidden (Permission denied): %s", "/x", extra={"status_code": 403}, exc_info=error
        )

    (line,) = json_log.events("Forbidden (Permission denied): /x")
    assert "exception" not in line


def test_a_server_error_keeps_its_traceback(json_log):
    try:
        raise RuntimeError("boom")
    except RuntimeError as error:
        logging.getLogger("django.request").error(
            "Internal Server Error: %s", "/x", extra={"status_code": 500}, exc_info=error
        )

    (line,) = json_log.events("Internal Server Error: /x")
    assert "RuntimeError: boom" in line["exception"]


def test_the_development_console_shows_a_404_as_one_line(client):
    stream = io.StringIO()
    configure_logging(json_output=False, level="INFO", stream=stream)
    try:
        client.get("/no-such-page/")
    finally:
        configure_logging(json_output=False, level="INFO")

    lines = [line for line in stream.getvalue().splitlines() if "Not Found" in line]
    assert len(lines) == 1
    assert "Traceback" not in stream.getvalue()


def test_control_characters_in_a_request_path_are_escaped_in_the_access_log(client, json_log):
    client.get("/no-such-page/%0D%0Aforged%1b[31m")

    (line,) = json_log.events("request_finished")
    assert line["path"] == "/no-such-page/\\x0d\\x0aforged\\x1b[31m"


def test_escaping_keeps_turkish_letters_and_escapes_only_controls():
    assert escape_controls("/şirket/\x00\x7f\x85") == "/şirket/\\x00\\x7f\\x85"
