"""A worker killed with SIGKILL in the middle of the day's run, with real
Celery worker and beat processes on PostgreSQL and Redis, while the
digests go out by e-mail, DingTalk and WeCom robots, SMS and in the site.
Afterwards each recipient (an account, or a division's group robot) has
had each digest once on each of its channels: none missing, none twice.
The one window the reminder log documents (the kill landing between a
service accepting a message and the row saying so) may still send one
e-mail or robot message twice, counted and printed; never an SMS: a row
taken over asks the SMS service (QuerySendDetails, by the row's OutId)
before sending again. Run with -s to see the figures.

The claim times are scaled down as in the reminders' crash tests."""

import datetime
import json
import time
from collections import Counter

import pytest

from cases.models import City, Division
from cases.querysets import local_today
from notifications.models import Notification
from notifications.services import add_channel
from reminders.models import DigestState, ReminderLog
from tests.factories import CaseFactory, UserFactory
from tests.reminders.cluster import Cluster, wait_for_every_digest
from tests.reminders.test_crash_recovery import SCALED_DOWN as CRASH_TESTS_SCALED_DOWN

from .fakerobot import FakeRobots

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SCALED_DOWN = CRASH_TESTS_SCALED_DOWN | {
    "REMINDER_TEST_SEND_SECONDS": 0.05,
    "ROBOT_MESSAGES_PER_MINUTE": 1200,  # 50 ms apart
    "ROBOT_RATE_LIMIT_WAIT_SECONDS": 1,
}


def robot_cluster(directory, settings, robots) -> Cluster:
    """Worker and beat processes (not started) whose robots and SMS service
    are the fake server's, with the claim times scaled down."""
    host, port = robots.server.server_address
    return Cluster(
        directory=directory,
        redis_url=settings.REDIS_URL,
        settings=SCALED_DOWN | {
            "ALIYUN_SMS_ENDPOINT": f"{host}:{port}", "ALIYUN_SMS_PROTOCOL": "HTTP",
            "ALIYUN_SMS_ACCESS_KEY_ID": "LTAI-test", "ALIYUN_SMS_ACCESS_KEY_SECRET": "test-secret",
            "ALIYUN_SMS_SIGN_NAME": "江西整改", "ALIYUN_SMS_TEMPLATE_DIGEST": "SMS_000000001",
        },
    )  # fmt: skip


@pytest.fixture
def robots():
    server = FakeRobots().start()
    server.delay = 0.05  # every robot answers after 50 ms
    yield server
    server.stop()


@pytest.fixture
def everyone_on_every_channel(cities, robots):
    """Three officers per city and their city bureau's DingTalk group (a
    channel of the division: one message for the three), the first of them
    also on WeCom and SMS of their own; two supervisors and the province's
    WeCom group. Each city has an overdue case."""
    today = local_today()
    people, channels = [], []
    province = Division.objects.get(code="360000")
    channels.append(add_channel(division=province, kind="wecom", address=robots.wecom_robot("key-province")))
    for n in range(2):
        people.append(UserFactory(username=f"sup{n}", role="supervisor", city=None))
    for city in City.objects.order_by("code"):
        CaseFactory(city=city, deadline=today - datetime.timedelta(days=5), status="in_progress")
        group = robots.dingtalk_robot(f"tok-{city.code}", f"SEC-{city.code}")
        division = Division.objects.get(code=city.code)
        channels.append(add_channel(division=division, kind="dingtalk", address=group, secret=f"SEC-{city.code}"))
        for n in range(3):
            officer = UserFactory(username=f"o{city.code}_{n}", role="officer", city=city)
            people.append(officer)
            if n == 0:
                channels.append(add_channel(user=officer, kind="wecom", address=robots.wecom_robot(f"key-{city.code}")))
                channels.append(add_channel(user=officer, kind="sms", address=f"1380000{city.code[:4]}"))
    return people, channels


