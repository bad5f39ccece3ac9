"""The daily digests on every channel an account has: once per channel and
day, a failing channel retried without holding back the others, robots
paced, long texts cut with a link to the full list."""

import datetime
import json
import logging

import pytest
import time_machine
from django.core import mail

from notifications.models import Channel, Notification
from notifications.services import add_channel
from reminders.models import DigestState, ReminderLog
from tests.conftest import shanghai
from tests.factories import UserFactory

TODAY = datetime.date(2024, 3, 15)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nine_in_the_morning():
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        yield


@pytest.fixture
def nanchang_behind(nanchang, jiujiang, overdue_case, nanchang_officer, jiujiang_officer):
    overdue_case(nanchang, TODAY, days=3, title="合成：南昌的逾期问题")
    overdue_case(jiujiang, TODAY, days=3)


@pytest.fixture
def every_channel(robots, nanchang_officer):
    """The Nanchang officer reads a DingTalk group, a WeCom group and SMS."""
    return {
        "dingtalk": add_channel(
            user=nanchang_officer, kind="dingtalk",
            address=robots.dingtalk_robot("tok-nc", "SEC-nc-secret"), secret="SEC-nc-secret",
        ),
        "wecom": add_channel(user=nanchang_officer, kind="wecom", address=robots.wecom_robot("key-nc-0001")),
        "sms": add_channel(user=nanchang_officer, kind="sms", address="13800000001"),
    }  # fmt: skip


def received_per_robot(robots) -> dict[str, int]:
    counts = {}
    for message in robots.received:
        counts[message.robot] = counts.get(message.robot, 0) + 1
    return counts


def test_a_digest_goes_out_once_on_every_channel_even_when_the_job_runs_twice(run_day, robots, nanchang_behind, every_channel, nanchang_officer, jiujiang_officer):
    run_day(TODAY)
    run_day(TODAY)

    assert received_per_robot(robots) == {"tok-nc": 1, "key-nc-0001": 1, "13800000001": 1}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([nanchang_officer.email, jiujiang_officer.email])
    assert Notification.objects.filter(recipient=nanchang_officer).count() == 1
    assert Notification.objects.filter(recipient=jiujiang_officer).count() == 1
    dingtalk = robots.messages("tok-nc")[0].text
    assert "合成：南昌的逾期问题" in dingtalk
    sms = json.loads(robots.messages("13800000001")[0].text)
    assert sms == {"date": "2024-03-15", "overdue": "1", "due_soon": "0"}
    rows = ReminderLog.objects.filter(recipient=nanchang_officer)
    assert {(row.channel_kind, row.state) for row in rows} == {
        ("email", "sent"), ("dingtalk", "sent"), ("wecom", "sent"), ("sms", "sent"),
    }  # fmt: skip


def test_the_next_day_every_channel_gets_the_next_digest(run_day, robots, nanchang_behind, every_channel):
    run_day(TODAY)
    with time_machine.travel(shanghai(2024, 3, 16, 9, 0), tick=False):
        run_day(TODAY + datetime.timedelta(days=1))
    assert received_per_robot(robots) == {"tok-nc": 2, "key-nc-0001": 2, "13800000001": 2}


def test_a_failing_robot_holds_back_no_other_channel_and_is_retried(run_day, robots, nanchang_behind, every_channel, nanchang_officer):
    robots.fail_next += [(500, {"errmsg": "busy"}), (200, {"errcode": -1, "errmsg": "系统繁忙"})]

    run_day(TODAY)

    assert received_per_robot(robots) == {"tok-nc": 1, "key-nc-0001": 1, "13800000001": 1}
    assert len(mail.outbox) == 2
    rows = {row.channel_kind: row for row in ReminderLog.objects.filter(recipient=nanchang_officer)}
    assert rows["dingtalk"].attempts == 3 and rows["dingtalk"].state == DigestState.SENT
    assert rows["wecom"].attempts == 1 and rows["sms"].attempts == 1


def test_a_robot_that_keeps_failing_is_recorded_failed_with_its_answer(run_day, robots, nanchang_behind, every_channel, nanchang_officer, settings, caplog):
    settings.REMINDER_MAX_ATTEMPTS = 3
    robots.dingtalk["tok-nc"] = "SEC-rotated-in-the-group"  # the group changed its secret

    with caplog.at_level(logging.INFO):
        run_day(TODAY)

    row = ReminderLog.objects.get(recipient=nanchang_officer, channel_kind="dingtalk")
    assert (row.state, row.attempts) == (DigestState.FAILED, 3)
    assert "sign not match" in row.answer and "310000" in row.answer
    assert row.email.endswith("access_token=***")
    assert received_per_robot(robots) == {"key-nc-0001": 1, "13800000001": 1}
    # The key and the secret appear nowhere in what was logged.
    assert "tok-nc" not in caplog.text and "SEC-nc-secret" not in caplog.text


