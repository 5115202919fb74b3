"""Database helpers for bulk writes: session timeouts, transient errors, retry back-off.

A chunk's transaction may meet a deadlock, a serialization failure, a lock it waited too long
for, or a connection the server dropped. Those are worth another attempt; anything
else is a bug or bad data and retrying it only repeats the failure.
"""

from __future__ import annotations

import random

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection


def set_local_timeouts(*, statement_ms: int | None = None, lock_ms: int | None = None) -> None:
    """Bound the current transaction's statements and lock waits (PostgreSQL ``SET LOCAL``).

    Must run inside ``transaction.atomic()``: SET LOCAL ends with the transaction, so the
    connection goes back to its defaults for whatever runs next. 0 means "no limit".
    """
    if connection.vendor != "postgresql":
        return
    statement = settings.DB_STATEMENT_TIMEOUT_MS if statement_ms is None else statement_ms
    lock = settings.HUNTER_DB_LOCK_TIMEOUT_MS if lock_ms is None else lock_ms
    with connection.cursor() as cursor:
        # Integers formatted by us: SET does not take bind parameters.
        cursor.execute(f"SET LOCAL statement_timeout = {int(statement)}")
        cursor.execute(f"SET LOCAL lock_timeout = {int(lock)}")


def is_transient_db_error(error: BaseException) -> bool:
    """True for errors another attempt may not meet: deadlock, serialization, lock or
    statement timeout, lost connection (Django maps all of them to these two classes)."""
    return isinstance(error, OperationalError | InterfaceError)


def reset_connection_after(error: BaseException) -> None:
    """Drop a connection the error may have broken, so the next attempt opens a fresh one."""
    if isinstance(error, DatabaseError) and connection.in_atomic_block:
        return  # the enclosing atomic block owns the connection; it rolls back first
    connection.close()


def backoff_seconds(attempt: int, *, base: float | None = None, cap: float | None = None) -> float:
    """Exponential back-off with full jitter: a random wait up to base * 2**(attempt-1).

    Jitter keeps two chunks that deadlocked on each other from retrying in lock-step.
    """
    base = settings.HUNTER_SCAN_RETRY_BACKOFF if base is None else base
    cap = settings.HUNTER_SCAN_RETRY_BACKOFF_MAX if cap is None else cap
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return random.uniform(0, ceiling)
