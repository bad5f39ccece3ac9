"""The case table's triggers as migrations 0004 and 0005 wrote them (keyed
by city), as 0013 writes them (keyed by division too) and as 0018 adds the
units' departures to them, for migrations that must put any of them back:
SQLite drops a table's triggers whenever it rebuilds the table. Not a
migration (the loader skips names with "_"). A migration that rebuilds
cases_case on SQLite today runs ``drop_sqlite_triggers`` before and
``run_triggers(division=True, units=True)`` after."""

PG_FEED = """
CREATE OR REPLACE FUNCTION cases_case_feed_stamp() RETURNS trigger AS $$
BEGIN
    NEW.feed_xid := pg_current_xact_id()::text::bigint;
    IF TG_OP = 'UPDATE' AND OLD.{column} IS NOT NULL AND NEW.{column} IS DISTINCT FROM OLD.{column} THEN
        INSERT INTO cases_casescopeexit (case_id, {exit_column}, version, feed_xid)
        VALUES (NEW.id, OLD.{column}, NEW.version, NEW.feed_xid);
    END IF;{unit_exit}
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""

# 0018: a case whose lead unit changes leaves the old lead unit.
PG_LEAD_UNIT_EXIT = """
    IF TG_OP = 'UPDATE' AND OLD.lead_unit_id IS NOT NULL AND NEW.lead_unit_id IS DISTINCT FROM OLD.lead_unit_id THEN
        INSERT INTO cases_casescopeexit (case_id, from_unit_id, version, feed_xid)
        VALUES (NEW.id, OLD.lead_unit_id, NEW.version, NEW.feed_xid);
    END IF;"""

# 0018: a case whose cooperating unit is removed leaves that unit.
PG_COOPERATION_EXIT = [
    """CREATE OR REPLACE FUNCTION cases_cooperation_exit() RETURNS trigger AS $$
BEGIN
    INSERT INTO cases_casescopeexit (case_id, from_unit_id, version, feed_xid)
    SELECT OLD.case_id, OLD.unit_id, c.version, pg_current_xact_id()::text::bigint FROM cases_case c WHERE c.id = OLD.case_id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS cases_cooperation_exit ON cases_case_cooperating_units",
    """CREATE TRIGGER cases_cooperation_exit AFTER DELETE ON cases_case_cooperating_units
    FOR EACH ROW EXECUTE FUNCTION cases_cooperation_exit()""",
]
PG_NO_COOPERATION_EXIT = [
    "DROP TRIGGER IF EXISTS cases_cooperation_exit ON cases_case_cooperating_units",
    "DROP FUNCTION IF EXISTS cases_cooperation_exit()",
]

