"""The run's query count grows with the recipients, never with the cases:
a fixed number per run and per batch of digests, plus one per digest (its
own "sent" mark)."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Division, Case, City
from cases.workflow import transition
from notifications.models import Notification
from reminders.models import ReminderLog
from tests.conftest import shanghai
from tests.factories import CampaignFactory, UserFactory
from workdays.calendar import forget_remembered

TODAY = datetime.date(2024, 3, 15)
pytestmark = pytest.mark.django_db

# Planning and claiming a run: 7 (with the cases waiting at each review
# level), the recipients' channels (their groups, then the channels) and
# the lanes of the batches: 3 (the test's own deletes count here too). A
# batch: claiming, reading the recipients, the officers' case lists and
# review queues (4, and the working-day calendar's year when cases wait at
# a city), the province digest when a supervisor is in it (5, plus the
# calendar's year when cases wait at the province, plus one count per list
# longer than REMINDER_LIST_LIMIT). The in-app copies, all in one go: the
# copies already there, then as a batch (without its claim), then one
# INSERT. Each digest: 1. The year's working-day calendar, for the
# due-soon window: 1 (then remembered; forgotten before each measured run).
PER_RUN = 7 + 3 + 1
PER_BATCH = 5 + 8
IN_APP_COPIES = 1 + PER_BATCH
PER_DIGEST = 1


def cases_per_city(n: int, cities=None):
    """``n`` overdue, ``n`` due-soon and ``n`` far-off cases in every city
    (or in the given ones)."""
    campaign = CampaignFactory()
    rows = []
    for city in cities if cities is not None else City.objects.all():
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


def more_cities(n: int) -> list[City]:
    """Synthetic cities of a synthetic province (each a division of the tree)."""
    Division.objects.get_or_create(code="990000", defaults={"name": "合成省", "level": "province", "kind": "province"})
    codes = [f"99{i + 1:02d}00" for i in range(n)]
    Division.objects.bulk_create(
        Division(code=code, name=f"合成市{i}", level="city", kind="prefecture_city", parent_id="990000")
        for i, code in enumerate(codes)
    )
    return City.objects.bulk_create(
        City(code=code, name=f"合成市{i}", name_en=f"Synthetic {i}", slug=f"synthetic-{i}") for i, code in enumerate(codes)
    )


def officers_for(cities) -> list:
    return [UserFactory(username=f"officer_{city.slug}", role="officer", city=city) for city in cities]


@pytest.fixture
def people():
    """Two supervisors and an officer in each of the 11 cities."""
    supervisors = [UserFactory(username=f"sup{i}", role="supervisor", city=None) for i in range(2)]
    return supervisors + officers_for(City.objects.all())


def queries_for_a_run(run_day, recipients: int) -> int:
    forget_remembered()
    ReminderLog.objects.all().delete()
    Notification.objects.all().delete()
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        with CaptureQueriesContext(connection) as captured:
            report = run_day(TODAY)
    assert report.count("sent") == recipients  # every digest went out
    return len(captured.captured_queries)


@pytest.mark.parametrize("size", [2, 40])
def test_a_run_takes_one_query_per_digest_and_a_few_per_batch(run_day, people, size, django_assert_max_num_queries):
    cases_per_city(size)
    officer = people[-1]
    queue(size // 2, officer, officer.city)

    with django_assert_max_num_queries(PER_RUN + IN_APP_COPIES + PER_BATCH + PER_DIGEST * len(people)):
        queries_for_a_run(run_day, len(people))


def test_twenty_times_the_cases_take_the_same_number_of_queries(run_day, people, settings):
    settings.REMINDER_LIST_LIMIT = 1000
    cases_per_city(2)
    small = queries_for_a_run(run_day, len(people))

    Case.objects.all().delete()
    cases_per_city(40)
    large = queries_for_a_run(run_day, len(people))

    assert small == large


@pytest.mark.parametrize("batch_size", [50, 10])
def test_each_further_recipient_costs_about_one_query(run_day, people, settings, batch_size):
    settings.REMINDER_BATCH_SIZE = batch_size
    cases_per_city(2)
    with_13 = queries_for_a_run(run_day, len(people))

    cities = more_cities(33)
    people += officers_for(cities)
    cases_per_city(2, cities)
    with_46 = queries_for_a_run(run_day, len(people))

    # One "sent" mark per digest, and a batch's few queries spread over
    # its digests.
    per_further_recipient = (with_46 - with_13) / 33
    assert per_further_recipient <= PER_DIGEST + PER_BATCH / batch_size
