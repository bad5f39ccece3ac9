"""A division's or a unit's group robot gets what the group's accounts would
get even when the group has no account yet (a bureau that put its robot in
before anyone logged in): the day's digest of its own scope, an urging of
it, an escalation to it. Once per channel and day (or urging), however
often the job runs, and when two runs race."""

import datetime
import io
import threading

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection

from cases.models import Division, Unit
from notifications.models import Notification
from notifications.services import add_channel
from notifications.urgings import escalate_unreceived, urge
from reminders.models import DigestState, ReminderLog
from reminders.services import run_reminders
from reminders.tasks import enqueue_digests
from tests.conftest import shanghai
from tests.factories import UserFactory

TODAY = datetime.date(2024, 3, 15)


@pytest.fixture
def nine_in_the_morning():
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        yield


@pytest.fixture
def jiujiang_late(jiujiang, overdue_case):
    """An overdue city-level case of Jiujiang and one of its county 浔阳区."""
    return {
        "city": overdue_case(jiujiang, TODAY, days=3, title="合成：九江市级逾期问题"),
        "county": overdue_case(jiujiang, TODAY, days=5, division_id="360403", title="合成：浔阳区逾期问题"),
    }


def robot_of(robots, code: str) -> str:
    return add_channel(division=Division.objects.get(code=code), kind="wecom", address=robots.wecom_robot(f"key-{code}"))


@pytest.mark.django_db
def test_a_county_robot_with_no_account_gets_its_countys_digest_once_however_often_the_job_runs(run_day, robots, nine_in_the_morning, jiujiang_officer, jiujiang_late):
    robot_of(robots, "360403")

    run_day(TODAY)
    run_day(TODAY)

    [message] = robots.messages("key-360403")
    assert "合成：浔阳区逾期问题" in message.text
    assert "合成：九江市级逾期问题" not in message.text  # the city's own case is not the county's
    assert "浔阳区，您好" in message.text  # greets the group, no account
    [row] = ReminderLog.objects.filter(channel__division_id="360403")
    assert (row.recipient, row.kind, row.state, row.overdue_count) == (None, "city", DigestState.SENT, 1)
    assert [m.to for m in mail.outbox] == [[jiujiang_officer.email]]  # the city bureau's own, unchanged


@pytest.mark.django_db
def test_a_city_robot_with_no_account_gets_the_citys_digest_and_another_citys_nothing(run_day, robots, nine_in_the_morning, jiujiang_late):
    robot_of(robots, "360400")
    robot_of(robots, "360100")  # Nanchang: nothing overdue or due

    run_day(TODAY)

    [message] = robots.messages("key-360400")
    assert "合成：九江市级逾期问题" in message.text and "合成：浔阳区逾期问题" in message.text
    assert robots.messages("key-360100") == []
    assert not ReminderLog.objects.filter(channel__division_id="360100").exists()
    assert not Notification.objects.exists()  # nobody's centre: there is no account


@pytest.mark.django_db
def test_a_unit_robot_with_no_account_gets_its_units_cases_only(run_day, robots, nine_in_the_morning, jiujiang, overdue_case):
    housing = Unit.objects.create(name="九江市住建局（合成）", division_id="360400")
    led = overdue_case(jiujiang, TODAY, days=2, title="合成：住建局牵头的问题")
    cooperated = overdue_case(jiujiang, TODAY, days=4, division_id="360403", title="合成：住建局配合的问题")
    led.lead_unit = housing
    led.save()
    cooperated.cooperating_units.add(housing)
    overdue_case(jiujiang, TODAY, days=6, title="合成：别的单位的问题")
    add_channel(unit=housing, kind="wecom", address=robots.wecom_robot("key-housing"))

    run_day(TODAY)

    [message] = robots.messages("key-housing")
    assert "合成：住建局牵头的问题" in message.text and "合成：住建局配合的问题" in message.text
    assert "合成：别的单位的问题" not in message.text


@pytest.mark.django_db
def test_the_groups_message_is_in_the_sites_language(run_day, robots, nine_in_the_morning, jiujiang_late, settings):
    settings.LANGUAGE_CODE = "en"
    robot_of(robots, "360403")

    run_day(TODAY)

    [message] = robots.messages("key-360403")
    assert "Hello 浔阳区" in message.text and "合成：浔阳区逾期问题" in message.text