PG_TALLY = """
CREATE OR REPLACE FUNCTION cases_tally_changes() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO cases_casetally (kind, city_id, {division} status, cases, reopened)
        SELECT kind, city_id, {division} status, count(*), sum(reopened_count)
        FROM new_rows WHERE withdrawn_at IS NULL GROUP BY kind, city_id, {division} status;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO cases_casetally (kind, city_id, {division} status, cases, reopened)
        SELECT kind, city_id, {division} status, sum(cases), sum(reopened)
        FROM (
            SELECT kind, city_id, {division} status, -1 AS cases, -reopened_count AS reopened
            FROM old_rows WHERE withdrawn_at IS NULL
            UNION ALL
            SELECT kind, city_id, {division} status, 1, reopened_count FROM new_rows WHERE withdrawn_at IS NULL
        ) AS delta
        GROUP BY kind, city_id, {division} status
        HAVING sum(cases) <> 0 OR sum(reopened) <> 0;
    ELSE
        INSERT INTO cases_casetally (kind, city_id, {division} status, cases, reopened)
        SELECT kind, city_id, {division} status, -count(*), -sum(reopened_count)
        FROM old_rows WHERE withdrawn_at IS NULL GROUP BY kind, city_id, {division} status;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

PG_OVERDUE_INDEX = """CREATE INDEX case_open_overdue_count_idx ON cases_case (deadline) INCLUDE ({columns})
    WHERE status IN ('assigned', 'in_progress') AND withdrawn_at IS NULL"""

RECOUNT = """INSERT INTO cases_casetally (kind, city_id, {division} status, cases, reopened)
    SELECT kind, city_id, {division} status, count(*), sum(reopened_count) FROM cases_case
    WHERE withdrawn_at IS NULL GROUP BY kind, city_id, {division} status"""


def pg_feed(division: bool, units: bool = False) -> str:
    column, exit_column = ("division_id", "from_division_id") if division else ("city_id", "from_city_id")
    return PG_FEED.format(column=column, exit_column=exit_column, unit_exit=PG_LEAD_UNIT_EXIT if units else "")


def postgres(division: bool, units: bool = False) -> list[str]:
    with_division = "division_id," if division else ""
    return [
        "LOCK TABLE cases_case IN SHARE ROW EXCLUSIVE MODE",
        pg_feed(division, units),
        *(PG_COOPERATION_EXIT if units else PG_NO_COOPERATION_EXIT),
        PG_TALLY.format(division=with_division),
        "DROP INDEX IF EXISTS case_open_overdue_count_idx",
        PG_OVERDUE_INDEX.format(columns="kind, city_id, division_id" if division else "kind, city_id"),
        "DELETE FROM cases_casetally",
        RECOUNT.format(division=with_division),
    ]


_TALLY = "INSERT INTO cases_casetally (kind, city_id, {division} status, cases, reopened)"


SQLITE_LEAD_UNIT_EXIT = """
            INSERT INTO cases_casescopeexit (case_id, from_unit_id, version, feed_xid)
                SELECT NEW.id, OLD.lead_unit_id, NEW.version, value FROM cases_feedclock
                WHERE id = 1 AND OLD.lead_unit_id IS NOT NULL AND OLD.lead_unit_id IS NOT NEW.lead_unit_id;"""

# Its own tick of the clock: a removal need not come with a write to the case.
SQLITE_COOPERATION_EXIT = """CREATE TRIGGER cases_cooperation_exit AFTER DELETE ON cases_case_cooperating_units BEGIN
            UPDATE cases_feedclock SET value = value + 1 WHERE id = 1;
            INSERT INTO cases_casescopeexit (case_id, from_unit_id, version, feed_xid)
                SELECT OLD.case_id, OLD.unit_id, c.version, f.value FROM cases_case c, cases_feedclock f
                WHERE c.id = OLD.case_id AND f.id = 1;
        END"""


def sqlite_feed_update(division: bool, units: bool = False) -> list[str]:
    column, exit_column = ("division_id", "from_division_id") if division else ("city_id", "from_city_id")
    return [
        "DROP TRIGGER IF EXISTS cases_case_feed_update",
        "DROP TRIGGER IF EXISTS cases_cooperation_exit",
        f"""CREATE TRIGGER cases_case_feed_update AFTER UPDATE ON cases_case BEGIN
            UPDATE cases_feedclock SET value = value + 1 WHERE id = 1;
            UPDATE cases_case SET feed_xid = (SELECT value FROM cases_feedclock WHERE id = 1) WHERE id = NEW.id;
            INSERT INTO cases_casescopeexit (case_id, {exit_column}, version, feed_xid)
                SELECT NEW.id, OLD.{column}, NEW.version, value FROM cases_feedclock
                WHERE id = 1 AND OLD.{column} IS NOT NULL AND (NEW.{column} IS NULL OR NEW.{column} != OLD.{column});
            {SQLITE_LEAD_UNIT_EXIT if units else ""}
        END""",
        *([SQLITE_COOPERATION_EXIT] if units else []),
    ]


def sqlite(division: bool, units: bool = False) -> list[str]:
    with_division = "division_id," if division else ""
    insert = _TALLY.format(division=with_division)
    new = "NEW.division_id," if division else ""
    old = "OLD.division_id," if division else ""
    division_changed = "OR OLD.division_id IS NOT NULL AND OLD.division_id IS NOT NEW.division_id" if division else ""
    return [
        "DROP TRIGGER IF EXISTS cases_case_feed_insert",
        "DROP TRIGGER IF EXISTS cases_tally_insert",
        "DROP TRIGGER IF EXISTS cases_tally_update",
        "DROP TRIGGER IF EXISTS cases_tally_delete",
        """CREATE TRIGGER cases_case_feed_insert AFTER INSERT ON cases_case BEGIN
            UPDATE cases_feedclock SET value = value + 1 WHERE id = 1;
            UPDATE cases_case SET feed_xid = (SELECT value FROM cases_feedclock WHERE id = 1) WHERE id = NEW.id;
        END""",
        *sqlite_feed_update(division, units),
        f"""CREATE TRIGGER cases_tally_insert AFTER INSERT ON cases_case WHEN NEW.withdrawn_at IS NULL BEGIN
            {insert} VALUES (NEW.kind, NEW.city_id, {new} NEW.status, 1, NEW.reopened_count);
        END""",
        f"""CREATE TRIGGER cases_tally_update AFTER UPDATE ON cases_case
            WHEN OLD.kind IS NOT NEW.kind OR OLD.city_id IS NOT NEW.city_id OR OLD.status IS NOT NEW.status
              OR OLD.reopened_count IS NOT NEW.reopened_count {division_changed}
              OR (OLD.withdrawn_at IS NULL) IS NOT (NEW.withdrawn_at IS NULL)
        BEGIN
            {insert} SELECT OLD.kind, OLD.city_id, {old} OLD.status, -1, -OLD.reopened_count WHERE OLD.withdrawn_at IS NULL;
            {insert} SELECT NEW.kind, NEW.city_id, {new} NEW.status, 1, NEW.reopened_count WHERE NEW.withdrawn_at IS NULL;
        END""",
        f"""CREATE TRIGGER cases_tally_delete AFTER DELETE ON cases_case WHEN OLD.withdrawn_at IS NULL BEGIN
            {insert} VALUES (OLD.kind, OLD.city_id, {old} OLD.status, -1, -OLD.reopened_count);
        END""",
        "DELETE FROM cases_casetally",
        RECOUNT.format(division=with_division),
    ]


def run_triggers(*, division: bool, units: bool = False):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in ("postgresql", "sqlite"):
            raise NotImplementedError(f"No case triggers for {vendor}")
        for statement in (postgres if vendor == "postgresql" else sqlite)(division, units):
            schema_editor.execute(statement)

    return run


SQLITE_TRIGGERS = (
    "cases_case_feed_insert",
    "cases_case_feed_update",
    "cases_cooperation_exit",
    "cases_tally_insert",
    "cases_tally_update",
    "cases_tally_delete",
)


def drop_sqlite_triggers(apps, schema_editor):
    """SQLite checks a trigger's tables whenever it rebuilds one of them; the
    triggers go before the rebuild and come back after it."""
    if schema_editor.connection.vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
