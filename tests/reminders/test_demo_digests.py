"""The digests on the demo data (seed_demo), with time pinned: what each
role receives agrees with the case lists everyone else uses."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from accounts.models import User
from cases.models import Case, City
from reminders.selectors import acceptance_queue, escalations
from tests.conftest import shanghai

TODAY = datetime.date(2024, 3, 15)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, seeded once for this module and rolled back after it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with time_machine.travel(shanghai(2024, 3, 15, 8, 0), tick=False):
                call_command("seed_demo", "--password", "x", "--today", TODAY.isoformat(), verbosity=0, stdout=None)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def sent(demo, db, run_day):
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        run_day(TODAY)
    return {message.to[0]: message for message in mail.outbox}


def test_every_officer_with_something_due_gets_one_digest_of_their_own_scope(sent):
    # City bureaus, Jiujiang's county bureaus and the unit accounts alike.
    officers = User.objects.filter(role="officer").select_related("city", "division", "unit")
    with_news = 0
    for officer in officers:
        overdue = Case.objects.for_user(officer).overdue(TODAY)
        due_soon = Case.objects.for_user(officer).due_soon(TODAY)
        if not (overdue.exists() or due_soon.exists()):
            assert officer.email not in sent, officer.username
            continue
        with_news += 1
        message = sent[officer.email]
        place = (officer.unit or officer.division).name
        assert f"{place}整改提醒：逾期 {overdue.count()} 件，7 个工作日内到期 {due_soon.count()} 件" in message.subject
        references = re.findall(r"^- (\S+) ", message.body, flags=re.MULTILINE)
        expected = list(overdue.by_days_overdue().values_list("reference", flat=True))
        expected += list(due_soon.order_by("deadline", "id").values_list("reference", flat=True))
        assert references == expected, officer.username
        others = Case.objects.not_withdrawn().exclude(city=officer.city).values_list("reference", flat=True)
        assert not set(references) & set(others)
    assert with_news >= 3  # the demo spreads its open cases over several cities


def test_the_supervisor_digest_agrees_with_the_overdue_lists(sent):
    supervisor = User.objects.get(username="supervisor")
    message = sent[supervisor.email]
    overdue = Case.objects.not_withdrawn().overdue(TODAY)
    assert f"逾期 {overdue.count()} 件" in message.subject
    assert f"逾期超 30 天 {escalations(today=TODAY).count()} 件" in message.subject
    assert f"待验收 {acceptance_queue(today=TODAY).count()} 件" in message.subject
    for city in City.objects.all():
        assert f"{city.name}：逾期 {overdue.filter(city=city).count()} 件" in message.body
    for case in escalations(today=TODAY):
        assert f"/cases/{case.pk}/" in message.body


def test_nobody_else_gets_mail(sent):
    recipients = set(User.objects.filter(role__in=["officer", "supervisor"]).values_list("email", flat=True))
    assert set(sent) <= recipients
    assert len(mail.outbox) == len(sent)


def test_the_county_bureaus_and_units_get_digests_of_their_own(sent):
    narrower = User.objects.filter(role="officer").exclude(division__code__endswith="00", unit__isnull=True)
    assert narrower.count() == 15
    got = [officer for officer in narrower.select_related("division", "unit") if officer.email in sent]
    assert len(got) >= 2  # a county bureau and a unit have open cases due in the demo
    for officer in got:
        assert f"{(officer.unit or officer.division).name}整改提醒" in sent[officer.email].subject