@pytest.mark.parametrize("owner", ["account", "division"])
def test_a_robot_shared_by_many_accounts_is_paced_instead_of_refused(run_day, robots, cities, overdue_case, settings, owner):
    """Eleven city bureaus post to one provincial group (configured on each
    bureau's account, or on each city's division); the robot takes four a
    minute here (scaled down: 240 a minute, four a second)."""
    from cases.models import City

    settings.ROBOT_MESSAGES_PER_MINUTE = 240
    robots.per_minute = None
    webhook = robots.dingtalk_robot("tok-province-group", "SEC-group")
    for city in City.objects.all():
        officer = UserFactory(username=f"o_{city.slug}", role="officer", city=city)
        overdue_case(city, TODAY, days=1)
        on = {"user": officer} if owner == "account" else {"division": officer.division}
        add_channel(**on, kind="dingtalk", address=webhook, secret="SEC-group")

    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=True):  # pacing needs a clock that moves
        run_day(TODAY)

    times = [m.at for m in robots.messages("tok-province-group")]
    assert len(times) == 11
    # A quarter of a second apart: ten intervals, and never more than four
    # (one more for a message that reached the robot late) in any second.
    assert times[-1] - times[0] >= 10 * 0.25 - 0.05
    assert max(sum(1 for t in times if start <= t < start + 1) for start in times) <= 5
    assert robots.refused == []


def test_a_robot_that_says_too_fast_is_waited_for_and_nothing_is_lost(run_day, robots, cities, overdue_case, settings):
    from cases.models import City

    robots.per_minute = 3  # refuses the fourth within a minute, like the real robots past their limit
    webhook = robots.wecom_robot("key-group")
    cities_ = list(City.objects.all()[:5])
    for city in cities_:
        officer = UserFactory(username=f"o_{city.slug}", role="officer", city=city)
        overdue_case(city, TODAY, days=1)
        add_channel(user=officer, kind="wecom", address=webhook)
    robots.per_minute = None  # the robot's minute is over by the time it is asked again
    robots.fail_next.append((200, {"errcode": 45009, "errmsg": "api freq out of limit"}))

    run_day(TODAY)

    assert len(robots.messages("key-group")) == 5
    assert ReminderLog.objects.filter(channel_kind="wecom", state=DigestState.SENT).count() == 5


@pytest.mark.parametrize("owner", ["account", "division"])
def test_a_digest_longer_than_wecom_takes_is_cut_with_a_link_to_the_full_list(run_day, robots, nanchang, nanchang_officer, overdue_case, settings, owner):
    for n in range(40):
        overdue_case(nanchang, TODAY, days=n + 1, title=f"合成：南昌市某处生态环境问题整改第{n}项，标题较长以便超出企业微信的长度限制")
    on = {"user": nanchang_officer} if owner == "account" else {"division": nanchang_officer.division}
    add_channel(**on, kind="wecom", address=robots.wecom_robot("key-nc"))

    run_day(TODAY)

    [message] = robots.messages("key-nc")
    assert len(message.text.encode()) <= 2048
    assert message.text.rstrip().endswith(f"{settings.SITE_URL}/overdue/?city=360100")
    assert "第39项" in message.text  # the first lines are kept: most days overdue first
    assert "第0项" not in message.text
    assert "完整列表" in message.text  # in the officer's language
    assert "…" in message.text
    assert robots.refused == []


def test_a_deactivated_channel_gets_nothing(run_day, robots, nanchang_behind, every_channel):
    Channel.objects.filter(kind="wecom").update(is_active=False)
    run_day(TODAY)
    assert "key-nc-0001" not in received_per_robot(robots)


def test_the_command_reports_each_channels_outcome(robots, nanchang_behind, every_channel, celery_in_process):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("send_reminders", "--date", "2024-03-15", stdout=out)

    line = next(text for text in out.getvalue().splitlines() if text.startswith("nc_officer"))
    ids = {kind: channel.pk for kind, channel in every_channel.items()}
    assert f"sent; dingtalk#{ids['dingtalk']} sent, wecom#{ids['wecom']} sent, sms#{ids['sms']} sent" in line