def test_a_worker_killed_mid_run_sends_every_digest_once_on_every_channel(tmp_path, settings, robots, everyone_on_every_channel):
    from reminders.tasks import send_reminders
    from tracker.celery import app

    people, channels = everyone_on_every_channel
    app.control.purge()
    cluster = robot_cluster(tmp_path, settings, robots)
    expected_rows = len(people) + len(channels)
    try:
        cluster.start_worker("a")
        cluster.start_worker("b")
        cluster.start_beat()
        started = time.monotonic()
        send_reminders.delay(local_today().isoformat())

        deadline = time.monotonic() + 60
        while len(robots.received) < 12:
            assert time.monotonic() < deadline, cluster.log("a")[-3000:]
            time.sleep(0.02)
        cluster.kill("a")  # SIGKILL, pool children included, mid-batch
        killed_with = ReminderLog.objects.filter(state=DigestState.SENDING).count()

        done = wait_for_every_digest(expected_rows, timeout=120)
        seconds = time.monotonic() - started
    finally:
        cluster.stop_all()
        app.control.purge()
    assert done, cluster.log("b")[-3000:]

    # What each recipient got on each channel, counted where it arrived.
    got = Counter()
    for message in cluster.accepted():
        got[(message["To"], "email")] += 1
    for message in robots.received:
        got[(message.robot, message.service)] += 1
    for recipient_id in Notification.objects.values_list("recipient_id", flat=True):
        got[(recipient_id, "in_app")] += 1
    wanted = Counter()
    for person in people:
        wanted[(person.email, "email")] += 1
        wanted[(person.pk, "in_app")] += 1
    for channel in channels:
        robot = {"dingtalk": "access_token", "wecom": "key"}.get(channel.kind)
        address = channel.address.split(f"{robot}=")[1] if robot else channel.address
        wanted[(address, channel.kind)] += 1

    missing = sum((wanted - got).values())
    duplicated = sum((got - wanted).values())
    duplicated_per_channel = Counter()
    for (_, kind), count in (got - wanted).items():
        duplicated_per_channel[kind] += count
    per_channel = Counter(kind for (_, kind), count in got.items() for _ in range(count))
    print(
        f"\nFAULT kill -9 of a worker, every channel: {sum(wanted.values())} messages due "
        f"({dict(per_channel)} arrived), {missing} missing, {duplicated} duplicated {dict(duplicated_per_channel)}, "
        f"{killed_with} in 'sending' at the kill, "
        f"{ReminderLog.objects.filter(found_at_provider=True).count()} SMS found at the service instead of resent, "
        f"all done in {seconds:.1f} s"
    )
    assert ReminderLog.objects.exclude(state=DigestState.SENT).count() == 0
    assert missing == 0
    # The one window left: the kill landing between a service accepting a
    # message and the row saying so (reminders/services.py). An SMS has it
    # closed: the takeover finds it at the service by its OutId.
    assert duplicated <= 1
    assert duplicated_per_channel["sms"] == 0
    sms_rows = ReminderLog.objects.filter(channel_kind="sms")
    assert all(m.query.get("OutId") == f"reminder-{row.pk}" for row in sms_rows for m in robots.messages(row.channel.address))
    assert all(json.loads(m.text) == {"date": local_today().isoformat(), "overdue": "1", "due_soon": "0"}
               for m in robots.received if m.service == "sms")  # fmt: skip


def test_a_worker_killed_while_the_sms_service_takes_its_message_sends_no_sms_twice(tmp_path, settings, robots, cities):
    """The window itself, every time: the SMS service holds the first
    message until the worker that sent it has been killed, then accepts it.
    The row stays "sending"; the takeover finds the message at the service
    by its OutId and marks the row sent instead of sending it again."""
    from reminders.tasks import send_reminders
    from tracker.celery import app

    today = local_today()
    people, channels = [], []
    for city in City.objects.order_by("code"):
        CaseFactory(city=city, deadline=today - datetime.timedelta(days=5), status="in_progress")
        officer = UserFactory(username=f"sms{city.code}", role="officer", city=city)
        people.append(officer)
        channels.append(add_channel(user=officer, kind="sms", address=f"1390000{city.code[:4]}"))
    app.control.purge()
    cluster = robot_cluster(tmp_path, settings, robots)
    robots.hold.clear()
    try:
        cluster.start_worker("a")
        cluster.start_beat()
        send_reminders.delay(local_today().isoformat())
        assert robots.held.wait(60), cluster.log("a")[-3000:]
        cluster.kill("a")  # its SMS is at the service, no answer back yet
        robots.hold.set()  # the service accepts it now; nobody hears the answer
        cluster.start_worker("b")
        done = wait_for_every_digest(len(people) + len(channels), timeout=120)
    finally:
        robots.hold.set()
        cluster.stop_all()
        app.control.purge()
    assert done, cluster.log("b")[-3000:]

    per_phone = Counter(m.robot for m in robots.received if m.service == "sms")
    found = ReminderLog.objects.filter(channel_kind="sms", found_at_provider=True)
    print(f"\nFAULT kill -9 while the SMS service held a message: {dict(per_phone)}, {found.count()} found at the service")
    assert per_phone == Counter({channel.address: 1 for channel in channels})
    assert found.count() >= 1  # the held one, at least
    assert ReminderLog.objects.exclude(state=DigestState.SENT).count() == 0
