"""The database stamps every write of a case with its feed position, even
one that bypasses the ORM. (A later migration that rebuilds the table on
SQLite would drop the triggers: this test says so.)"""

from django.db import connection

from cases.models import Case, CaseScopeExit
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
