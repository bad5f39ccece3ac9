"""Stamp every insert and update of a case with its change-feed position,
in the database, so that no way in (ORM, bulk writes, raw SQL, a DBA's
fix-up) can change a case without the feed seeing it.

PostgreSQL: the writing transaction's id (pg_current_xact_id, 64-bit, no
wraparound). The feed withholds rows of transactions that may still be in
flight, so a reader never passes a change that commits later with a
smaller id. SQLite (demo, local tests) serialises writers, so a counter
bumped in the same transaction gives commit order directly.

A change of responsible city also records a CaseScopeExit row, so the old
city's clients learn the case left them.
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION cases_case_feed_stamp() RETURNS trigger AS $$
BEGIN
    NEW.feed_xid := pg_current_xact_id()::text::bigint;
    IF TG_OP = 'UPDATE' AND OLD.city_id IS NOT NULL AND NEW.city_id IS DISTINCT FROM OLD.city_id THEN
        INSERT INTO cases_casescopeexit (case_id, from_city_id, version, feed_xid)
        VALUES (NEW.id, OLD.city_id, NEW.version, NEW.feed_xid);
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_case_feed_stamp BEFORE INSERT OR UPDATE ON cases_case
    FOR EACH ROW EXECUTE FUNCTION cases_case_feed_stamp();
UPDATE cases_case SET feed_xid = NULL;
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS cases_case_feed_stamp ON cases_case;
DROP FUNCTION IF EXISTS cases_case_feed_stamp();
"""

# SQLite runs triggers non-recursively by default, so the UPDATE inside the
# trigger does not fire it again.
SQLITE_UP = [
    "CREATE TABLE cases_feedclock (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)",
    "INSERT INTO cases_feedclock (id, value) VALUES (1, 0)",
    """CREATE TRIGGER cases_case_feed_insert AFTER INSERT ON cases_case BEGIN
        UPDATE cases_feedclock SET value = value + 1 WHERE id = 1;
        UPDATE cases_case SET feed_xid = (SELECT value FROM cases_feedclock WHERE id = 1) WHERE id = NEW.id;
    END""",
    """CREATE TRIGGER cases_case_feed_update AFTER UPDATE ON cases_case BEGIN
        UPDATE cases_feedclock SET value = value + 1 WHERE id = 1;
        UPDATE cases_case SET feed_xid = (SELECT value FROM cases_feedclock WHERE id = 1) WHERE id = NEW.id;
        INSERT INTO cases_casescopeexit (case_id, from_city_id, version, feed_xid)
            SELECT NEW.id, OLD.city_id, NEW.version, value FROM cases_feedclock
            WHERE id = 1 AND OLD.city_id IS NOT NULL AND (NEW.city_id IS NULL OR NEW.city_id != OLD.city_id);
    END""",
    "UPDATE cases_case SET feed_xid = NULL",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS cases_case_feed_update",
    "DROP TRIGGER IF EXISTS cases_case_feed_insert",
    "DROP TABLE IF EXISTS cases_feedclock",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise NotImplementedError(f"No change-feed trigger for {schema_editor.connection.vendor}")
        for statement in [statements] if isinstance(statements, str) else statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_feed_position")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        )
    ]
