"""The run's query count grows with the recipients, never with the cases."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, City
from cases.workflow import transition
from tests.conftest import shanghai
from tests.factories import CampaignFactory, UserFactory

TODAY = datetime.date(2024, 3, 15)
pytestmark = pytest.mark.django_db


def cases_per_city(n: int):
    """``n`` overdue, ``n`` due-soon and ``n`` far-off cases in every city."""
    campaign = CampaignFactory()
    rows = []
    for city in City.objects.all():
        for i in range(n):
            for offset, status in ((-40 - i, "in_progress"), (i % 7, "assigned"), (100 + i, "assigned")):
                rows.append(
                    Case(
                        campaign=campaign,
                        reference=f"Q-{city.code}-{offset}-{i}",
                        kind="feedback_problem",
                        title="合成数据",
                        city=city,
                        deadline_type="dated",
                        deadline=TODAY + datetime.timedelta(days=offset),
                        status=status,
                    )
                )
    Case.objects.bulk_create(rows)


def queue(n: int, officer, city):
    """``n`` cases submitted for acceptance twenty days ago."""
    with time_machine.travel(shanghai(2024, 2, 24, 10, 0), tick=False):
        for case in Case.objects.filter(city=city, status="in_progress")[:n]:
            transition(case=case, to="pending_acceptance", actor=officer, note="合成")


@pytest.fixture
def people():
    supervisors = [UserFactory(username=f"sup{i}", role="supervisor", city=None) for i in range(2)]
    officers = [UserFactory(username=f"officer_{c.slug}", role="officer", city=c) for c in City.objects.all()]
    return supervisors, officers


def queries_for_a_run(run_day) -> int:
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        with CaptureQueriesContext(connection) as captured:
            report = run_day(TODAY)
    assert len(report.lines) == 13
    return len(captured.captured_queries)


@pytest.mark.parametrize("size", [2, 40])
def test_a_run_takes_a_handful_of_queries_per_recipient(run_day, people, size, django_assert_max_num_queries):
    supervisors, officers = people
    cases_per_city(size)
    queue(size // 2, officers[0], officers[0].city)

    # Planning and claiming: 6; an officer's digest: 5, a province digest:
    # 7, each plus one count per list longer than REMINDER_LIST_LIMIT.
    with django_assert_max_num_queries(6 + 7 * len(officers) + 9 * len(supervisors)):
        queries_for_a_run(run_day)


def test_twenty_times_the_cases_take_the_same_number_of_queries(run_day, people, settings):
    settings.REMINDER_LIST_LIMIT = 1000
    supervisors, officers = people
    cases_per_city(2)
    small = queries_for_a_run(run_day)

    Case.objects.all().delete()
    from reminders.models import ReminderLog

    ReminderLog.objects.all().delete()
    cases_per_city(40)
    large = queries_for_a_run(run_day)

    assert small == large
