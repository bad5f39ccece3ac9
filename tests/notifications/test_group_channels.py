"""Channels of a division's or a unit's group (its bureau's robot), beside
the accounts' own: configured by ``add_channel --division/--unit`` and in
the admin; a digest or an urging meant for the group's accounts goes to
the group once per day (or urging), channel and kind, not once per
account; secrets never shown back."""

import datetime
import io
import logging

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from cases.models import Unit
from notifications.models import Channel
from notifications.services import add_channel
from notifications.urgings import escalate_unreceived, urge
from reminders.models import DigestState, ReminderLog
from tests.conftest import shanghai
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 3, 15)
SECRET = "SEC-jiujiang-group-0001"


@pytest.fixture(autouse=True)
def nine_in_the_morning(celery_in_process):
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        yield


def add(*args) -> str:
    out = io.StringIO()
    call_command("add_channel", *args, stdout=out)
    return out.getvalue()


def test_the_command_points_a_division_at_its_groups_robot_without_printing_the_secrets(robots, jiujiang):
    webhook = robots.dingtalk_robot("tok-jiujiang-group", SECRET)
    printed = add("--division", "360400", "--kind", "dingtalk", "--address", webhook, "--secret", SECRET)

    channel = Channel.objects.get()
    assert (channel.division_id, channel.user, channel.unit, channel.secret) == ("360400", None, None, SECRET)
    assert "九江市" in printed and "tok-jiujiang-group" not in printed and SECRET not in printed


def test_the_command_points_a_unit_at_its_robot(robots, jiujiang):
    unit = Unit.objects.create(name="九江市住建局（合成）", division_id="360400")
    add("--unit", str(unit.pk), "--kind", "wecom", "--address", robots.wecom_robot("key-housing"))
    assert Channel.objects.get().unit == unit


@pytest.mark.parametrize(
    "args,message",
    [
        (["--division", "999999"], "--division: no division “999999”"),
        (["--unit", "987654"], "--unit: no unit “987654”"),
        (["--user", "nobody"], "--user: no user “nobody”"),
    ],
)
def test_the_command_names_an_unknown_owner_and_adds_nothing(cities, args, message):
    with pytest.raises(CommandError) as refused:
        add(*args, "--kind", "email", "--address", "group@example.test")
    assert str(refused.value).startswith(message)
    assert not Channel.objects.exists()


def test_the_command_takes_one_owner_only(nanchang_officer):
    with pytest.raises(CommandError, match="not allowed with"):
        add("--division", "360100", "--user", "nc_officer", "--kind", "email", "--address", "a@example.test")
    assert not Channel.objects.exists()


def test_the_database_holds_a_channel_to_exactly_one_owner(nanchang_officer):
    for owners in ({"user": nanchang_officer, "division_id": "360100"}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Channel.objects.create(kind="email", address="a@example.test", **owners)


def test_the_admin_adds_a_division_channel_and_never_shows_its_secret(admin_client, robots, jiujiang):
    webhook = robots.dingtalk_robot("tok-jiujiang-group", SECRET)
    answer = admin_client.post(
        "/admin/notifications/channel/add/",
        {"kind": "dingtalk", "division": "360400", "address": webhook, "secret": SECRET, "is_active": "on"},
    )
    assert answer.status_code == 302
    channel = Channel.objects.get()
    change = admin_client.get(f"/admin/notifications/channel/{channel.pk}/change/").content.decode()
    listing = admin_client.get("/admin/notifications/channel/").content.decode()
    for page in (change, listing):
        assert "tok-jiujiang-group" not in page and SECRET not in page
    assert "九江市" in listing


def test_the_admin_refuses_a_channel_with_two_owners_naming_the_field(admin_client, nanchang_officer):
    answer = admin_client.post(
        "/admin/notifications/channel/add/",
        {"kind": "email", "user": nanchang_officer.pk, "division": "360100", "address": "a@example.test", "is_active": "on"},
    )
    assert answer.status_code == 200 and answer.context["adminform"].form.errors["user"]
    assert not Channel.objects.exists()


@pytest.fixture
def jiujiang_bureau(jiujiang, overdue_case):
    """Three officers of the Jiujiang city bureau, an overdue case of theirs."""
    overdue_case(jiujiang, TODAY, days=4, title="合成：九江逾期问题")
    return [UserFactory(username=f"jj_{n}", role="officer", division_id="360400") for n in range(3)]


def test_a_divisions_robot_gets_the_days_digest_once_however_many_accounts_and_runs(run_day, robots, jiujiang_bureau):
    add_channel(division=jiujiang_bureau[0].division, kind="wecom", address=robots.wecom_robot("key-jj-group"))

    run_day(TODAY)
    run_day(TODAY)

    [message] = robots.messages("key-jj-group")
    assert "合成：九江逾期问题" in message.text
    # The group is greeted by its name, not as one of its members.
    assert "九江市，您好" in message.text
    assert not any(f"{p.username}，您好" in message.text for p in jiujiang_bureau)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in jiujiang_bureau)
    group_rows = ReminderLog.objects.filter(channel__division_id="360400")
    assert [(row.kind, row.state) for row in group_rows] == [("city", DigestState.SENT)]


