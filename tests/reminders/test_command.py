"""python manage.py send_reminders: the same job, run in this process."""

import datetime
import io

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from reminders.models import ReminderLog
from tests.conftest import shanghai
from tests.factories import CaseFactory

TODAY = datetime.date(2024, 3, 15)


def send_reminders(*args) -> str:
    out = io.StringIO()
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def nanchang_behind(nanchang, overdue_case):
    overdue_case(nanchang, TODAY, days=3)
    overdue_case(nanchang, TODAY, days=9)
    CaseFactory(city=nanchang, deadline=TODAY + datetime.timedelta(days=2))


# The command runs outside any transaction, as in production: these tests
# commit, so that the tasks queued "after commit" do run.
@pytest.mark.django_db(transaction=True)
def test_it_prints_one_line_per_recipient_and_a_total(celery_in_process, supervisor, nanchang_officer, jiujiang_officer, nanchang_behind):
    output = send_reminders("--date", "2024-03-15")

    lines = output.strip().splitlines()
    assert len(lines) == 3  # the supervisor, Nanchang's officer, the total; Jiujiang has nothing
    officer_line = next(line for line in lines if line.startswith("nc_officer "))
    assert "overdue      2" in officer_line and "due soon      1" in officer_line and officer_line.endswith("sent")
    assert lines[-1].startswith("2024-03-15: 2 digests") and "2 sent" in lines[-1]
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_a_second_run_says_the_digests_went_out_already(celery_in_process, nanchang_officer, nanchang_behind):
    send_reminders()

    output = send_reminders()

    assert "already sent" in output and "1 done by an earlier run" in output
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_dry_run_sends_nothing_and_claims_nothing(celery_in_process, supervisor, nanchang_officer, nanchang_behind):
    output = send_reminders("--dry-run")

    assert "nc_officer" in output and "would send" in output
    assert "dry run, nothing sent or recorded" in output
    assert mail.outbox == [] and not ReminderLog.objects.exists()


@pytest.mark.django_db
def test_with_nothing_due_anywhere_it_sends_nothing(celery_in_process, supervisor, nanchang_officer):
    output = send_reminders()

    assert output.strip() == "2024-03-15: 0 digests (0 overdue and 0 due-soon cases in the city digests): " \
        "0 sent, 0 queued, 0 retrying, 0 sending, 0 skipped, 0 failed; 0 done by an earlier run."
    assert mail.outbox == [] and not ReminderLog.objects.exists()


@pytest.mark.django_db
def test_a_malformed_date_is_refused_naming_the_option():
    with pytest.raises(CommandError, match="--date"):
        send_reminders("--date", "15/03/2024")
