"""Hold a lock from another database session, as a concurrent worker or request would.

``held_elsewhere(take)`` runs ``take()`` in a thread with its own connection, inside a
transaction that stays open (so row locks stay held) until the with-block ends; then
``release()`` runs, if given, and the connection is closed (so session locks go too).
Use with ``@pytest.mark.django_db(transaction=True)``: the other session sees only commits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction

HOLD_SECONDS = 120.0


@contextmanager
def held_elsewhere(
    take: Callable[[], object], release: Callable[[], object] | None = None
) -> Iterator[None]:
    """Keep what ``take()`` locked, in another session, for the length of the block."""
    taken, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                take()
                taken.set()
                done.wait(HOLD_SECONDS)
                if release is not None:
                    release()
        except BaseException as error:  # reported in the test's thread below
            errors.append(error)
            taken.set()
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(10), "the other session never took its lock"
        if errors:
            raise errors[0]
        yield
    finally:
        done.set()
        holder.join()
