"""An officer's daily digest: their city's overdue and due-soon cases."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from tests.conftest import shanghai
from tests.factories import CaseFactory

TODAY = datetime.date(2024, 3, 15)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nine_in_the_morning():
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        yield


def only_message_to(user):
    messages = [m for m in mail.outbox if m.to == [user.email]]
    assert len(messages) == 1, [m.subject for m in mail.outbox]
    return messages[0]


def test_an_officer_gets_the_overdue_cases_most_days_overdue_first(run_day, nanchang_officer, nanchang, overdue_case):
    late = overdue_case(nanchang, TODAY, days=3, title="三天前到期（合成）")
    later = overdue_case(nanchang, TODAY, days=40, title="四十天前到期（合成）")

    run_day(TODAY)

    message = only_message_to(nanchang_officer)
    assert "2024-03-15" in message.subject
    assert "逾期 2 件" in message.subject
    body = message.body
    assert body.index(later.title) < body.index(late.title)
    assert "截止日期 2024-02-04，逾期 40 天" in body
    assert "截止日期 2024-03-12，逾期 3 天" in body
    assert f"http://127.0.0.1:8000/cases/{later.pk}/" in body


def test_the_digest_lists_cases_due_within_seven_working_days_but_not_later(run_day, nanchang_officer, nanchang):
    # Friday 15 March 2024: Tuesday 26 is the seventh working day, Wednesday 27 the eighth.
    soon = CaseFactory(city=nanchang, deadline=datetime.date(2024, 3, 26), title="七个工作日后到期（合成）")
    today = CaseFactory(city=nanchang, deadline=TODAY, title="今天到期（合成）")
    later = CaseFactory(city=nanchang, deadline=datetime.date(2024, 3, 27), title="八个工作日后到期（合成）")

    run_day(TODAY)

    message = only_message_to(nanchang_officer)
    assert "逾期 0 件" in message.subject and "7 个工作日内到期 2 件" in message.subject
    assert soon.title in message.body and today.title in message.body
    assert later.title not in message.body


def test_the_digest_comes_as_plain_text_and_html_with_links(run_day, nanchang_officer, nanchang, overdue_case):
    case = overdue_case(nanchang, TODAY, days=5, title="<b>标题</b>（合成）")

    run_day(TODAY)

    message = only_message_to(nanchang_officer)
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'<a href="http://127.0.0.1:8000/cases/{case.pk}/">{case.reference}</a>' in html
    assert "&lt;b&gt;标题&lt;/b&gt;" in html  # titles are escaped in HTML...
    assert "<b>标题</b>" in message.body  # ...and left alone in plain text


def test_an_officer_whose_city_has_nothing_due_gets_no_message(run_day, nanchang_officer, jiujiang_officer, jiujiang, overdue_case):
    overdue_case(jiujiang, TODAY, days=1)
    CaseFactory(city=nanchang_officer.city, deadline=TODAY + datetime.timedelta(days=30))

    report = run_day(TODAY)

    assert [m.to for m in mail.outbox] == [[jiujiang_officer.email]]
    assert [line.digest.username for line in report.lines] == [jiujiang_officer.username]


def test_an_officer_sees_only_their_own_citys_cases(run_day, nanchang_officer, jiujiang_officer, nanchang, jiujiang, overdue_case):
    ours = overdue_case(nanchang, TODAY, days=2, title="南昌的问题（合成）")
    theirs = overdue_case(jiujiang, TODAY, days=2, title="九江的问题（合成）")

    run_day(TODAY)

    nanchang_mail = only_message_to(nanchang_officer)
    jiujiang_mail = only_message_to(jiujiang_officer)
    assert ours.title in nanchang_mail.body and theirs.title not in nanchang_mail.body
    assert theirs.title in jiujiang_mail.body and ours.title not in jiujiang_mail.body


def test_submitted_closed_and_withdrawn_cases_are_not_the_citys_delay(run_day, nanchang_officer, nanchang, overdue_case):
    past = TODAY - datetime.timedelta(days=10)
    CaseFactory(city=nanchang, deadline=past, status="pending_acceptance")
    CaseFactory(city=nanchang, deadline=past, status="closed")
    overdue_case(nanchang, TODAY, days=10, withdrawn_at=timezone.now())

    run_day(TODAY)

    assert mail.outbox == []


def test_a_day_the_job_did_not_run_loses_nothing(run_day, nanchang_officer, nanchang, overdue_case):
    case = overdue_case(nanchang, TODAY, days=1)  # became overdue yesterday, when nothing ran

    run_day(TODAY + datetime.timedelta(days=1))

    message = only_message_to(nanchang_officer)
    assert "2024-03-16" in message.subject
    assert case.title in message.body and "逾期 2 天" in message.body


def test_an_english_speaking_officer_gets_the_digest_in_english(run_day, english_officer, jiujiang, overdue_case):
    overdue_case(jiujiang, TODAY, days=1)

    run_day(TODAY)

    message = only_message_to(english_officer)
    assert message.subject == "2024-03-15 Jiujiang rectification reminder: 1 overdue, 0 due within 7 working days"
    assert "Deadline 2024-03-14, 1 day overdue" in message.body


def test_a_long_list_is_cut_but_the_counts_stay_exact(run_day, nanchang_officer, nanchang, overdue_case, settings):
    settings.REMINDER_LIST_LIMIT = 2
    for days in (1, 2, 3):
        overdue_case(nanchang, TODAY, days=days)

    run_day(TODAY)

    message = only_message_to(nanchang_officer)
    assert "逾期 3 件" in message.subject
    assert message.body.count("/cases/") == 2 + 1  # two cases and the link to the rest
    assert "还有 1 件" in message.body
