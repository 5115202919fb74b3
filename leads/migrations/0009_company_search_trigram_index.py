"""A trigram index for the lead list's search.

The search (a case-insensitive substring of domain, company name or provider) read every
company; a trigram index on ``search_folded(company_search_text())``, what the search
compares, answers it from the index. The expression below is the SQL Django compiles that
expression to, so the planner recognises it. PostgreSQL only: the embedded SQLite database has neither
GIN indexes nor trigrams, and searches it by reading the rows.
"""

from typing import Any

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

SEARCH_TEXT_SQL = (
    "REPLACE(REPLACE(UPPER((COALESCE(\"domain\", '') || COALESCE((COALESCE(E'\\n', '') || "
    "COALESCE((COALESCE(\"canonical_name\", '') || COALESCE((COALESCE(E'\\n', '') || "
    "COALESCE(\"provider\", '')), '')), '')), ''))), 'İ', 'I'), 'ı', 'I')"
)


def create_search_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX company_search_trgm_idx ON leads_company "
            f"USING gin (({SEARCH_TEXT_SQL}) gin_trgm_ops)"
        )


def drop_search_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS company_search_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0008_stored_priority_score"),
    ]

    operations = [
        TrigramExtension(),  # skips SQLite by itself
        migrations.RunPython(create_search_index, drop_search_index),
    ]
