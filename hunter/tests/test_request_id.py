"""Every request gets an id: a sane inbound X-Request-ID is kept, anything else replaced."""

import re

import pytest
import structlog
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import path

from hunter.middleware import RequestIdMiddleware, request_id_from

pytestmark = pytest.mark.django_db
UUID_HEX = re.compile(r"[0-9a-f]{32}")


def test_a_sane_inbound_request_id_is_returned_unchanged(client):
    response = client.get("/healthz/live", headers={"X-Request-ID": "lb-42.a_B-9"})

    assert response["X-Request-ID"] == "lb-42.a_B-9"


def test_a_request_without_an_id_gets_a_fresh_uuid_each_time(client):
    first = client.get("/healthz/live")["X-Request-ID"]
    second = client.get("/healthz/live")["X-Request-ID"]

    assert UUID_HEX.fullmatch(first)
    assert UUID_HEX.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    "inbound",
    ["a" * 65, "has space", 'x" injected="1', "line\nbreak", "ünicode", "semi;colon", ""],
)
def test_an_unsafe_inbound_request_id_is_replaced(inbound):
    assert UUID_HEX.fullmatch(request_id_from(inbound))


def test_a_64_character_request_id_is_still_accepted():
    assert request_id_from("a" * 64) == "a" * 64


def test_pages_that_do_not_exist_carry_the_request_id_too(client):
    response = client.get("/no-such-page/", headers={"X-Request-ID": "trace-404"})

    assert response.status_code == 404
    assert response["X-Request-ID"] == "trace-404"


def test_the_request_id_is_on_every_log_line_of_the_request_and_cleared_afterwards(
    client, json_log
):
    structlog.contextvars.bind_contextvars(left_over="from an earlier request")

    client.get("/healthz/live", headers={"X-Request-ID": "trace-1"})
    client.get("/accounts/login/", headers={"X-Request-ID": "trace-2"})

    (line,) = json_log.events("request_finished")
    assert line["request_id"] == "trace-2"
    assert "left_over" not in line
    assert structlog.contextvars.get_contextvars() == {}


def crashing_view(request):
    raise RuntimeError("boom")


# This module doubles as the URLconf of the crash test below (pytest.mark.urls).
urlpatterns = [path("crash/", crashing_view)]


@pytest.mark.urls(__name__)
def test_a_crashing_view_logs_its_error_with_the_request_id_then_clears_the_context(
    client, json_log
):
    client.raise_request_exception = False

    response = client.get("/crash/", headers={"X-Request-ID": "crash-1"})

    assert response.status_code == 500
    assert response["X-Request-ID"] == "crash-1"
    (error,) = [row for row in json_log.lines() if row.get("logger") == "django.request"]
    assert error["request_id"] == "crash-1"
    assert "RuntimeError: boom" in error["exception"]
    assert structlog.contextvars.get_contextvars() == {}


def test_the_request_id_is_bound_while_the_view_runs_and_dropped_when_the_response_closes():
    seen = {}

    def view(request):
        seen.update(structlog.contextvars.get_contextvars())
        return HttpResponse("ok")

    response = RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="rid-7"))
    assert structlog.contextvars.get_contextvars() == {"request_id": "rid-7"}
    response.close()

    assert seen == {"request_id": "rid-7"}
    assert response["X-Request-ID"] == "rid-7"
    assert structlog.contextvars.get_contextvars() == {}


def test_request_finished_logs_method_path_status_and_duration_but_no_query_string(
    sales_client, json_log
):
    sales_client.get(
        "/app/leads/?search=ayse%40example.com&company=Acme", headers={"X-Request-ID": "r-1"}
    )

    (line,) = json_log.events("request_finished")
    assert line["method"] == "GET"
    assert line["path"] == "/app/leads/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["request_id"] == "r-1"
    assert "example.com" not in json_log.text
    assert "Acme" not in json_log.text
