"""A reviewer's daily digest also says what waits for its level (issue 14
point 7): a city bureau the cases waiting at its city review, the
supervisors those waiting at the province, each with how many and the one
waiting longest in working days; exactly once a day, as every digest."""

import datetime

import pytest
import time_machine
from django.core import mail

from cases.constants import Level
from reminders.models import ReminderLog
from tests.conftest import shanghai
from tests.factories import UserFactory
from tests.web.test_review_queues import waiting

TODAY = datetime.date(2026, 10, 9)  # Friday after National Day (1-7 October 2026)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nine_in_the_morning():
    with time_machine.travel(shanghai(2026, 10, 9, 9, 0), tick=False):
        yield


@pytest.fixture
def waiting_cases(cities):
    return {
        "oldest_at_city": waiting("XY-OLD", "360403", Level.CITY, arrived=shanghai(2026, 9, 29, 16)),
        "newer_at_city": waiting("LX-NEW", "360402", Level.CITY, arrived=shanghai(2026, 10, 8, 10)),
        "at_province": waiting("JJ-PROV", "360400", Level.PROVINCE, arrived=shanghai(2026, 9, 30, 16)),
        "other_city": waiting("NC-CITY", "360112", Level.CITY, arrived=shanghai(2026, 9, 1, 9)),
    }


@pytest.fixture
def jiujiang_bureau(jiujiang):
    return UserFactory(username="jj-bureau", role="officer", city=jiujiang)


def only_message_to(user):
    messages = [m for m in mail.outbox if m.to == [user.email]]
    assert len(messages) == 1, [m.subject for m in mail.outbox]
    return messages[0]


def test_the_city_reviewers_digest_lists_what_waits_at_its_city_not_at_the_province(run_day, waiting_cases, jiujiang_bureau):
    run_day(TODAY)
    message = only_message_to(jiujiang_bureau)
    assert "待您审核 2 件" in message.subject
    body = message.body
    assert "待市级审核：2 件" in body
    # The longest waiting: arrived Tuesday 29 September; the 30th, the 8th
    # and the 9th are working days, the holiday week is not.
    assert "等待最久：XY-OLD" in body and "已等待 3 个工作日" in body
    assert "JJ-PROV" not in body and "NC-CITY" not in body
    assert "/acceptance/" in body
    html = message.alternatives[0][0]
    assert "待市级审核：2 件" in html and "XY-OLD" in html and "JJ-PROV" not in html


def test_the_supervisors_digest_lists_what_waits_at_the_province(run_day, waiting_cases, supervisor):
    run_day(TODAY)
    body = only_message_to(supervisor).body
    assert "待省级审核：1 件" in body
    assert "等待最久：JJ-PROV" in body and "已等待 2 个工作日" in body  # 30 September: the 8th and the 9th
    assert "XY-OLD" not in body.split("待省级审核", 1)[1].split("==", 2)[1]


def test_a_run_twice_sends_the_reviewers_digest_once(run_day, waiting_cases, jiujiang_bureau, supervisor):
    run_day(TODAY)
    run_day(TODAY)
    only_message_to(jiujiang_bureau)
    only_message_to(supervisor)
    assert ReminderLog.objects.filter(recipient=jiujiang_bureau, digest_on=TODAY).count() == 1


def test_a_county_bureau_reviews_nothing_and_is_not_told_of_a_queue(run_day, waiting_cases, jiujiang_bureau, overdue_case, jiujiang):
    county = UserFactory(username="xunyang", division_id="360403", city=None)
    overdue_case(jiujiang, TODAY, days=3, division_id="360403", title="浔阳区逾期（合成）")
    run_day(TODAY)
    body = only_message_to(county).body
    assert "浔阳区逾期（合成）" in body
    assert "审核" not in body and "XY-OLD" not in body


def test_nothing_waiting_means_no_review_section(run_day, jiujiang_bureau, overdue_case, jiujiang):
    overdue_case(jiujiang, TODAY, days=3, title="逾期（合成）")
    run_day(TODAY)
    message = only_message_to(jiujiang_bureau)
    assert "审核" not in message.subject and "待市级审核" not in message.body
