"""Shared rate limits (hunter.ratelimit): Redis token buckets, their fallback, form limits."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest
from django.urls import reverse

from hunter import ratelimit
from hunter.tests.conftest import PASSWORD

# --- the Redis bucket ---------------------------------------------------------------------------


def test_a_fresh_bucket_grants_its_burst_then_refuses_with_a_retry_time():
    decisions = [ratelimit.acquire("test:burst", rate=1.0, burst=3) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert 0 < decisions[-1].retry_after <= 1.0


def test_the_bucket_lives_in_redis_so_a_second_limiter_sees_the_tokens_taken():
    ratelimit.acquire("test:shared", rate=0.5, burst=2, tokens=2)
    other_process_limiter = ratelimit.DistributedLimiter(ratelimit.limiter().redis)
    assert other_process_limiter.acquire("test:shared", rate=0.5, burst=2).allowed is False


def test_more_tokens_than_the_burst_are_never_granted_at_once_but_wait_takes_them():
    assert ratelimit.acquire("test:big", rate=1000.0, burst=5, tokens=6).allowed is False
    ratelimit.wait("test:big", rate=1000.0, burst=5, tokens=12)  # in pieces of at most 5
    assert ratelimit.acquire("test:big", rate=1000.0, burst=5, tokens=5).allowed is False


def test_a_rate_that_never_refills_is_refused():
    with pytest.raises(ValueError, match="rate > 0"):
        ratelimit.acquire("test:bad", rate=0, burst=1)


def _draw(url: str, key: str, rate: float, seconds: float, ready, results) -> None:
    """Child process: once all are ready, take single tokens for ``seconds``; report them."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hunter.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.HUNTER_RATELIMIT_REDIS_URL = url
    ratelimit.reset()
    guarded = ratelimit.limiter().redis
    assert guarded is not None
    guarded.client.ping()  # connected before the clock starts
    ready.wait()
    first = time.time()
    deadline = first + seconds
    taken = 0
    while time.time() < deadline:
        if ratelimit.acquire(key, rate=rate, burst=5).allowed:
            taken += 1
        else:
            time.sleep(0.005)
    results.put((taken, first, time.time()))


def test_four_processes_drawing_from_one_limiter_take_no_more_than_the_rate_in_total(settings):
    rate, burst, seconds = 20.0, 5, 3.0
    key = f"test:four:{time.time_ns()}"
    context = multiprocessing.get_context("spawn")
    ready, results = context.Barrier(4), context.Queue()
    url = settings.HUNTER_RATELIMIT_REDIS_URL
    children = [
        context.Process(target=_draw, args=(url, key, rate, seconds, ready, results))
        for _ in range(4)
    ]
    for child in children:
        child.start()
    reports = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=30)
    window = max(end for _, _, end in reports) - min(first for _, first, _ in reports)
    total = sum(taken for taken, _, _ in reports)
    assert all(taken > 0 for taken, _, _ in reports)  # every process drew from the bucket
    assert total <= rate * window + burst


# --- the sign-in limit --------------------------------------------------------------------------


def test_twenty_wrong_passwords_in_a_row_are_cut_off_with_a_readable_429(client, sales_user):
    statuses = []
    for _ in range(20):
        response = client.post(
            reverse("login"), {"username": sales_user.username, "password": "wrong"}
        )
        statuses.append(response.status_code)
    assert statuses[0] == 200  # the form again, with its error
    assert 429 in statuses
    refused = client.post(reverse("login"), {"username": sales_user.username, "password": "x"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert (
        "Too many attempts" in refused.content.decode() or "Çok fazla" in refused.content.decode()
    )


def test_the_limit_page_speaks_the_users_language(client, sales_user, settings):
    settings.HUNTER_FORM_POST_RATE = "1/m"
    data = {"username": sales_user.username, "password": "wrong"}
    client.post(reverse("login"), data, HTTP_ACCEPT_LANGUAGE="tr")
    turkish = client.post(reverse("login"), data, HTTP_ACCEPT_LANGUAGE="tr")
    assert turkish.status_code == 429
    assert "Çok fazla deneme" in turkish.content.decode()


def test_a_correct_password_still_signs_in_below_the_limit(client, sales_user):
    response = client.post(
        reverse("login"), {"username": sales_user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
