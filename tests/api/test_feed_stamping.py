"""The database stamps every write of a case with its feed position, even
one that bypasses the ORM. (A later migration that rebuilds the table on
SQLite would drop the triggers: this test says so.)"""

from django.db import connection

from cases.models import Case, CaseScopeExit, Unit
from tests.factories import CaseFactory


def test_a_raw_sql_update_is_stamped_with_a_later_position(nanchang_case):
    before = Case.objects.get(pk=nanchang_case.pk).feed_xid
    assert before is not None
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET progress = 'raw' WHERE id = %s", [nanchang_case.pk])
    after = Case.objects.get(pk=nanchang_case.pk).feed_xid
    assert after is not None and after >= before


def test_a_change_of_division_records_the_departure(nanchang_case, jiujiang):
    Case.objects.filter(pk=nanchang_case.pk).update(division_id="360403", city=jiujiang)
    [departure] = CaseScopeExit.objects.filter(case=nanchang_case)
    assert departure.from_division_id == "360100"
    assert departure.feed_xid == Case.objects.get(pk=nanchang_case.pk).feed_xid


def test_rows_of_one_insert_get_positions(nanchang):
    cases = CaseFactory.create_batch(3, city=nanchang)
    assert all(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("feed_xid", flat=True))


def test_a_change_of_lead_unit_and_a_removed_cooperating_unit_record_departures_from_them(jiujiang):
    housing, water, ecology = (
        Unit.objects.create(name=name, division_id="360400", kind="bureau") for name in ("住建局", "水利局", "生态环境局")
    )
    case = CaseFactory(division_id="360400", lead_unit=housing)
    case.cooperating_units.add(water, ecology)
    with connection.cursor() as cursor:  # by SQL too: the database records them
        cursor.execute("UPDATE cases_case SET lead_unit_id = %s WHERE id = %s", [water.pk, case.pk])
        cursor.execute("DELETE FROM cases_case_cooperating_units WHERE unit_id = %s", [ecology.pk])
    departures = CaseScopeExit.objects.filter(case=case).order_by("feed_xid", "id")
    assert [(d.from_unit_id, d.from_division_id) for d in departures] == [(housing.pk, None), (ecology.pk, None)]
    assert departures[0].feed_xid == Case.objects.get(pk=case.pk).feed_xid
    # A lead unit given for the first time, or one kept, is no departure.
    Case.objects.filter(pk=case.pk).update(progress="x")
    assert CaseScopeExit.objects.filter(case=case).count() == 2