def test_a_units_robot_gets_its_accounts_digest_and_the_divisions_its_own(run_day, robots, jiujiang, overdue_case):
    unit = Unit.objects.create(name="九江市住建局（合成）", division_id="360400")
    overdue_case(jiujiang, TODAY, days=2, lead_unit=unit, title="合成：住建局牵头的问题")
    overdue_case(jiujiang, TODAY, days=6, title="合成：别的单位的问题")
    for n in range(2):
        UserFactory(username=f"housing_{n}", role="officer", division_id="360400", unit=unit)
    add_channel(unit=unit, kind="wecom", address=robots.wecom_robot("key-housing"))
    add_channel(division=unit.division, kind="wecom", address=robots.wecom_robot("key-jj-group"))

    run_day(TODAY)

    [message] = robots.messages("key-housing")
    assert "合成：住建局牵头的问题" in message.text and "合成：别的单位的问题" not in message.text
    # No account of the bureau itself: its group still gets the city's digest, once.
    [city] = robots.messages("key-jj-group")
    assert "合成：住建局牵头的问题" in city.text and "合成：别的单位的问题" in city.text


def test_a_county_urging_reaches_the_countys_robot_once_and_its_escalation_the_citys(django_capture_on_commit_callbacks, robots, jiujiang_officer, overdue_case, jiujiang):
    case = overdue_case(jiujiang, TODAY, days=5, division_id="360403", title="合成：浔阳区逾期问题")
    for n in range(2):
        UserFactory(username=f"xy_{n}", role="officer", division_id="360403")
    add_channel(division=case.division, kind="wecom", address=robots.wecom_robot("key-xunyang"))
    add_channel(division=jiujiang_officer.division, kind="wecom", address=robots.wecom_robot("key-jj-group"))

    with django_capture_on_commit_callbacks(execute=True):
        [urging] = urge(actor=jiujiang_officer, case_ids=[case.pk], note="请本周内报送")
    with django_capture_on_commit_callbacks(execute=True):
        escalate_unreceived(now=urging.receipt_due_at)
        escalate_unreceived(now=urging.receipt_due_at + datetime.timedelta(hours=2))

    [urged] = robots.messages("key-xunyang")
    assert "请本周内报送" in urged.text and f"/notifications/urgings/{urging.pk}/" in urged.text
    [escalated] = robots.messages("key-jj-group")
    assert "浔阳区" in escalated.text
    assert ReminderLog.objects.filter(channel__isnull=False).count() == 2


def test_a_failing_group_robot_holds_back_nothing_logs_no_secret_and_shows_the_answer(run_day, robots, jiujiang_bureau, settings, caplog, admin_client):
    settings.REMINDER_MAX_ATTEMPTS = 1
    webhook = robots.dingtalk_robot("tok-jiujiang-group", "SEC-rotated")  # the group changed its secret
    channel = add_channel(division=jiujiang_bureau[0].division, kind="dingtalk", address=webhook, secret=SECRET)

    with caplog.at_level(logging.DEBUG):
        run_day(TODAY)

    row = ReminderLog.objects.get(channel=channel)
    assert row.state == DigestState.FAILED and "sign not match" in row.answer
    assert len(mail.outbox) == 3  # the failing group held back none of its accounts' e-mails
    assert "tok-jiujiang-group" not in caplog.text and SECRET not in caplog.text
    assert "九江市" in caplog.text  # the group it was for
    for page in ("/admin/reminders/reminderlog/", f"/admin/reminders/reminderlog/{row.pk}/change/"):
        html = admin_client.get(page).content.decode()
        assert "sign not match" in html and "tok-jiujiang-group" not in html and SECRET not in html


def test_an_unreachable_robot_is_logged_and_recorded_without_its_key(run_day, jiujiang_bureau, settings, caplog):
    settings.REMINDER_MAX_ATTEMPTS = 1
    webhook = "http://127.0.0.1:9/robot/send?access_token=tok-unreachable-0001"  # the discard port: refused
    channel = add_channel(division=jiujiang_bureau[0].division, kind="dingtalk", address=webhook, secret=SECRET)

    with caplog.at_level(logging.DEBUG):
        run_day(TODAY)

    row = ReminderLog.objects.get(channel=channel)
    assert row.state == DigestState.FAILED and row.last_error
    recorded = " ".join([caplog.text, row.last_error, row.answer, row.email])
    assert "tok-unreachable-0001" not in recorded and SECRET not in recorded


def test_the_api_never_shows_a_groups_webhook(django_capture_on_commit_callbacks, robots, jiujiang_officer, overdue_case, jiujiang):
    from tests.conftest import token_client

    case = overdue_case(jiujiang, TODAY, days=5, division_id="360403")
    officer = UserFactory(username="xy_0", role="officer", division_id="360403")
    add_channel(division=case.division, kind="dingtalk", address=robots.dingtalk_robot("tok-xunyang", SECRET), secret=SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        [urging] = urge(actor=jiujiang_officer, case_ids=[case.pk], note="x")
    assert len(robots.messages("tok-xunyang")) == 1

    for user, path in ((officer, "/api/v1/notifications/"), (officer, f"/api/v1/urgings/{urging.pk}/"),
                       (jiujiang_officer, f"/api/v1/urgings/{urging.pk}/")):  # fmt: skip
        answer = token_client(user).get(path)
        assert answer.status_code == 200
        assert "tok-xunyang" not in answer.content.decode() and SECRET not in answer.content.decode()
