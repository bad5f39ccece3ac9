"""The case table's triggers (feed stamps, scope exits, tallies) survive
every migration: SQLite drops a table's triggers when it rebuilds it."""

from django.db import connection

TALLY = {"cases_tally_insert", "cases_tally_update", "cases_tally_delete"}
PG_TRIGGERS = {"cases_case_feed_stamp", *TALLY}
SQLITE_TRIGGERS = {"cases_case_feed_insert", "cases_case_feed_update", *TALLY}


def triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'cases_case'::regclass AND NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cases_case'")
        return {row[0] for row in cursor.fetchall()}


def test_the_case_table_has_its_triggers_after_every_migration(db):
    assert triggers() == (PG_TRIGGERS if connection.vendor == "postgresql" else SQLITE_TRIGGERS)

