"""`manage.py` (and so `make run`): problems an operator can fix are one line, not a traceback.

A malformed setting and an unreachable database are the two things that stop every command
of a fresh installation. Both are said in one line on stderr that names the variable or the
service, and the process exits with status 1. ``--traceback`` shows the full story instead.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

import psycopg
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections

EXIT_STARTUP_ERROR = 1


def main(argv: Sequence[str]) -> None:
    """Run the management command named in ``argv`` (as ``manage.py`` does)."""
    from django.core.management import execute_from_command_line

    wants_traceback = "--traceback" in argv
    try:
        _load_settings()
        execute_from_command_line(list(argv))
    except ImproperlyConfigured as error:
        if wants_traceback:
            raise
        _stop(f"Hunter cannot start: {error}")
    except (DatabaseError, psycopg.OperationalError) as error:
        # psycopg's own error comes from creating the database before Django connects.
        if wants_traceback or database_answers():
            raise  # the database is there: this is a real error, with its traceback
        _stop(unreachable_database_line(error))


def _load_settings() -> None:
    # Reading one setting imports hunter.settings, which reads every variable: a malformed
    # one raises here, before Django turns it into "unknown command" or a traceback.
    from django.conf import settings

    settings.INSTALLED_APPS  # noqa: B018 - the attribute access is the point


def database_answers() -> bool:
    """True when a fresh connection to the default database can be opened."""
    connection = connections["default"]
    try:
        connection.close()
        connection.ensure_connection()
    except DatabaseError:
        return False
    finally:
        connection.close()
    return True


def unreachable_database_line(error: BaseException) -> str:
    """One line naming the database (host, port and name, never the password) and why."""
    settings_dict = connections["default"].settings_dict
    where = settings_dict.get("NAME") or "?"
    if settings_dict.get("HOST"):
        where = f"{settings_dict['HOST']}:{settings_dict.get('PORT') or 'default port'}/{where}"
    reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return f"Hunter cannot reach the database ({where}, from DATABASE_URL): {reason}"


def _stop(line: str) -> NoReturn:
    sys.stderr.write(line.rstrip() + "\n")
    sys.exit(EXIT_STARTUP_ERROR)
