"""Overdue and due-soon at the day boundary, in Asia/Shanghai."""

import datetime

import pytest
import time_machine

from cases.constants import Status
from cases.models import Case
from cases.querysets import local_today
from tests.conftest import shanghai
from tests.factories import CaseFactory

DEADLINE = datetime.date(2024, 6, 30)


@pytest.fixture
def due_june_30(nanchang):
    return CaseFactory(city=nanchang, status=Status.IN_PROGRESS, deadline=DEADLINE)


def overdue_ids():
    return set(Case.objects.overdue().values_list("id", flat=True))


def test_a_deadline_of_today_is_not_overdue_even_late_in_the_evening(due_june_30):
    with time_machine.travel(shanghai(2024, 6, 30, 23, 59), tick=False):
        assert overdue_ids() == set()
        assert due_june_30.days_overdue_on(local_today()) == 0


def test_half_past_midnight_in_shanghai_it_is_overdue_although_utc_is_still_on_the_deadline(due_june_30):
    moment = shanghai(2024, 7, 1, 0, 30)
    assert moment.astimezone(datetime.timezone.utc).date() == DEADLINE  # UTC: still June 30th
    with time_machine.travel(moment, tick=False):
        assert overdue_ids() == {due_june_30.id}
        assert due_june_30.days_overdue_on(local_today()) == 1


def test_a_case_awaiting_acceptance_is_never_the_citys_delay(nanchang):
    waiting = CaseFactory(city=nanchang, status=Status.PENDING_ACCEPTANCE, deadline=DEADLINE)
    with time_machine.travel(shanghai(2024, 9, 1, 12), tick=False):
        assert overdue_ids() == set()
        assert waiting.days_overdue_on(local_today()) == 0


@pytest.mark.parametrize("status", [Status.ASSIGNED, Status.IN_PROGRESS])
def test_both_statuses_still_with_the_city_go_overdue(nanchang, status):
    case = CaseFactory(city=nanchang, status=status, deadline=DEADLINE)
    with time_machine.travel(shanghai(2024, 7, 11, 8), tick=False):
        assert overdue_ids() == {case.id}
        assert case.days_overdue_on(local_today()) == 11


def test_long_term_cases_are_never_overdue(nanchang):
    CaseFactory(city=nanchang, status=Status.IN_PROGRESS, deadline_type="long_term", deadline=None)
    with time_machine.travel(shanghai(2030, 1, 1, 12), tick=False):
        assert overdue_ids() == set()


def test_due_soon_is_today_through_the_next_seven_working_days_across_national_day(nanchang):
    # Wednesday 30 September 2026: National Day's week off, then Thursday 8,
    # Friday 9, the make-up Saturday 10, Monday 12 ... Thursday 15 (the
    # seventh working day); Friday 16 is the eighth.
    with time_machine.travel(shanghai(2026, 9, 30, 0, 10), tick=False):
        by_day = {
            day: CaseFactory(city=nanchang, status=Status.IN_PROGRESS, deadline=datetime.date(2026, *day))
            for day in ((9, 29), (9, 30), (10, 7), (10, 15), (10, 16))
        }
        due = set(Case.objects.due_soon().values_list("id", flat=True))
        assert due == {by_day[d].id for d in ((9, 30), (10, 7), (10, 15))}
        assert [d for d, c in by_day.items() if c.is_due_soon_on(local_today())] == [(9, 30), (10, 7), (10, 15)]


def test_most_days_overdue_come_first(nanchang):
    late = CaseFactory(city=nanchang, status=Status.IN_PROGRESS, deadline=datetime.date(2024, 1, 1))
    later = CaseFactory(city=nanchang, status=Status.IN_PROGRESS, deadline=datetime.date(2023, 1, 1))
    with time_machine.travel(shanghai(2024, 7, 1, 12), tick=False):
        assert list(Case.objects.overdue().by_days_overdue()) == [later, late]
