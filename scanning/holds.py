"""Which chunks a live process is running right now, told by PostgreSQL session advisory locks.

A run holds its chunk's lock for as long as it works on it. The lock belongs to the run's
database session, so when the worker dies (SIGKILL, OOM, lost machine) PostgreSQL drops its
connection and the lock with it, at once. Hence:

* a second message for a chunk whose lock is taken is a duplicate of live work, and is dropped;
* a chunk marked running whose lock is free was left by a dead worker: its next run counts a
  lost worker, not an error, and the recovery task may send it again without waiting for it.

Other databases (the embedded SQLite set-up) have no such locks: every hold succeeds and no
chunk is ever seen held, so recovery falls back to the stall time alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import DatabaseError, connection

# First key of the two-key advisory lock: keeps these locks apart from any other user's.
CHUNK_LOCK_SPACE = 0x5343  # "SC"
KEY_MASK = 0x7FFFFFFF  # the second key is a signed 32-bit integer


def _key(chunk_id: int) -> int:
    return chunk_id & KEY_MASK


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def chunk_hold(chunk_id: int) -> bool:
    """Take the chunk's lock for this session (a no-op if it has it); False if another has it."""
    if not _is_postgresql():
        return True
    if chunk_id in _held_by(this_session=True, chunk_ids=[chunk_id]):
        return True  # taken twice it would need two unlocks: never stack it
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [CHUNK_LOCK_SPACE, _key(chunk_id)])
        return bool(cursor.fetchone()[0])


def chunk_release(chunk_id: int) -> None:
    """Let the chunk's lock go; a session that lost its connection has nothing left to free."""
    if not _is_postgresql():
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(%s, %s) FROM pg_locks WHERE locktype = 'advisory' "
                "AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 2 "
                "AND pid = pg_backend_pid()",
                [CHUNK_LOCK_SPACE, _key(chunk_id), CHUNK_LOCK_SPACE, _key(chunk_id)],
            )
    except DatabaseError:
        connection.close()  # the lock went with the broken session


def held_chunk_ids(chunk_ids: Iterable[int]) -> set[int]:
    """The chunks among these that some live session (any process) is running now."""
    return _held_by(this_session=False, chunk_ids=list(chunk_ids))


def _held_by(*, this_session: bool, chunk_ids: list[int]) -> set[int]:
    """Read pg_locks rather than trying the locks: looking must never block a worker."""
    if not chunk_ids or not _is_postgresql():
        return set()
    by_key = {_key(chunk_id): chunk_id for chunk_id in chunk_ids}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid::bigint = %s AND objsubid = 2 AND objid::bigint = ANY(%s) "
            "AND (NOT %s OR pid = pg_backend_pid())",
            [CHUNK_LOCK_SPACE, list(by_key), this_session],
        )
        return {by_key[row[0]] for row in cursor.fetchall()}
