"""Trigram indexes for the lists' search (``q``: reference or title
contains), which otherwise reads every case: 5.5 s for one web list search
at 1,000,000 cases.

Django writes ``icontains`` on PostgreSQL as ``UPPER("col"::text) LIKE
UPPER(%s)``, so the indexes are on exactly that expression. Built
CONCURRENTLY (hence not atomic) so that a deployment does not lock the
case table while a million rows are indexed. pg_trgm is a trusted
extension: the database's owner may create it. Nothing on SQLite, where the
lists are small.
"""

from django.db import migrations

INDEXES = {
    "case_search_reference_trgm": "reference",
    "case_search_title_trgm": "title",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON cases_case '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0005_case_tally")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