@pytest.mark.django_db
def test_the_command_and_the_admin_name_the_group(robots, nine_in_the_morning, celery_in_process, jiujiang_late, admin_client):
    robot_of(robots, "360403")
    out = io.StringIO()
    call_command("send_reminders", "--dry-run", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if line.startswith("浔阳区"))
    assert "(group channels)" in line and "would send" in line
    assert not ReminderLog.objects.exists()

    call_command("send_reminders", stdout=io.StringIO())
    row = ReminderLog.objects.get(channel__division_id="360403")
    assert row.state == DigestState.SENT
    listing = admin_client.get("/admin/reminders/reminderlog/").content.decode()
    assert "浔阳区" in listing and "key-360403" not in listing


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_send_the_group_one_message(celery_in_process, robots, jiujiang_officer, jiujiang_late):
    robot_of(robots, "360403")
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
    assert len(robots.messages("key-360403")) == 1
    assert ReminderLog.objects.filter(channel__division_id="360403", state=DigestState.SENT).count() == 1


@pytest.fixture
def ten_oclock(celery_in_process):
    with time_machine.travel(shanghai(2024, 3, 15, 10, 0), tick=False):
        yield


@pytest.mark.django_db
def test_an_urging_of_a_county_with_no_account_reaches_its_robot_and_its_escalation_the_citys(django_capture_on_commit_callbacks, robots, ten_oclock, supervisor, jiujiang_late):
    robot_of(robots, "360403")
    robot_of(robots, "360400")  # the city bureau: a robot, no account yet

    with django_capture_on_commit_callbacks(execute=True):
        [urging] = urge(actor=supervisor, case_ids=[jiujiang_late["county"].pk], note="请本周内报送浔阳区进展")
    with django_capture_on_commit_callbacks(execute=True):
        escalate_unreceived(now=urging.receipt_due_at)
        escalate_unreceived(now=urging.receipt_due_at + datetime.timedelta(hours=1))

    [urged] = robots.messages("key-360403")
    assert "请本周内报送浔阳区进展" in urged.text and f"/notifications/urgings/{urging.pk}/" in urged.text
    [escalated] = robots.messages("key-360400")
    assert "浔阳区" in escalated.text and "未在" in escalated.text
    # The city level has its robot: the escalation stops there, not at the province.
    assert not Notification.objects.filter(recipient=supervisor, kind="escalation").exists()
    assert set(ReminderLog.objects.values_list("kind", "recipient", "state")) == {
        ("urging", None, DigestState.SENT), ("escalation", None, DigestState.SENT)
    }


@pytest.mark.django_db
def test_a_city_urging_its_own_case_reaches_the_units_robot_not_its_own(django_capture_on_commit_callbacks, robots, ten_oclock, jiujiang_officer, jiujiang, overdue_case):
    housing = Unit.objects.create(name="九江市住建局（合成）", division_id="360400")
    water = Unit.objects.create(name="九江市水利局（合成）", division_id="360400")
    case = overdue_case(jiujiang, TODAY, days=3, lead_unit=housing)
    add_channel(unit=housing, kind="wecom", address=robots.wecom_robot("key-housing"))
    add_channel(unit=water, kind="wecom", address=robots.wecom_robot("key-water"))
    robot_of(robots, "360400")

    with django_capture_on_commit_callbacks(execute=True):
        [urging] = urge(actor=jiujiang_officer, case_ids=[case.pk], note="请住建局报送进展")

    [message] = robots.messages("key-housing")
    assert "请住建局报送进展" in message.text
    assert robots.messages("key-water") == []  # no part in the case
    assert robots.messages("key-360400") == []  # the urging bureau itself
    assert mail.outbox == []  # no account answers: the robot is all


@pytest.mark.django_db
def test_a_group_with_accounts_still_gets_one_urging(django_capture_on_commit_callbacks, robots, ten_oclock, supervisor, jiujiang_late):
    for n in range(3):
        UserFactory(username=f"xy_{n}", role="officer", division_id="360403")
    robot_of(robots, "360403")

    with django_capture_on_commit_callbacks(execute=True):
        urge(actor=supervisor, case_ids=[jiujiang_late["county"].pk], note="x")

    assert len(robots.messages("key-360403")) == 1 and len(mail.outbox) == 3
