"""A long-term case overdue because a milestone (阶段性目标) passed unmet:
the digest says which target and of when, not only a deadline; a case late
on its ordinary deadline still says the deadline."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.milestones import add_milestone
from tests.conftest import shanghai
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 15)


@pytest.fixture(autouse=True)
def pinned_day():
    with time_machine.travel(shanghai(2026, 3, 15, 9, 0), tick=False):
        yield


@pytest.fixture
def long_term(nanchang):
    return CaseFactory(city=nanchang, status="in_progress", deadline_type="long_term", deadline=None, title="合成：长期坚持问题")


def message_to(user):
    [message] = [m for m in mail.outbox if m.to == [user.email]]
    return message


def test_the_digest_names_the_missed_target_and_its_date(run_day, long_term, supervisor, nanchang_officer, nanchang):
    add_milestone(case=long_term, actor=supervisor, due_on="2025-12-31", target="完成一期截污纳管（合成）")
    add_milestone(case=long_term, actor=supervisor, due_on="2026-12-31", target="完成二期（合成）")
    dated = CaseFactory(city=nanchang, status="in_progress", deadline=datetime.date(2026, 3, 1), title="合成：限期问题")

    run_day(TODAY)

    message = message_to(nanchang_officer)
    assert "阶段性目标（2025-12-31）未完成：完成一期截污纳管（合成），逾期 74 天" in message.body
    assert "截止日期 2025-12-31" not in message.body
    assert "完成二期（合成）" not in message.body  # still to come
    html = message.alternatives[0][0]
    assert "阶段性目标（2025-12-31）未完成：完成一期截污纳管（合成）" in html
    # A case late on its own deadline says the deadline, as before.
    assert f"{dated.title}\n  截止日期 2026-03-01，逾期 14 天" in message.body


def test_in_english_and_with_two_targets_missed_it_names_the_earliest_and_the_count(run_day, long_term, supervisor, nanchang):
    officer = UserFactory(username="nc_english", role="officer", city=nanchang, language="en")
    add_milestone(case=long_term, actor=supervisor, due_on="2025-06-30", target="Phase one <synthetic>")
    add_milestone(case=long_term, actor=supervisor, due_on="2025-12-31", target="Phase two (synthetic)")

    run_day(TODAY)

    message = message_to(officer)
    assert "Milestone (阶段性目标) of 2025-06-30 not met: Phase one <synthetic> (2 milestones missed), 258 days overdue" in message.body
    assert "Phase one &lt;synthetic&gt;" in message.alternatives[0][0]  # escaped in HTML


def test_a_met_target_is_not_the_missed_one(run_day, long_term, supervisor, nanchang_officer):
    add_milestone(case=long_term, actor=supervisor, due_on="2025-06-30", target="已完成的目标（合成）", met_on="2025-06-20")
    add_milestone(case=long_term, actor=supervisor, due_on="2025-12-31", target="未完成的目标（合成）")

    run_day(TODAY)

    body = message_to(nanchang_officer).body
    assert "阶段性目标（2025-12-31）未完成：未完成的目标（合成），逾期 74 天" in body
    assert "已完成的目标（合成）" not in body


def test_the_province_digests_escalations_name_the_missed_target(run_day, long_term, supervisor):
    add_milestone(case=long_term, actor=supervisor, due_on="2025-12-31", target="年度目标（合成）")

    run_day(TODAY)

    assert "阶段性目标（2025-12-31）未完成：年度目标（合成），逾期 74 天" in message_to(supervisor).body


def test_finding_the_missed_targets_is_one_query_for_every_digest(run_day, long_term, supervisor, nanchang_officer, nanchang):
    add_milestone(case=long_term, actor=supervisor, due_on="2025-12-31", target="年度目标（合成）")
    for n in range(5):
        case = CaseFactory(city=nanchang, status="in_progress", deadline_type="long_term", deadline=None)
        add_milestone(case=case, actor=supervisor, due_on="2025-11-30", target=f"目标{n}（合成）")

    with CaptureQueriesContext(connection) as captured:
        run_day(TODAY)

    milestone_reads = [q["sql"] for q in captured.captured_queries if "cases_milestone" in q["sql"]]
    # One for the in-app copies' digests, one for the e-mailed batch: not one per case.
    assert len(milestone_reads) == 2
    assert message_to(nanchang_officer).body.count("未完成：") == 6
