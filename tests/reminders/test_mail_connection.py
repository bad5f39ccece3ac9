"""The digests of a batch share one connection to the mail server; a
failure costs that connection, not the batch."""

import datetime

import pytest
import time_machine
from django.core import mail

from cases.models import City
from reminders.models import DigestState, ReminderLog
from tests.conftest import shanghai
from tests.factories import CaseFactory, UserFactory

TODAY = datetime.date(2024, 3, 15)
pytestmark = pytest.mark.django_db


@pytest.fixture
def officers_behind():
    officers = []
    for city in City.objects.all():
        officers.append(UserFactory(username=f"officer_{city.slug}", role="officer", city=city))
        CaseFactory(city=city, deadline=TODAY - datetime.timedelta(days=3), status="in_progress")
    return officers


@pytest.fixture
def counting(settings):
    settings.EMAIL_BACKEND = "tests.reminders.mailservers.ConnectionCountingBackend"
    settings.REMINDER_TEST_REFUSE = {}
    settings.REMINDER_TEST_CONNECTIONS = []
    return settings


def run(run_day):
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        return run_day(TODAY)


def test_a_batch_of_digests_goes_over_one_connection(run_day, officers_behind, counting):
    counting.REMINDER_BATCH_SIZE = 5  # 11 digests: batches of 5, 5 and 1

    run(run_day)

    assert counting.REMINDER_TEST_CONNECTIONS == [5, 5, 1]
    assert len(mail.outbox) == 11


def test_a_refused_message_costs_its_connection_and_the_others_still_go(run_day, officers_behind, counting):
    third = officers_behind[2]
    counting.REMINDER_TEST_REFUSE[third.email] = 1

    run(run_day)

    # Two before the refusal, the eight after it on a fresh connection, the
    # refused digest on its retry.
    assert counting.REMINDER_TEST_CONNECTIONS == [2, 8, 1]
    assert ReminderLog.objects.filter(state=DigestState.SENT).count() == 11
    assert ReminderLog.objects.get(recipient=third).attempts == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(o.email for o in officers_behind)
