"""Exact case counts per (kind, city, status), kept by triggers in the
same transaction as each change (see cases/statistics.py), and a covering
index so that overdue cases are counted from the index alone.

PostgreSQL: statement-level triggers with transition tables, one delta row
per key a statement changed (a bulk write of 500 cases appends a handful
of rows, not 500). SQLite: row-level triggers, one delta row per change.
"""

from django.db import migrations, models

COUNTED = ("kind", "city_id", "status")

POSTGRES_UP = [
    """
    CREATE FUNCTION cases_tally_changes() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO cases_casetally (kind, city_id, status, cases, reopened)
            SELECT kind, city_id, status, count(*), sum(reopened_count)
            FROM new_rows WHERE withdrawn_at IS NULL GROUP BY kind, city_id, status;
        ELSIF TG_OP = 'UPDATE' THEN
            INSERT INTO cases_casetally (kind, city_id, status, cases, reopened)
            SELECT kind, city_id, status, sum(cases), sum(reopened)
            FROM (
                SELECT kind, city_id, status, -1 AS cases, -reopened_count AS reopened
                FROM old_rows WHERE withdrawn_at IS NULL
                UNION ALL
                SELECT kind, city_id, status, 1, reopened_count FROM new_rows WHERE withdrawn_at IS NULL
            ) AS delta
            GROUP BY kind, city_id, status
            HAVING sum(cases) <> 0 OR sum(reopened) <> 0;
        ELSE
            INSERT INTO cases_casetally (kind, city_id, status, cases, reopened)
            SELECT kind, city_id, status, -count(*), -sum(reopened_count)
            FROM old_rows WHERE withdrawn_at IS NULL GROUP BY kind, city_id, status;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    # Transition tables allow one event per trigger.
    """CREATE TRIGGER cases_tally_insert AFTER INSERT ON cases_case REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION cases_tally_changes()""",
    """CREATE TRIGGER cases_tally_update AFTER UPDATE ON cases_case
       REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION cases_tally_changes()""",
    """CREATE TRIGGER cases_tally_delete AFTER DELETE ON cases_case REFERENCING OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION cases_tally_changes()""",
    # Overdue = open, not withdrawn, deadline passed: counted per kind and
    # city from this index without visiting the table.
    """CREATE INDEX case_open_overdue_count_idx ON cases_case (deadline) INCLUDE (kind, city_id)
       WHERE status IN ('assigned', 'in_progress') AND withdrawn_at IS NULL""",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS case_open_overdue_count_idx",
    "DROP TRIGGER IF EXISTS cases_tally_insert ON cases_case",
    "DROP TRIGGER IF EXISTS cases_tally_update ON cases_case",
    "DROP TRIGGER IF EXISTS cases_tally_delete ON cases_case",
    "DROP FUNCTION IF EXISTS cases_tally_changes()",
]

_INSERT = "INSERT INTO cases_casetally (kind, city_id, status, cases, reopened)"
SQLITE_UP = [
    f"""CREATE TRIGGER cases_tally_insert AFTER INSERT ON cases_case WHEN NEW.withdrawn_at IS NULL BEGIN
        {_INSERT} VALUES (NEW.kind, NEW.city_id, NEW.status, 1, NEW.reopened_count);
    END""",
    # Only when a counted column changes (the feed trigger's own UPDATE of
    # feed_xid does not).
    f"""CREATE TRIGGER cases_tally_update AFTER UPDATE ON cases_case
        WHEN OLD.kind IS NOT NEW.kind OR OLD.city_id IS NOT NEW.city_id OR OLD.status IS NOT NEW.status
          OR OLD.reopened_count IS NOT NEW.reopened_count
          OR (OLD.withdrawn_at IS NULL) IS NOT (NEW.withdrawn_at IS NULL)
    BEGIN
        {_INSERT} SELECT OLD.kind, OLD.city_id, OLD.status, -1, -OLD.reopened_count WHERE OLD.withdrawn_at IS NULL;
        {_INSERT} SELECT NEW.kind, NEW.city_id, NEW.status, 1, NEW.reopened_count WHERE NEW.withdrawn_at IS NULL;
    END""",
    f"""CREATE TRIGGER cases_tally_delete AFTER DELETE ON cases_case WHEN OLD.withdrawn_at IS NULL BEGIN
        {_INSERT} VALUES (OLD.kind, OLD.city_id, OLD.status, -1, -OLD.reopened_count);
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS cases_tally_insert",
    "DROP TRIGGER IF EXISTS cases_tally_update",
    "DROP TRIGGER IF EXISTS cases_tally_delete",
]

# The cases already there, counted once; the migration's transaction keeps
# writers out until the triggers count theirs.
INITIAL = f"""{_INSERT}
    SELECT kind, city_id, status, count(*), sum(reopened_count) FROM cases_case
    WHERE withdrawn_at IS NULL GROUP BY kind, city_id, status"""


def _run(statements_by_vendor, initial=None):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise NotImplementedError(f"No case tally triggers for {schema_editor.connection.vendor}")
        if schema_editor.connection.vendor == "postgresql":
            # Keep writers out between the initial count and the triggers.
            schema_editor.execute("LOCK TABLE cases_case IN SHARE ROW EXCLUSIVE MODE")
        for statement in statements:
            schema_editor.execute(statement)
        if initial:
            schema_editor.execute(initial)

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_feed_triggers")]
    operations = [
        migrations.CreateModel(
            name="CaseTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=24)),
                ("status", models.CharField(max_length=24)),
                ("cases", models.IntegerField()),
                ("reopened", models.IntegerField()),
                (
                    "city",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.city",
                    ),
                ),
            ],
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}, initial=INITIAL),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
