"""Digests left behind by a failure go out by themselves: the sweep (run by
beat) hands on what a dead worker, a lost task or a broker outage left, at
the times the README promises; a lost database connection does not turn a
sent digest into a duplicate; a digest sent twice carries one Message-ID."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from reminders.models import DigestState, ReminderLog
from reminders.services import run_reminders
from reminders.tasks import sweep_reminders
from tests.conftest import shanghai

TODAY = datetime.date(2024, 3, 15)


@pytest.fixture
def three_overdue(nanchang, jiujiang, nanchang_officer, jiujiang_officer, supervisor, overdue_case):
    overdue_case(nanchang, TODAY, days=3)
    overdue_case(jiujiang, TODAY, days=3)
    return [nanchang_officer, jiujiang_officer, supervisor]


def queued_without_a_task(at):
    """The day's run recorded its digests but no task reached a worker (the
    broker was down): the rows say "queued"."""
    with time_machine.travel(at, tick=False):
        run_reminders(today=TODAY, dispatch=lambda ids: None)
    return {log.recipient_id: log for log in ReminderLog.objects.all()}


@pytest.mark.django_db
def test_the_sweep_sends_digests_left_queued_once_a_sweep_interval_has_passed(celery_in_process, three_overdue, settings):
    settings.REMINDER_SWEEP_SECONDS = 60
    queued_without_a_task(shanghai(2024, 3, 15, 9, 0))

    with time_machine.travel(shanghai(2024, 3, 15, 9, 0, 30), tick=False):
        assert sweep_reminders.delay().get() == {"stranded": 0, "handed_on": 0}  # their task may still be coming
    assert mail.outbox == []

    with time_machine.travel(shanghai(2024, 3, 15, 9, 1, 30), tick=False):
        assert sweep_reminders.delay().get() == {"stranded": 3, "handed_on": 3}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in three_overdue)
    assert set(ReminderLog.objects.values_list("state", flat=True)) == {DigestState.SENT}

    with time_machine.travel(shanghai(2024, 3, 15, 9, 5), tick=False):
        assert sweep_reminders.delay().get() == {"stranded": 0, "handed_on": 0}
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_the_sweep_takes_over_a_dead_workers_claim_at_the_stale_claim_time(celery_in_process, three_overdue, nanchang_officer, settings):
    settings.REMINDER_STALE_CLAIM_MINUTES = 2
    logs = queued_without_a_task(shanghai(2024, 3, 15, 9, 0))
    # A worker claimed the Nanchang digest at 9:00 and died before sending it.
    dead = logs[nanchang_officer.pk]
    ReminderLog.objects.filter(pk=dead.pk).update(
        state=DigestState.SENDING, claimed_at=shanghai(2024, 3, 15, 9, 0), attempts=1
    )

    with time_machine.travel(shanghai(2024, 3, 15, 9, 1, 59), tick=False):
        sweep_reminders.delay().get()
    assert nanchang_officer.email not in [m.to[0] for m in mail.outbox]  # the claim may still be alive
    assert ReminderLog.objects.get(pk=dead.pk).state == DigestState.SENDING

    with time_machine.travel(shanghai(2024, 3, 15, 9, 2, 1), tick=False):
        sweep_reminders.delay().get()
    dead.refresh_from_db()
    assert (dead.state, dead.attempts) == (DigestState.SENT, 2)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in three_overdue)


@pytest.mark.django_db
def test_the_sweep_resends_a_lost_retry_after_its_backoff_not_before(celery_in_process, three_overdue, nanchang_officer, settings):
    settings.REMINDER_RETRY_SECONDS = 120
    settings.REMINDER_SWEEP_SECONDS = 60
    logs = queued_without_a_task(shanghai(2024, 3, 15, 9, 0))
    for log in logs.values():
        if log.recipient_id != nanchang_officer.pk:
            ReminderLog.objects.filter(pk=log.pk).update(state=DigestState.SENT)
    # Its first attempt failed at 9:00; the retry task (due 9:02) was lost.
    ReminderLog.objects.filter(recipient=nanchang_officer).update(
        state=DigestState.RETRYING, claimed_at=shanghai(2024, 3, 15, 9, 0), attempts=1
    )

    with time_machine.travel(shanghai(2024, 3, 15, 9, 2, 30), tick=False):
        sweep_reminders.delay().get()
    assert mail.outbox == []  # the retry task may still come: a sweep interval of grace

    with time_machine.travel(shanghai(2024, 3, 15, 9, 3, 30), tick=False):
        sweep_reminders.delay().get()
    assert [m.to for m in mail.outbox] == [[nanchang_officer.email]]
    assert ReminderLog.objects.get(recipient=nanchang_officer).attempts == 2


@pytest.mark.django_db
def test_the_sweep_leaves_older_days_alone(celery_in_process, three_overdue, settings):
    queued_without_a_task(shanghai(2024, 3, 15, 9, 0))
    with time_machine.travel(shanghai(2024, 3, 17, 9, 0), tick=False):
        assert sweep_reminders.delay().get()["stranded"] == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_digest_sent_twice_carries_the_same_message_id(celery_in_process, three_overdue, nanchang_officer, settings):
    settings.REMINDER_STALE_CLAIM_MINUTES = 2
    queued_without_a_task(shanghai(2024, 3, 15, 9, 0))
    with time_machine.travel(shanghai(2024, 3, 15, 9, 1, 30), tick=False):
        sweep_reminders.delay().get()
    first = {m.to[0]: m.extra_headers["Message-ID"] for m in mail.outbox}
    # The worker died after the server accepted the Nanchang digest and
    # before the row said so: the one window for a duplicate.
    ReminderLog.objects.filter(recipient=nanchang_officer).update(
        state=DigestState.SENDING, claimed_at=shanghai(2024, 3, 15, 9, 1, 30), sent_at=None
    )
    with time_machine.travel(shanghai(2024, 3, 15, 9, 4), tick=False):
        sweep_reminders.delay().get()

    to_nanchang = [m for m in mail.outbox if m.to == [nanchang_officer.email]]
    assert len(to_nanchang) == 2
    assert to_nanchang[0].extra_headers["Message-ID"] == to_nanchang[1].extra_headers["Message-ID"]
    assert len(set(first.values())) == 3  # one per recipient
    assert to_nanchang[0].message()["Message-ID"] == first[nanchang_officer.email]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_database_connection_lost_right_after_sending_does_not_send_twice(run_day, three_overdue, settings):
    """The worker's connection is terminated between the server accepting
    each message and the row being marked sent: the mark is written on a
    new connection, so no digest is left "sending" to go out again."""
    settings.EMAIL_BACKEND = "tests.reminders.mailservers.ConnectionKillingBackend"
    settings.REMINDER_TEST_KILLED = 0
    settings.REMINDER_STALE_CLAIM_MINUTES = 2
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        report = run_day(TODAY)
    with time_machine.travel(shanghai(2024, 3, 15, 9, 30), tick=False):
        sweep_reminders.delay().get()  # what a claim left "sending" would now go out again

    assert len(report.lines) == 3
    assert settings.REMINDER_TEST_KILLED >= 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in three_overdue)
    assert set(ReminderLog.objects.values_list("state", flat=True)) == {DigestState.SENT}
    connection.close()
    for alias in connections:
        connections[alias].close()


def test_the_sweep_is_on_the_beat_schedule(settings):
    from tracker.celery import app

    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["reminders left behind by a failure"]
    assert entry["task"] == "reminders.tasks.sweep_reminders"
    assert entry["schedule"] == settings.REMINDER_SWEEP_SECONDS


def test_the_broker_gives_back_a_dead_workers_tasks_later_than_any_countdown(settings):
    from reminders.services import retry_delay
    from tracker.celery import app

    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility == settings.CELERY_VISIBILITY_TIMEOUT
    assert visibility > retry_delay(settings.REMINDER_MAX_ATTEMPTS - 1)
    assert visibility > settings.REMINDER_STALE_CLAIM_MINUTES * 60


def test_a_visibility_timeout_shorter_than_a_task_is_a_configuration_error(settings):
    from django.core.checks import run_checks

    assert not [e for e in run_checks() if e.id == "tracker.E001"]
    settings.CELERY_VISIBILITY_TIMEOUT = 300  # less than the longest retry countdown (480 s)
    errors = [e for e in run_checks() if e.id == "tracker.E001"]
    assert errors and "480 s" in errors[0].msg
