"""The API's case object written by PostgreSQL, for the change feed.

Following the feed is reading every case: Python spent most of each page
turning fifty columns a case into a dict and then into JSON. PostgreSQL
writes the same object as JSON text in a few microseconds a row, and
orjson embeds that text as it is (``orjson.Fragment``). Field for field it
is ``CaseRenderer``'s object over DETAIL_COLUMNS, with the same names and
labels (tests/api/test_feed_case_json.py compares the two). Names and
labels are passed in as JSON objects and looked up per row: a correlated
subquery per row for the campaign code and the city name cost twice as
much as everything else together."""

import datetime

import orjson
from django.db.models.expressions import RawSQL

from cases.constants import WITH_CITY_STATUSES

from .representation import DETAIL_COLUMNS, CaseRenderer, Milestones

TABLE = '"cases_case"'
COOPERATION = '"cases_case_cooperating_units"'


def _lookup(table: str, key_sql: str) -> str:
    return f"(names.{table} ->> ({key_sql})::text)"


def case_json(today: datetime.date | None = None) -> RawSQL:
    """A ``cases_case`` row as the API's JSON text, for ``.values()``."""
    renderer = CaseRenderer(today)
    names = renderer.names
    params: list = []
    select = []
    for column in DETAIL_COLUMNS:
        if column == "campaign_id":
            select.append(f'{_lookup("campaigns", f"{TABLE}.campaign_id")} AS "campaign"')
        elif column == "city_id":
            select.append(f'{TABLE}.city_id AS "city"')
            select.append(f'{_lookup("divisions", f"{TABLE}.city_id")} AS "city_name"')
        elif column == "division_id":
            select.append(f'{TABLE}.division_id AS "division"')
            select.append(f'{_lookup("divisions", f"{TABLE}.division_id")} AS "division_name"')
        elif column == "lead_unit_id":
            select.append(f'{TABLE}.lead_unit_id AS "lead_unit_id"')
            for alias in ("lead_unit", "responsible_unit"):
                unit = _lookup("units", f"{TABLE}.lead_unit_id")
                select.append(f"COALESCE({unit}, '') AS \"{alias}\"")
        elif column == "cooperating_unit_ids":
            select.append('cooperation.ids AS "cooperating_unit_ids"')
            select.append('cooperation.names AS "cooperating_units"')
        elif column == "district":
            city = _lookup("divisions", f"left({TABLE}.division_id, 4) || '00'")
            county = _lookup("divisions", f"{TABLE}.division_id")
            select.append(
                f"CASE WHEN {TABLE}.district <> '' OR right({TABLE}.division_id, 2) = '00' THEN {TABLE}.district"
                f" ELSE COALESCE({city}, '') || COALESCE({county}, '') END AS \"district\""
            )
        elif column == "duplicate_of_id":
            select.append(f'{TABLE}.duplicate_of_id AS "duplicate_of"')
        elif column == "milestones_json":
            select.append(f'{Milestones.json_sql()} AS "milestones"')
        elif column == "fines_yuan":
            select.append(f'{TABLE}.fines_yuan::text AS "fines_yuan"')
        else:
            select.append(f'{TABLE}.{column} AS "{column}"')
    select.append(f'{_lookup("kinds", f"{TABLE}.kind")} AS "kind_label"')
    select.append(f"""{_lookup("statuses", f"{TABLE}.status || ' ' || {TABLE}.kind")} AS "status_label\"""")
    select.append(f'{_lookup("deadline_types", f"{TABLE}.deadline_type")} AS "deadline_type_label"')
    open_statuses = ", ".join(["%s"] * len(WITH_CITY_STATUSES))
    late = (
        f"CASE WHEN {TABLE}.status IN ({open_statuses}) AND {TABLE}.deadline < %s::date"
        f" THEN %s::date - {TABLE}.deadline ELSE 0 END"
    )
    for alias, template in (("days_overdue", late), ("is_overdue", f"({late}) > 0")):
        select.append(f'{template} AS "{alias}"')
        params.extend([*WITH_CITY_STATUSES, renderer.today, renderer.today])
    tables = {
        "campaigns": names.table("campaigns"),
        "divisions": names.table("divisions"),
        "units": names.table("units"),
        "kinds": renderer.kind_labels,
        "statuses": {f"{status} {kind}": label for (status, kind), label in renderer.status_labels.items()},
        "deadline_types": renderer.deadline_type_labels,
    }
    # Each table is written into the query once (all China's divisions are
    # 50 KB of JSON, parsed by PostgreSQL once per occurrence) and read as
    # a column of a one-row subquery.
    names_sql = ", ".join(f"%s::jsonb AS {name}" for name in tables)
    params.extend(orjson.dumps(table, option=orjson.OPT_NON_STR_KEYS).decode() for table in tables.values())
    # The cooperating units' ids and names in one read of the links.
    cooperation = (
        f"SELECT COALESCE(json_agg(cu.unit_id ORDER BY cu.unit_id), '[]'::json) AS ids,"
        f" COALESCE(string_agg({_lookup('units', 'cu.unit_id')}, '、' ORDER BY cu.unit_id), '') AS names"
        f" FROM {COOPERATION} AS cu WHERE cu.case_id = {TABLE}.id"
    )
    return RawSQL(
        f"(SELECT row_to_json(r)::text FROM (SELECT {', '.join(select)}"
        f" FROM (SELECT {names_sql}) AS names, LATERAL ({cooperation}) AS cooperation) AS r)",
        params,
    )
