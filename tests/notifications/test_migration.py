"""The reminder log gains channels: the rows written before stay, each as
the account's e-mail, and still keep a second e-mail off the same day."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("reminders", "0001_initial"), ("notifications", None)]
AFTER = [("reminders", "0002_reminder_channels")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


@pytest.fixture(autouse=True)
def back_to_the_latest_schema():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_reminders_become_email_rows_and_nothing_is_dropped(nanchang_officer, supervisor):
    old = migrate(BEFORE)
    Log = old.get_model("reminders", "ReminderLog")
    day = datetime.date(2024, 3, 15)
    Log.objects.create(recipient_id=nanchang_officer.pk, kind="city", digest_on=day, state="sent", email="nc@example.test")
    Log.objects.create(recipient_id=supervisor.pk, kind="province", digest_on=day, state="failed", last_error="451")

    new = migrate(AFTER)
    Log = new.get_model("reminders", "ReminderLog")

    rows = sorted(Log.objects.values_list("kind", "state", "channel_kind", "channel_id", "email"))
    assert rows == [("city", "sent", "email", None, "nc@example.test"), ("province", "failed", "email", None, "")]
    with pytest.raises(IntegrityError), transaction.atomic():
        Log.objects.create(recipient_id=nanchang_officer.pk, kind="city", digest_on=day, channel_kind="email")


def test_existing_urgings_keep_their_city_as_the_division_urged(supervisor):
    old = migrate([("notifications", "0002_urgings")])
    Urging = old.get_model("notifications", "Urging")
    due = datetime.datetime(2024, 3, 18, 2, 0, tzinfo=datetime.UTC)
    Urging.objects.create(urged_by_id=supervisor.pk, city_id="360100", note="请尽快整改", receipt_due_at=due)
    Urging.objects.create(urged_by_id=supervisor.pk, city_id="360400", note="x", receipt_due_at=due, escalated_at=due)

    new = migrate([("notifications", "0003_urging_division")])
    Urging = new.get_model("notifications", "Urging")

    rows = sorted(Urging.objects.values_list("division_id", "note", "escalated_at"))
    assert rows == [("360100", "请尽快整改", None), ("360400", "x", due)]


def test_existing_channels_stay_their_accounts_when_groups_may_own_channels(nanchang_officer):
    old = migrate([("notifications", "0003_urging_division")])
    Channel = old.get_model("notifications", "Channel")
    Channel.objects.create(user_id=nanchang_officer.pk, kind="sms", address="13800000001", label="手机")

    new = migrate([("notifications", "0004_channel_groups")])
    Channel = new.get_model("notifications", "Channel")

    assert list(Channel.objects.values_list("user_id", "division_id", "unit_id", "address")) == [
        (nanchang_officer.pk, None, None, "13800000001")
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.create(user_id=nanchang_officer.pk, division_id="360100", kind="sms", address="13800000002")


def test_existing_urgings_stay_urgings_of_the_division_when_a_city_may_urge_its_units(supervisor):
    old = migrate([("notifications", "0005_notification_kind_sign_off")])
    Urging = old.get_model("notifications", "Urging")
    due = datetime.datetime(2024, 3, 18, 2, 0, tzinfo=datetime.UTC)
    Urging.objects.create(urged_by_id=supervisor.pk, division_id="360403", note="请尽快整改", receipt_due_at=due)

    new = migrate([("notifications", "0006_urging_to_units")])
    Urging = new.get_model("notifications", "Urging")

    assert list(Urging.objects.values_list("division_id", "note", "to_units")) == [("360403", "请尽快整改", False)]


def test_existing_reminders_keep_their_accounts_when_a_group_channel_may_go_without_one(nanchang_officer):
    old = migrate([("reminders", "0003_urging_deliveries")])
    Log = old.get_model("reminders", "ReminderLog")
    day = datetime.date(2024, 3, 15)
    Log.objects.create(recipient_id=nanchang_officer.pk, kind="city", digest_on=day, state="sent", email="nc@example.test")

    new = migrate([("reminders", "0004_group_channel_without_account")])
    Log = new.get_model("reminders", "ReminderLog")
    Channel = new.get_model("notifications", "Channel")

    assert list(Log.objects.values_list("recipient_id", "kind", "state")) == [(nanchang_officer.pk, "city", "sent")]
    group = Channel.objects.create(division_id="360100", kind="wecom", address="https://qyapi.example/send?key=k")
    Log.objects.create(recipient_id=None, channel_id=group.pk, channel_kind="wecom", kind="city", digest_on=day)
    with pytest.raises(IntegrityError), transaction.atomic():  # one row per channel and day, account or none
        Log.objects.create(recipient_id=nanchang_officer.pk, channel_id=group.pk, channel_kind="wecom", kind="city", digest_on=day)
    with pytest.raises(IntegrityError), transaction.atomic():  # no account and no channel: nobody
        Log.objects.create(recipient_id=None, kind="city", digest_on=day)


def test_existing_reminders_were_not_found_at_the_sms_service(nanchang_officer):
    old = migrate([("reminders", "0004_group_channel_without_account")])
    Log = old.get_model("reminders", "ReminderLog")
    day = datetime.date(2024, 3, 15)
    Log.objects.create(recipient_id=nanchang_officer.pk, kind="city", digest_on=day, state="sent", answer='{"Code": "OK"}')

    new = migrate([("reminders", "0005_sms_found_at_provider")])
    Log = new.get_model("reminders", "ReminderLog")

    assert list(Log.objects.values_list("state", "answer", "found_at_provider")) == [("sent", '{"Code": "OK"}', False)]
