"""A bigram index for the lists' search (``q``) of a two-character term,
the commonest search here (九江, 排污): such a term has no trigram, so the
trigram indexes of 0006 cannot serve it and the search read every case
(500-1,100 ms at 1,000,000 cases).

``case_search_bigrams(reference, title)`` is the set of distinct
two-character substrings of ``lower(reference)`` and of ``lower(title)``,
each field on its own (no bigram spans the two). ``LOWER(col) LIKE
'%ab%'`` holds exactly when ``'ab'`` is a bigram of ``lower(col)``, so
``case_search_bigrams(...) @> ARRAY['ab']`` finds the same cases as the
search did without the index (cases/filters.py, CaseFilter.search). The
function uses built-ins only (stock PostgreSQL; pg_bigm is not available)
and is IMMUTABLE, as an index expression must be.

Built CONCURRENTLY (hence not atomic) so that a deployment does not lock
the case table while a million rows are indexed. Nothing on SQLite, where
the lists are small and the search stays a plain ``LIKE``.
"""

from django.db import migrations

FUNCTION = "case_search_bigrams"
INDEX = "case_search_bigram_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}(reference text, title text) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(DISTINCT substr(field.lowered, position, 2)), '{{}}')
            FROM (VALUES (lower(reference)), (lower(title))) AS field (lowered),
                 generate_series(1, char_length(field.lowered) - 1) AS position
        $$
        """
    )
    schema_editor.execute(
        f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{INDEX}" ON cases_case '
        f'USING gin ({FUNCTION}("reference"::text, "title"::text))'
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{INDEX}"')
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}(text, text)")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0019_event_arrival_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
