"""`manage.py ensure_admin`: make sure someone can sign in to a fresh Hunter.

With HUNTER_ADMIN_USER (default ``admin``) and optionally HUNTER_ADMIN_PASSWORD. Without a
password, the first run creates the account with a generated password and prints it once;
later runs leave existing accounts and their passwords alone. Safe to run on every start.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import Enum
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction

from hunter.env import env_str

DEFAULT_ADMIN_USER = "admin"
GENERATED_PASSWORD_BYTES = 18  # 24 URL-safe characters, ~144 bits


class AdminAction(Enum):
    """What ensure_admin did to the account."""

    CREATED = "created"
    RESET = "reset"  # password set from HUNTER_ADMIN_PASSWORD
    PROMOTED = "promoted"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"  # nothing configured and a superuser already exists


@dataclass(frozen=True)
class AdminOutcome:
    """The account ensure_admin looked at, what it did, and a password to show (once)."""

    username: str
    action: AdminAction
    generated_password: str = ""


def admin_ensure(*, username: str | None, password: str | None) -> AdminOutcome:
    """Create or update the superuser named ``username`` (``admin`` when None)."""
    User = get_user_model()
    if username is None and password is None and User.objects.filter(is_superuser=True).exists():
        # The operator already made their own superuser; don't add a second one.
        return AdminOutcome(username="", action=AdminAction.SKIPPED)
    name = username or DEFAULT_ADMIN_USER
    with transaction.atomic():
        user = User.objects.select_for_update().filter(**{User.USERNAME_FIELD: name}).first()
        if user is None:
            return _create_admin(name, password)
        return _update_admin(user, name, password)


def _create_admin(username: str, password: str | None) -> AdminOutcome:
    User = get_user_model()
    generated = "" if password else secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    User.objects.create_superuser(
        **{User.USERNAME_FIELD: username}, email="", password=password or generated
    )
    return AdminOutcome(username, AdminAction.CREATED, generated_password=generated)


def _update_admin(user: AbstractBaseUser, username: str, password: str | None) -> AdminOutcome:
    action = AdminAction.UNCHANGED
    if not (user.is_superuser and user.is_staff and user.is_active):  # type: ignore[attr-defined]
        user.is_superuser = user.is_staff = user.is_active = True  # type: ignore[attr-defined]
        action = AdminAction.PROMOTED
    # Only an explicit password resets it, and only when it differs (no needless writes).
    if password and not user.check_password(password):
        user.set_password(password)
        action = AdminAction.RESET
    if action is not AdminAction.UNCHANGED:
        user.save()
    return AdminOutcome(username, action)


def weak_password_reasons(password: str, username: str) -> list[str]:
    """Django's password validators' complaints about ``password``; empty when it is fine."""
    User = get_user_model()
    try:
        password_validation.validate_password(password, User(**{User.USERNAME_FIELD: username}))
    except ValidationError as error:
        return list(error.messages)
    return []


class Command(BaseCommand):
    help = "Make sure a superuser exists (HUNTER_ADMIN_USER / HUNTER_ADMIN_PASSWORD)."

    def handle(self, *args: Any, **options: Any) -> None:
        username = env_str("HUNTER_ADMIN_USER") or None
        password = env_str("HUNTER_ADMIN_PASSWORD") or None
        outcome = admin_ensure(username=username, password=password)
        self._report(outcome)
        if password and outcome.action in (AdminAction.CREATED, AdminAction.RESET):
            self._warn_if_weak(password, outcome.username)

    def _report(self, outcome: AdminOutcome) -> None:
        if outcome.action is AdminAction.CREATED and outcome.generated_password:
            self.stdout.write(
                self.style.WARNING(
                    "\nCreated the Hunter admin account. The password is shown only this once:\n"
                    f"    username: {outcome.username}\n"
                    f"    password: {outcome.generated_password}\n"
                    "Sign in and change it, or set HUNTER_ADMIN_PASSWORD.\n"
                )
            )
        elif outcome.action is AdminAction.CREATED:
            self.stdout.write(f"Created the admin account {outcome.username!r}.")
        elif outcome.action is AdminAction.RESET:
            self.stdout.write(
                f"Set the password of {outcome.username!r} from HUNTER_ADMIN_PASSWORD."
            )
        elif outcome.action is AdminAction.PROMOTED:
            self.stdout.write(f"Made {outcome.username!r} an active superuser.")

    def _warn_if_weak(self, password: str, username: str) -> None:
        for reason in weak_password_reasons(password, username):
            self.stderr.write(f"warning: HUNTER_ADMIN_PASSWORD is weak: {reason}")
