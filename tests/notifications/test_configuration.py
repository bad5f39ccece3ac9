"""Channels are configured in the admin and by ``add_channel``; bad input
is refused naming the field; secrets are never shown back."""

import io

import pytest
from django.core.management import CommandError, call_command

from notifications.models import Channel

pytestmark = pytest.mark.django_db

WEBHOOK = "https://oapi.dingtalk.com/robot/send?access_token=tok-0123456789abcdef"
SECRET = "SEC0123456789abcdef-signing"


def add(*args) -> str:
    out = io.StringIO()
    call_command("add_channel", *args, stdout=out)
    return out.getvalue()


def test_the_command_adds_a_dingtalk_robot_to_an_account_without_printing_its_secrets(nanchang_officer):
    printed = add("--user", "nc_officer", "--kind", "dingtalk", "--address", WEBHOOK, "--secret", SECRET)

    channel = Channel.objects.get()
    assert (channel.user, channel.kind, channel.address, channel.secret) == (nanchang_officer, "dingtalk", WEBHOOK, SECRET)
    assert "tok-0123456789abcdef" not in printed and SECRET not in printed
    assert "access_token=***" in printed


@pytest.mark.parametrize(
    "args,field",
    [
        (["--user", "nobody", "--kind", "email", "--address", "a@example.test"], "--user"),
        (["--user", "nc_officer", "--kind", "email", "--address", "not-an-address"], "--address"),
        (["--user", "nc_officer", "--kind", "sms", "--address", "12345"], "--address"),
        (["--user", "nc_officer", "--kind", "wecom", "--address", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"], "--address"),
        (["--user", "nc_officer", "--kind", "dingtalk", "--address", WEBHOOK], "--secret"),
        (["--user", "nc_officer", "--kind", "wecom", "--address", "https://q.example/send?key=k-1234", "--secret", "x"], "--secret"),
    ],
)
def test_the_command_refuses_bad_input_naming_the_field_and_adds_nothing(nanchang_officer, args, field):
    with pytest.raises(CommandError) as refused:
        add(*args)
    assert str(refused.value).startswith(field)
    assert not Channel.objects.exists()


def test_the_same_channel_twice_is_refused(nanchang_officer):
    add("--user", "nc_officer", "--kind", "sms", "--address", "13800000001")
    with pytest.raises(CommandError, match="--address"):
        add("--user", "nc_officer", "--kind", "sms", "--address", "13800000001")
    assert Channel.objects.count() == 1


@pytest.fixture
def robot_channel(nanchang_officer):
    add("--user", "nc_officer", "--kind", "dingtalk", "--address", WEBHOOK, "--secret", SECRET)
    return Channel.objects.get()


def test_the_admin_never_shows_a_robots_key_or_secret(admin_client, robot_channel):
    listing = admin_client.get("/admin/notifications/channel/").content.decode()
    change = admin_client.get(f"/admin/notifications/channel/{robot_channel.pk}/change/").content.decode()

    for page in (listing, change):
        assert "tok-0123456789abcdef" not in page and SECRET not in page
    assert "access_token=***" in listing


def test_saving_in_the_admin_with_the_secret_fields_left_empty_keeps_them(admin_client, robot_channel, nanchang_officer):
    answer = admin_client.post(
        f"/admin/notifications/channel/{robot_channel.pk}/change/",
        {"kind": "dingtalk", "user": nanchang_officer.pk, "label": "南昌群", "address": "", "secret": "", "is_active": "on"},
    )
    assert answer.status_code == 302
    robot_channel.refresh_from_db()
    assert (robot_channel.label, robot_channel.address, robot_channel.secret) == ("南昌群", WEBHOOK, SECRET)


def test_the_admin_refuses_a_webhook_without_its_key(admin_client, nanchang_officer):
    answer = admin_client.post(
        "/admin/notifications/channel/add/",
        {"kind": "wecom", "user": nanchang_officer.pk, "address": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "is_active": "on"},
    )
    assert answer.status_code == 200 and "key" in answer.context["adminform"].form.errors["address"][0]
    assert not Channel.objects.exists()


def test_the_reminder_log_in_the_admin_shows_the_masked_address_and_the_answer(admin_client, robot_channel, nanchang_officer):
    import datetime

    from reminders.models import ReminderLog

    ReminderLog.objects.create(
        recipient=nanchang_officer, kind="city", digest_on=datetime.date(2024, 3, 15), channel=robot_channel,
        channel_kind="dingtalk", state="failed", email=robot_channel.masked, answer='{"errcode":310000,"errmsg":"sign not match"}',
    )  # fmt: skip
    page = admin_client.get("/admin/reminders/reminderlog/").content.decode()
    assert "sign not match" in page and "access_token=***" in page and "tok-0123456789abcdef" not in page
