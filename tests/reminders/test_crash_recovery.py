"""The day's digests finish by themselves after a crash, with real Celery
worker and beat processes on PostgreSQL and Redis: a worker killed with
SIGKILL (its pool's children too) in the middle of the run, the workers'
database connections terminated by the server again and again, the broker
down when the day's run starts. Nobody reruns anything: the sweep (beat)
and the retries do it. Each test prints its figures (digests sent,
stranded, duplicated); run with -s to see them.

The claim times are scaled down (a stale claim after 6 s instead of 15
minutes, a sweep every second) so that a test takes seconds."""

import datetime
import time

import pytest
from django.db import connection

from cases.models import City
from cases.querysets import local_today
from reminders.models import DigestState, ReminderLog
from tests.factories import CaseFactory, UserFactory

from .cluster import Cluster, PrivateRedis, figures, wait_for_every_digest

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

OFFICERS_PER_CITY = 5
SUPERVISORS = 5
SCALED_DOWN = {
    "REMINDER_STALE_CLAIM_MINUTES": 0.1,  # 6 s
    "REMINDER_SWEEP_SECONDS": 1,
    "REMINDER_BATCH_SIZE": 10,
    "REMINDER_RETRY_SECONDS": 1,
    "REMINDER_TEST_SEND_SECONDS": 0.08,  # a slow mail server
    "CONN_MAX_AGE": 60,
}


@pytest.fixture
def recipients(cities):
    """60 people with a digest today: five officers per city, each city
    with an overdue case, and five supervisors."""
    today = local_today()
    people = [UserFactory(username=f"sup{n}", role="supervisor", city=None) for n in range(SUPERVISORS)]
    for city in City.objects.order_by("code"):
        CaseFactory(city=city, deadline=today - datetime.timedelta(days=5), status="in_progress")
        people += [UserFactory(username=f"o{city.code}_{n}", role="officer", city=city) for n in range(OFFICERS_PER_CITY)]
    return people


@pytest.fixture
def cluster(tmp_path, settings):
    from tracker.celery import app

    app.control.purge()  # nothing left over from another test
    cluster = Cluster(directory=tmp_path, redis_url=settings.REDIS_URL, settings=dict(SCALED_DOWN))
    yield cluster
    cluster.stop_all()
    app.control.purge()


def wait_for_mail(cluster: Cluster, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(list(cluster.spool.glob("*.eml"))) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"the workers sent nothing:\n{cluster.log('a')[-3000:]}")
        time.sleep(0.05)


def start_the_day(cluster: Cluster) -> float:
    """Two workers and beat; the day's run handed to them as beat would."""
    from reminders.tasks import send_reminders

    cluster.start_worker("a")
    cluster.start_worker("b")
    cluster.start_beat()
    started = time.monotonic()
    send_reminders.delay(local_today().isoformat())
    return started


def test_a_worker_killed_mid_run_leaves_nothing_behind(cluster, recipients):
    started = start_the_day(cluster)

    wait_for_mail(cluster, 15)
    cluster.kill("a")  # SIGKILL, pool children included, mid-batch
    killed_with = ReminderLog.objects.filter(state=DigestState.SENDING).count()

    done = wait_for_every_digest(len(recipients), timeout=120)
    result = figures("kill -9 of a worker", cluster, recipients, started)
    print(f"\n{result} ({killed_with} digests were in 'sending' at the kill)")

    assert done, cluster.log("b")[-3000:]
    assert result.stranded == 0 and result.sent == len(recipients)
    # The one window left: the kill landing between the server accepting a
    # message and the row saying so. The resend then carries the same id.
    assert result.duplicated <= 1 and result.one_message_id


def test_database_connections_killed_mid_run_leave_nothing_behind(cluster, recipients):
    cluster.settings["REMINDER_TEST_SEND_SECONDS"] = 0.15
    started = start_the_day(cluster)

    wait_for_mail(cluster, 5)
    terminated = 0
    with connection.cursor() as cursor:
        for _ in range(8):  # every backend of the workers, again and again
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            terminated += cursor.fetchone()[0]
            time.sleep(0.6)

    done = wait_for_every_digest(len(recipients), timeout=120)
    result = figures("pg_terminate_backend mid-run", cluster, recipients, started)
    print(f"\n{result} ({terminated} backends terminated)")

    assert done, cluster.log("a")[-3000:]
    assert terminated > 0
    assert result.stranded == 0 and result.sent == len(recipients)
    assert result.duplicated == 0


def test_digests_queued_while_the_broker_was_down_go_out_when_it_is_back(tmp_path, settings, recipients):
    redis = PrivateRedis(tmp_path)  # not started: the broker is down
    cluster = Cluster(directory=tmp_path, redis_url=redis.url, settings=dict(SCALED_DOWN))
    try:
        started = time.monotonic()
        run = cluster.run("send_reminders")
        outage = time.monotonic() - started
        states = set(ReminderLog.objects.values_list("state", flat=True))
        assert run.returncode == 0, run.stderr[-3000:]
        assert states == {DigestState.QUEUED} and ReminderLog.objects.count() == len(recipients)
        assert "could not reach the workers" in run.stdout

        redis.start()
        cluster.start_worker("a")
        cluster.start_beat()
        done = wait_for_every_digest(len(recipients), timeout=120)
        result = figures("Redis down at the day's run", cluster, recipients, started)
        print(f"\n{result} (the run took {outage:.1f} s with the broker down and exited {run.returncode})")
    finally:
        cluster.stop_all()
        redis.stop()

    assert done, cluster.log("a")[-3000:]
    assert result.stranded == 0 and result.sent == len(recipients) and result.duplicated == 0
