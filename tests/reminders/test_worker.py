"""The job through a real Celery worker on Redis: not eager mode. The
worker runs in a thread of this process, so it shares the in-memory mail
outbox and (the test committing its data) the PostgreSQL test database."""

import time

import pytest
from django.core import mail

from cases.querysets import local_today
from reminders.models import FINAL_STATES, DigestState, ReminderLog
from reminders.tasks import send_reminders

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def today():
    # No time travel here: the worker's timers and the broker's ETAs need
    # the real clock. Every date in the test is relative to today.
    return local_today()


@pytest.fixture
def behind(today, nanchang, jiujiang, overdue_case, supervisor, nanchang_officer, jiujiang_officer):
    overdue_case(nanchang, today, days=5)
    overdue_case(jiujiang, today, days=40)
    return [supervisor, nanchang_officer, jiujiang_officer]


def wait_until_done(expected: int, timeout: float = 30) -> list[ReminderLog]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = list(ReminderLog.objects.all())
        if len(logs) == expected and all(log.state in FINAL_STATES for log in logs):
            return logs
        time.sleep(0.2)
    raise AssertionError(f"the worker did not finish: {list(ReminderLog.objects.values_list('state', flat=True))}")


def test_the_daily_task_sends_each_digest_once_through_the_worker(redis_worker, behind, today):
    send_reminders.delay(today.isoformat())
    logs = wait_until_done(expected=3)

    assert {log.state for log in logs} == {DigestState.SENT}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(person.email for person in behind)

    send_reminders.delay(today.isoformat()).get(timeout=30)  # the result backend is Redis too
    time.sleep(1)  # any digest task it had queued would have run by now
    assert len(mail.outbox) == 3


def test_a_refused_digest_is_retried_later_by_the_worker(redis_worker, behind, today, nanchang_officer, settings):
    settings.EMAIL_BACKEND = "tests.reminders.mailservers.RefusingBackend"
    settings.REMINDER_TEST_REFUSE = {nanchang_officer.email: 1}
    settings.REMINDER_RETRY_SECONDS = 1

    started = time.monotonic()
    send_reminders.delay(today.isoformat())
    wait_until_done(expected=3)

    log = ReminderLog.objects.get(recipient=nanchang_officer)
    assert (log.state, log.attempts) == (DigestState.SENT, 2)
    assert time.monotonic() - started >= 1  # the retry waited for its countdown
    assert sum(m.to == [nanchang_officer.email] for m in mail.outbox) == 1
