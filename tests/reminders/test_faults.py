"""A missing address or a failing mail server costs one digest, never the
run: the others go out, the failing one is retried, then recorded."""

import datetime
import logging

import pytest
import time_machine
from django.core import mail

from reminders.models import DigestState, ReminderLog
from tests.conftest import shanghai

TODAY = datetime.date(2024, 3, 15)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nine_in_the_morning():
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        yield


@pytest.fixture
def refuse(settings):
    """The mail server refuses the given address this many times."""
    settings.EMAIL_BACKEND = "tests.reminders.mailservers.RefusingBackend"
    settings.REMINDER_TEST_REFUSE = {}

    def configure(address: str, times: int):
        settings.REMINDER_TEST_REFUSE[address] = times

    return configure


@pytest.fixture
def two_cities_overdue(nanchang_officer, jiujiang_officer, nanchang, jiujiang, overdue_case):
    overdue_case(nanchang, TODAY, days=3)
    overdue_case(jiujiang, TODAY, days=3)


def test_an_officer_without_an_email_address_is_skipped_and_recorded(run_day, two_cities_overdue, nanchang_officer, jiujiang_officer, caplog):
    nanchang_officer.email = ""
    nanchang_officer.save()

    with caplog.at_level(logging.WARNING, logger="reminders"):
        report = run_day(TODAY)

    assert [m.to for m in mail.outbox] == [[jiujiang_officer.email]]
    log = ReminderLog.objects.get(recipient=nanchang_officer)
    assert log.state == DigestState.SKIPPED and "no e-mail address" in log.last_error
    assert "nc_officer" in caplog.text
    assert report.count(DigestState.SKIPPED) == 1 and report.count(DigestState.SENT) == 1


def test_a_refused_message_does_not_stop_the_others(run_day, two_cities_overdue, nanchang_officer, jiujiang_officer, refuse, settings):
    refuse(nanchang_officer.email, times=1000)

    run_day(TODAY)

    assert [m.to for m in mail.outbox] == [[jiujiang_officer.email]]
    failed = ReminderLog.objects.get(recipient=nanchang_officer)
    assert failed.state == DigestState.FAILED
    assert failed.attempts == settings.REMINDER_MAX_ATTEMPTS
    assert "Mailbox temporarily unavailable" in failed.last_error
    assert ReminderLog.objects.get(recipient=jiujiang_officer).state == DigestState.SENT


def test_a_digest_refused_once_is_sent_on_the_retry(run_day, two_cities_overdue, nanchang_officer, refuse):
    refuse(nanchang_officer.email, times=1)

    run_day(TODAY)

    log = ReminderLog.objects.get(recipient=nanchang_officer)
    assert (log.state, log.attempts, log.last_error) == (DigestState.SENT, 2, "")
    assert sum(m.to == [nanchang_officer.email] for m in mail.outbox) == 1


def test_a_failed_digest_is_not_retried_by_a_later_run_the_same_day(run_day, two_cities_overdue, nanchang_officer, refuse, settings):
    refuse(nanchang_officer.email, times=settings.REMINDER_MAX_ATTEMPTS)
    run_day(TODAY)

    report = run_day(TODAY)

    assert ReminderLog.objects.get(recipient=nanchang_officer).state == DigestState.FAILED
    assert not any(m.to == [nanchang_officer.email] for m in mail.outbox)
    line = next(line for line in report.lines if line.digest.username == nanchang_officer.username)
    assert line.already_done and line.state == DigestState.FAILED


def test_the_retries_wait_longer_each_time(settings):
    from reminders.services import retry_delay

    settings.REMINDER_RETRY_SECONDS = 60
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]


def test_failed_digests_are_visible_in_the_admin(run_day, two_cities_overdue, nanchang_officer, refuse, admin_user, client):
    refuse(nanchang_officer.email, times=1000)
    run_day(TODAY)
    client.force_login(admin_user)

    page = client.get("/admin/reminders/reminderlog/?state__exact=failed")

    assert page.status_code == 200
    text = page.content.decode()
    assert nanchang_officer.username in text and "Mailbox temporarily unavailable" in text
    assert "jj_officer" not in text
