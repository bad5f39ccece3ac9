"""The supervisors' province digest: overdue per city, escalations and the
acceptance queue."""

import datetime

import pytest
import time_machine
from django.core import mail

from cases.workflow import transition
from tests.conftest import shanghai
from tests.factories import CaseFactory, UserFactory

TODAY = datetime.date(2024, 3, 15)
pytestmark = pytest.mark.django_db


def province_mail(supervisor):
    messages = [m for m in mail.outbox if m.to == [supervisor.email]]
    assert len(messages) == 1
    return messages[0]


def submitted_on(day: datetime.date, case, officer):
    """Put ``case`` into the acceptance queue on ``day`` the way a city does."""
    with time_machine.travel(shanghai(day.year, day.month, day.day, 16, 0), tick=False):
        return transition(case=case, to="pending_acceptance", actor=officer, note="整改完成，申请验收（合成）")


def test_the_supervisor_sees_overdue_counts_per_city(run_day, supervisor, nanchang, jiujiang, overdue_case):
    for days in (1, 2, 3):
        overdue_case(nanchang, TODAY, days=days)
    overdue_case(jiujiang, TODAY, days=1)
    overdue_case(None, TODAY, days=1)  # province-level

    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        run_day(TODAY)

    message = province_mail(supervisor)
    assert message.subject.startswith("2024-03-15 全省整改督办汇总：逾期 5 件")
    assert "南昌市：逾期 3 件" in message.body
    assert "九江市：逾期 1 件" in message.body
    assert "景德镇市：逾期 0 件" in message.body
    assert "省级：逾期 1 件" in message.body


def test_cases_overdue_more_than_thirty_days_are_escalated(run_day, supervisor, nanchang, overdue_case):
    escalated = overdue_case(nanchang, TODAY, days=31, title="逾期三十一天（合成）")
    not_yet = overdue_case(nanchang, TODAY, days=30, title="逾期三十天（合成）")

    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        run_day(TODAY)

    message = province_mail(supervisor)
    assert "逾期超 30 天 1 件" in message.subject
    escalations = message.body.split("逾期超过 30 天")[1].split("待验收超过")[0]
    assert escalated.title in escalations and "逾期 31 天" in escalations
    assert not_yet.title not in escalations


def test_the_escalation_threshold_is_a_setting(run_day, supervisor, nanchang, overdue_case, settings):
    settings.ESCALATION_DAYS = 10
    overdue_case(nanchang, TODAY, days=11)

    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        run_day(TODAY)

    assert "逾期超 10 天 1 件" in province_mail(supervisor).subject


def test_the_acceptance_queue_holds_cases_waiting_more_than_seven_working_days(run_day, supervisor, nanchang_officer, nanchang):
    """Working days, as the review queues count: on Friday 15 March 2024 a
    case submitted on Tuesday 5 March has waited 8 working days (listed),
    one submitted on Wednesday 6 March 7 (not), whatever the calendar days."""
    waiting = CaseFactory(city=nanchang, status="in_progress", title="等待八个工作日（合成）")
    recent = CaseFactory(city=nanchang, status="in_progress", title="等待七个工作日（合成）")
    resubmitted = CaseFactory(city=nanchang, status="in_progress", title="被退回后重新提交（合成）")
    submitted_on(datetime.date(2024, 3, 5), waiting, nanchang_officer)
    submitted_on(datetime.date(2024, 3, 6), recent, nanchang_officer)
    submitted_on(TODAY - datetime.timedelta(days=20), resubmitted, nanchang_officer)
    with time_machine.travel(shanghai(2024, 3, 10, 10, 0), tick=False):
        transition(case=resubmitted, to="in_progress", actor=supervisor, note="材料不全，退回（合成）")
    submitted_on(TODAY - datetime.timedelta(days=2), resubmitted, nanchang_officer)

    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        run_day(TODAY)

    message = province_mail(supervisor)
    assert "待验收 1 件" in message.subject
    queue = message.body.split("待验收超过 7 个工作日")[1]
    assert waiting.title in queue and "已等待 8 个工作日" in queue
    assert recent.title not in queue and resubmitted.title not in queue
    assert f"/cases/{waiting.pk}/" in queue


def test_the_acceptance_queue_skips_a_holiday_week(run_day, supervisor, nanchang_officer, nanchang):
    """Across National Day 2024 (1-7 October off, Sunday 29 September and
    Saturday 12 October worked): submitted on Friday 27 September, a case
    has waited 11 calendar days but only 3 working days on Tuesday 8 October."""
    case = CaseFactory(city=nanchang, status="in_progress", title="国庆前提交（合成）")
    submitted_on(datetime.date(2024, 9, 27), case, nanchang_officer)
    day = datetime.date(2024, 10, 8)
    with time_machine.travel(shanghai(2024, 10, 8, 9, 0), tick=False):
        run_day(day)
    assert case.title not in province_mail(supervisor).body.split("待验收超过 7 个工作日")[1]


def test_officers_get_no_province_digest_and_supervisors_no_city_digest(run_day, supervisor, nanchang_officer, jiujiang, overdue_case):
    overdue_case(jiujiang, TODAY, days=3, title="九江逾期（合成）")

    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        run_day(TODAY)

    assert [m.to for m in mail.outbox] == [[supervisor.email]]  # Nanchang has nothing
    assert "九江市：逾期 1 件" in mail.outbox[0].body


def test_a_province_with_nothing_to_report_sends_nothing(run_day, supervisor, nanchang_officer, nanchang):
    CaseFactory(city=nanchang, deadline=TODAY + datetime.timedelta(days=60))
    CaseFactory(city=nanchang, deadline=TODAY - datetime.timedelta(days=60), status="closed")

    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        report = run_day(TODAY)

    assert mail.outbox == [] and report.lines == []


def test_api_clients_and_inactive_people_get_nothing(run_day, supervisor, write_client, province_client, nanchang, overdue_case):
    UserFactory(username="gone", role="officer", city=nanchang, is_active=False)
    overdue_case(nanchang, TODAY, days=3)

    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        run_day(TODAY)

    assert [m.to for m in mail.outbox] == [[supervisor.email]]


def test_the_per_city_counts_agree_with_the_case_querysets(nanchang, jiujiang):
    from cases.models import Case
    from reminders.selectors import counts_by_city, escalations

    for city in (nanchang, jiujiang, None):
        # Friday 15 March 2024: 8 (Saturday) has five working days left, 12
        # (Wednesday 27) is the eighth working day, no longer due soon.
        for offset in (-31, -30, -1, 0, 7, 8, 12):
            CaseFactory(city=city, deadline=TODAY + datetime.timedelta(days=offset), status="in_progress")
        CaseFactory(city=city, deadline=TODAY - datetime.timedelta(days=40), status="pending_acceptance")
        CaseFactory(city=city, deadline=TODAY - datetime.timedelta(days=40), status="closed")

    counts = counts_by_city(today=TODAY)

    cases = Case.objects.not_withdrawn()
    for city in (nanchang, jiujiang, None):
        key = city.pk if city else None
        assert counts[key] == {
            "overdue": cases.overdue(TODAY).filter(city=city).count(),
            "escalated": escalations(today=TODAY).filter(city=city).count(),
            "due_soon": cases.due_soon(TODAY).filter(city=city).count(),
        } == {"overdue": 3, "escalated": 1, "due_soon": 3}
