"""Each digest goes out once a day: however often the job runs, and when a
worker dies in the middle of a run."""

import datetime
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from reminders.models import DigestState, ReminderLog
from reminders.services import deliver_digests, run_reminders
from reminders.tasks import enqueue_digests
from tests.conftest import shanghai
from tests.factories import CaseFactory, UserFactory

from .mailservers import WorkerKilled

TODAY = datetime.date(2024, 3, 15)


@pytest.fixture
def every_city_overdue(cities):
    """One officer per city and two supervisors; every city has an overdue case."""
    from cases.models import City

    people = [UserFactory(username=f"sup_{n}", role="supervisor", city=None) for n in "ab"]
    for city in City.objects.all():
        people.append(UserFactory(username=f"officer_{city.slug}", role="officer", city=city))
        CaseFactory(city=city, deadline=TODAY - datetime.timedelta(days=5), status="in_progress")
    return people


def messages_per_address():
    counts = {}
    for message in mail.outbox:
        for address in message.to:
            counts[address] = counts.get(address, 0) + 1
    return counts


@pytest.mark.django_db
def test_running_the_job_twice_the_same_day_sends_each_digest_once(run_day, every_city_overdue):
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        first = run_day(TODAY)
    with time_machine.travel(shanghai(2024, 3, 15, 14, 0), tick=False):
        second = run_day(TODAY)

    assert messages_per_address() == {person.email: 1 for person in every_city_overdue}
    assert first.count(DigestState.SENT) == len(every_city_overdue)
    assert second.count(DigestState.SENT) == 0
    assert all(line.already_done for line in second.lines)


@pytest.mark.django_db
def test_the_next_day_brings_the_next_digest(run_day, every_city_overdue):
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        run_day(TODAY)
    with time_machine.travel(shanghai(2024, 3, 16, 9, 0), tick=False):
        run_day(TODAY + datetime.timedelta(days=1))

    assert messages_per_address() == {person.email: 2 for person in every_city_overdue}


@pytest.mark.django_db
def test_a_digest_handed_to_two_workers_is_sent_by_one(run_day, nanchang_officer, nanchang, overdue_case):
    overdue_case(nanchang, TODAY, days=2)
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        run_reminders(today=TODAY)  # claims the row, sends nothing yet
        log = ReminderLog.objects.get()

        first, second = deliver_digests(log_ids=[log.pk]), deliver_digests(log_ids=[log.pk])

    assert first.states == {log.pk: DigestState.SENT}
    assert (second.states, second.retry, second.held) == ({}, {}, {})  # finished: nothing to do, nothing to wait for
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_digest_whose_worker_died_is_taken_over_once_the_claim_is_stale(nanchang_officer, nanchang, overdue_case):
    overdue_case(nanchang, TODAY, days=2)
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        run_reminders(today=TODAY)
        log = ReminderLog.objects.get()
        # A worker claimed it and died before sending: the row says "sending".
        ReminderLog.objects.filter(pk=log.pk).update(state=DigestState.SENDING, claimed_at=timezone.now(), attempts=1)

    with time_machine.travel(shanghai(2024, 3, 15, 9, 5), tick=False):
        early = deliver_digests(log_ids=[log.pk])  # the redelivered message, too early
    assert early.held == {log.pk: 10 * 60} and early.states == {}
    assert mail.outbox == []

    with time_machine.travel(shanghai(2024, 3, 15, 9, 16), tick=False):
        assert deliver_digests(log_ids=[log.pk]).states == {log.pk: DigestState.SENT}
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_run_killed_midway_is_completed_by_the_reruns_without_repeats(run_day, every_city_overdue, settings):
    settings.REMINDER_BATCH_SIZE = 5  # 13 digests: batches of 5, 5 and 3
    settings.EMAIL_BACKEND = "tests.reminders.mailservers.DyingBackend"
    settings.REMINDER_TEST_DIE_AFTER = 2
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        with pytest.raises(WorkerKilled):
            run_day(TODAY)
    assert len(mail.outbox) == 2
    states = list(ReminderLog.objects.values_list("state", flat=True))
    assert states.count(DigestState.SENT) == 2
    # The dead worker's batch: the one being sent when it died and the two
    # it had not reached yet. The other batches were never claimed.
    assert states.count(DigestState.SENDING) == 3
    assert states.count(DigestState.QUEUED) == 8

    settings.REMINDER_TEST_DIE_AFTER = 1000
    with time_machine.travel(shanghai(2024, 3, 15, 9, 5), tick=False):
        run_day(TODAY)
    # The other batches went out; the dead worker's claim is still too fresh to take over.
    assert len(mail.outbox) == len(every_city_overdue) - 3
    stuck = list(ReminderLog.objects.filter(state=DigestState.SENDING))
    assert len(stuck) == 3

    with time_machine.travel(shanghai(2024, 3, 15, 9, 30), tick=False):
        run_day(TODAY)
    assert messages_per_address() == {person.email: 1 for person in every_city_overdue}
    for log in stuck:
        log.refresh_from_db()
        assert log.state == DigestState.SENT and log.attempts == 2


@pytest.mark.django_db
def test_a_slow_batch_keeps_its_claim_so_no_other_worker_sends_its_digests_again(every_city_overdue, settings):
    settings.EMAIL_BACKEND = "tests.reminders.mailservers.SlowBackend"
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False) as clock:
        run_reminders(today=TODAY)  # queues the 13 digests, sends nothing yet
        ids = list(ReminderLog.objects.order_by("pk").values_list("pk", flat=True))
        rival = []
        # Four minutes a message: before the seventh, at 9:24, the batch's
        # first claim (9:00) would be stale and another worker steps in.
        settings.REMINDER_TEST_SLOW = {
            "clock": clock,
            "minutes": 4,
            "before": {6: lambda: rival.append(deliver_digests(log_ids=ids))},
        }

        first = deliver_digests(log_ids=ids)

    assert messages_per_address() == {person.email: 1 for person in every_city_overdue}
    assert set(first.states.values()) == {DigestState.SENT} and len(first.states) == 13
    # The other worker found the six sent and the rest freshly held.
    assert rival[0].states == {} and set(rival[0].held) == set(ids[6:])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_send_each_digest_once(celery_in_process, every_city_overdue):
    start = threading.Barrier(2)
    errors = []

    def run():
        try:
            start.wait(timeout=10)
            run_reminders(today=TODAY, dispatch=enqueue_digests)
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert messages_per_address() == {person.email: 1 for person in every_city_overdue}
    assert ReminderLog.objects.filter(state=DigestState.SENT).count() == len(every_city_overdue)
