"""`manage.py ensure_admin` makes sure someone can sign in, without ever clobbering a password."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db
User = get_user_model()
STRONG_PASSWORD = "correct-horse-battery-staple-42"


def run_ensure_admin() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("ensure_admin", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def no_admin_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("HUNTER_ADMIN_USER", raising=False)
    monkeypatch.delenv("HUNTER_ADMIN_PASSWORD", raising=False)
    return monkeypatch


def printed_password(output: str) -> str:
    match = re.search(r"password: (\S+)", output)
    assert match, output
    return match.group(1)


def test_first_run_without_env_creates_admin_and_prints_a_generated_password_once(
    no_admin_env: pytest.MonkeyPatch,
) -> None:
    output, _ = run_ensure_admin()

    admin = User.objects.get(username="admin")
    password = printed_password(output)
    assert "username: admin" in output
    assert len(password) >= 20
    assert admin.check_password(password)
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.is_active


def test_generated_passwords_differ_between_installations(
    no_admin_env: pytest.MonkeyPatch,
) -> None:
    first = printed_password(run_ensure_admin()[0])
    User.objects.all().delete()

    second = printed_password(run_ensure_admin()[0])

    assert first != second


def test_second_run_prints_nothing_and_keeps_the_password(
    no_admin_env: pytest.MonkeyPatch,
) -> None:
    password = printed_password(run_ensure_admin()[0])
    no_admin_env.setenv("HUNTER_ADMIN_USER", "admin")

    output, errors = run_ensure_admin()

    assert output == ""
    assert errors == ""
    assert User.objects.get(username="admin").check_password(password)
    assert User.objects.count() == 1


def test_existing_superuser_of_another_name_means_no_default_admin_is_added(
    no_admin_env: pytest.MonkeyPatch,
) -> None:
    User.objects.create_superuser(username="alice", email="", password=STRONG_PASSWORD)

    output, _ = run_ensure_admin()

    assert output == ""
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]


def test_configured_user_and_password_create_that_admin_without_printing_the_password(
    no_admin_env: pytest.MonkeyPatch,
) -> None:
    no_admin_env.setenv("HUNTER_ADMIN_USER", "operator")
    no_admin_env.setenv("HUNTER_ADMIN_PASSWORD", STRONG_PASSWORD)

    output, errors = run_ensure_admin()

    assert STRONG_PASSWORD not in output + errors
    assert "password:" not in output
    assert User.objects.get(username="operator").check_password(STRONG_PASSWORD)


def test_configured_password_resets_an_existing_admins_password(
    no_admin_env: pytest.MonkeyPatch,
) -> None:
    User.objects.create_superuser(username="admin", email="", password="old-password-0000-xyz")
    no_admin_env.setenv("HUNTER_ADMIN_PASSWORD", STRONG_PASSWORD)

    run_ensure_admin()

    assert User.objects.get(username="admin").check_password(STRONG_PASSWORD)


def test_without_configured_password_an_existing_admins_password_is_never_reset(
    no_admin_env: pytest.MonkeyPatch,
) -> None:
    User.objects.create_superuser(username="admin", email="", password="old-password-0000-xyz")
    no_admin_env.setenv("HUNTER_ADMIN_USER", "admin")

    output, _ = run_ensure_admin()

    assert output == ""
    assert User.objects.get(username="admin").check_password("old-password-0000-xyz")


def test_configured_user_that_exists_without_rights_is_made_an_active_superuser(
    no_admin_env: pytest.MonkeyPatch,
) -> None:
    User.objects.create_user(username="ops", password=STRONG_PASSWORD, is_active=False)
    no_admin_env.setenv("HUNTER_ADMIN_USER", "ops")

    run_ensure_admin()

    ops = User.objects.get(username="ops")
    assert ops.is_superuser
    assert ops.is_staff
    assert ops.is_active
    assert ops.check_password(STRONG_PASSWORD)


def test_running_twice_with_full_configuration_is_idempotent(
    no_admin_env: pytest.MonkeyPatch,
) -> None:
    no_admin_env.setenv("HUNTER_ADMIN_USER", "admin")
    no_admin_env.setenv("HUNTER_ADMIN_PASSWORD", STRONG_PASSWORD)
    run_ensure_admin()
    hashed = User.objects.get(username="admin").password

    output, _ = run_ensure_admin()

    assert output == ""
    assert User.objects.get(username="admin").password == hashed
    assert User.objects.count() == 1


def test_weak_configured_password_is_set_but_warned_about(
    no_admin_env: pytest.MonkeyPatch,
) -> None:
    no_admin_env.setenv("HUNTER_ADMIN_PASSWORD", "password")

    _, errors = run_ensure_admin()

    assert "HUNTER_ADMIN_PASSWORD is weak" in errors
    assert User.objects.get(username="admin").check_password("password")
