"""An SMS goes out at most once even when the worker sending it dies
after the service accepted it: every SMS carries the reminder row's id as
its OutId, and a row taken over (or retried) after an attempt that may have
reached the service is first looked up with QuerySendDetails. The fake
service answers that question from what it actually accepted."""

import datetime
import json

import pytest
import time_machine

from notifications.clients import AliyunSms, ChannelError
from notifications.services import add_channel
from reminders.models import DigestState, ReminderLog
from reminders.tasks import sweep_reminders
from tests.conftest import shanghai

TODAY = datetime.date(2024, 3, 15)
PHONE = "13800000001"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nine_in_the_morning():
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        yield


@pytest.fixture
def sms_row(run_day, robots, nanchang, overdue_case, nanchang_officer):
    """The Nanchang officer's SMS digest of the day, sent once."""
    overdue_case(nanchang, TODAY, days=3)
    add_channel(user=nanchang_officer, kind="sms", address=PHONE)
    run_day(TODAY)
    return ReminderLog.objects.get(recipient=nanchang_officer, channel_kind="sms")


def left_sending_by_a_dead_worker(row):
    """As a worker killed after it sent ``row``'s message (or before) leaves it."""
    ReminderLog.objects.filter(pk=row.pk).update(
        state=DigestState.SENDING, claimed_at=shanghai(2024, 3, 15, 9, 0), attempts=1, answer="", sent_at=None
    )


def sweep_after_the_claim_is_stale(settings):
    settings.REMINDER_STALE_CLAIM_MINUTES = 2
    with time_machine.travel(shanghai(2024, 3, 15, 9, 2, 1), tick=False):
        sweep_reminders.delay().get()


def test_every_sms_carries_its_rows_id_as_out_id(sms_row, robots):
    [message] = robots.messages(PHONE)
    assert message.query["OutId"] == f"reminder-{sms_row.pk}"
    assert (sms_row.state, sms_row.found_at_provider) == (DigestState.SENT, False)
    assert robots.queries == []  # a first attempt asks nothing


def test_a_taken_over_sms_the_service_already_accepted_is_not_sent_again(sms_row, robots, settings, celery_in_process):
    left_sending_by_a_dead_worker(sms_row)

    sweep_after_the_claim_is_stale(settings)

    assert len(robots.messages(PHONE)) == 1
    sms_row.refresh_from_db()
    assert (sms_row.state, sms_row.attempts, sms_row.found_at_provider) == (DigestState.SENT, 2, True)
    assert json.loads(sms_row.answer)["OutId"] == f"reminder-{sms_row.pk}"
    [query] = robots.queries
    assert (query["PhoneNumber"], query["SendDate"]) == (PHONE, "20240315")


def test_a_taken_over_sms_the_service_never_got_is_sent_once(sms_row, robots, settings, celery_in_process):
    robots.received.clear()  # the worker died before the service accepted it
    left_sending_by_a_dead_worker(sms_row)

    sweep_after_the_claim_is_stale(settings)
    sweep_after_the_claim_is_stale(settings)

    [message] = robots.messages(PHONE)
    assert message.query["OutId"] == f"reminder-{sms_row.pk}"
    sms_row.refresh_from_db()
    assert (sms_row.state, sms_row.found_at_provider) == (DigestState.SENT, False)
    assert json.loads(sms_row.answer)["Code"] == "OK"


def test_a_failing_query_sends_nothing_until_it_is_answered_then_sends_once(sms_row, robots, settings, celery_in_process):
    robots.received.clear()
    left_sending_by_a_dead_worker(sms_row)
    robots.fail_queries += [(500, {"Code": "ServiceUnavailable", "Message": "busy"}), (200, {"Code": "isp.SYSTEM_ERROR"})]

    sweep_after_the_claim_is_stale(settings)  # the retries run at once in this process

    [message] = robots.messages(PHONE)
    assert message.query["OutId"] == f"reminder-{sms_row.pk}"
    assert len(robots.queries) == 3  # two failed, the third answered "not there"
    sms_row.refresh_from_db()
    assert (sms_row.state, sms_row.attempts, sms_row.found_at_provider) == (DigestState.SENT, 4, False)


def test_a_query_that_keeps_failing_leaves_the_sms_failed_and_unsent_with_the_reason(sms_row, robots, settings, celery_in_process):
    settings.REMINDER_MAX_ATTEMPTS = 3
    robots.received.clear()
    left_sending_by_a_dead_worker(sms_row)
    robots.fail_queries += [(500, {"Code": "ServiceUnavailable", "Message": "busy"})] * 5

    sweep_after_the_claim_is_stale(settings)

    assert robots.messages(PHONE) == []
    sms_row.refresh_from_db()
    assert (sms_row.state, sms_row.attempts) == (DigestState.FAILED, 3)
    assert "QuerySendDetails" in sms_row.last_error and "ServiceUnavailable" in sms_row.answer


def test_the_query_finds_a_message_past_the_first_page_and_only_with_its_own_out_id(robots):
    client = AliyunSms()
    for n in range(60):
        client.send(phone=PHONE, template_code="SMS_000000001", params={"n": str(n)}, out_id=f"reminder-{n}")
    client.send(phone="13800000002", template_code="SMS_000000001", params={}, out_id="reminder-99")

    found = client.find_sent(phone=PHONE, out_id="reminder-55", dates=[TODAY])

    assert json.loads(json.loads(found)["Content"]) == {"n": "55"}
    assert client.find_sent(phone=PHONE, out_id="reminder-99", dates=[TODAY]) is None
    assert client.find_sent(phone=PHONE, out_id="reminder-55", dates=[TODAY - datetime.timedelta(days=1)]) is None
    assert [q["CurrentPage"] for q in robots.queries[:2]] == ["1", "2"]


def test_a_refused_query_is_an_error_without_the_secret(robots):
    robots.fail_queries.append((403, {"Code": "InvalidAccessKeyId.NotFound", "Message": "test-access-secret-0001"}))
    with pytest.raises(ChannelError) as refused:
        AliyunSms().find_sent(phone=PHONE, out_id="reminder-1", dates=[TODAY])
    assert "QuerySendDetails" in str(refused.value)
    assert "test-access-secret-0001" not in str(refused.value) + refused.value.answer
