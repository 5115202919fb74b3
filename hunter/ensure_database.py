"""Create the PostgreSQL database named by DATABASE_URL when it does not exist yet.

`make test` and `make run` call this so a fresh machine with a bare PostgreSQL server works
without a manual `createdb`. SQLite needs nothing: Django creates the file on first use.
"""

from __future__ import annotations

import os
import sys

import dj_database_url
import psycopg
from psycopg import sql


def ensure_database(url: str) -> bool:
    """Create the database behind ``url`` if missing; True when it was created."""
    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        return False
    admin_dsn = psycopg.conninfo.make_conninfo(
        host=str(config.get("HOST") or ""),
        port=str(config.get("PORT") or ""),
        user=str(config.get("USER") or ""),
        password=str(config.get("PASSWORD") or ""),
        dbname="postgres",
    )
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (config["NAME"],)
        ).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(config["NAME"]))))
        return True


if __name__ == "__main__":
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url and ensure_database(database_url):
        sys.stdout.write("created the database named in DATABASE_URL\n")
