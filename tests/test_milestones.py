"""Milestones (阶段性目标) of long-term cases: the case's deadline is the
date of its earliest unmet target, kept by the services that add, edit
and mark targets; so a missed target makes the case overdue in the lists,
the statistics and the reminders like any deadline."""

import datetime

import pytest
import time_machine
from django.core import mail

from cases.errors import CaseNotVisible, ConcurrentChange, InvalidInput, RoleNotAllowed
from cases.milestones import MilestoneNotFound, add_milestone, edit_milestone, mark_met, unmark_met
from cases.models import Case, Milestone
from cases.services import update_case
from cases.statistics import case_statistics
from tests.conftest import shanghai
from tests.factories import CaseFactory, UserFactory

TODAY = datetime.date(2026, 3, 15)
MISSED = datetime.date(2025, 12, 31)
NEXT = datetime.date(2026, 12, 31)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def pinned_day():
    with time_machine.travel(shanghai(2026, 3, 15, 9, 0), tick=False):
        yield


@pytest.fixture
def long_term(nanchang):
    return CaseFactory(city=nanchang, status="in_progress", deadline_type="long_term", deadline=None, title="长期坚持（合成）")


def test_the_deadline_is_the_earliest_unmet_target(long_term, supervisor):
    add_milestone(case=long_term, actor=supervisor, due_on="2026-12-31", target="完成二期整治（合成）")
    assert long_term.deadline == NEXT and long_term.version == 2
    first = add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="完成一期整治（合成）")
    assert long_term.deadline == MISSED
    mark_met(case=long_term, actor=supervisor, milestone_id=first.pk, met_on=datetime.date(2025, 12, 20))
    assert long_term.deadline == NEXT
    first.refresh_from_db()
    assert (first.met_on, first.met_by) == (datetime.date(2025, 12, 20), supervisor)
    unmark_met(case=long_term, actor=supervisor, milestone_id=first.pk)
    first.refresh_from_db()
    assert (long_term.deadline, first.met_on, first.met_by) == (MISSED, None, None)
    edit_milestone(case=long_term, actor=supervisor, milestone_id=first.pk, data={"due_on": "2027-06-30"})
    assert long_term.deadline == NEXT
    for milestone in Milestone.objects.filter(case=long_term):
        mark_met(case=long_term, actor=supervisor, milestone_id=milestone.pk)
    assert long_term.deadline is None
    assert Case.objects.get(pk=long_term.pk).deadline is None


def test_each_change_is_a_version_with_its_event(long_term, nanchang_officer):
    milestone = add_milestone(case=long_term, actor=nanchang_officer, due_on=MISSED, target="年度目标（合成）")
    mark_met(case=long_term, actor=nanchang_officer, milestone_id=milestone.pk)
    events = list(long_term.events.order_by("version").values_list("version", "action", "actor", "changes"))
    assert [(v, a, actor) for v, a, actor, _c in events] == [
        (2, "updated", nanchang_officer.pk), (3, "updated", nanchang_officer.pk)
    ]
    added, met = events[0][3], events[1][3]
    assert added["milestone"][0] is None and added["milestone"][1]["target"] == "年度目标（合成）"
    assert added["deadline"] == [None, "2025-12-31"]
    assert met["milestone"][1]["met_on"] == "2026-03-15" and met["deadline"] == ["2025-12-31", None]


def test_a_change_that_changes_nothing_writes_nothing(long_term, supervisor):
    milestone = add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="目标（合成）")
    edit_milestone(case=long_term, actor=supervisor, milestone_id=milestone.pk, data={"target": "目标（合成）"})
    assert long_term.version == 2


def test_a_missed_target_makes_the_case_overdue_in_the_overdue_list_and_the_statistics(long_term, supervisor, nanchang_officer):
    assert not Case.objects.overdue(TODAY).filter(pk=long_term.pk).exists()
    before = case_statistics(user=supervisor, today=TODAY)[("feedback_problem", "360100")]["overdue"]
    add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="年度目标（合成）")
    assert list(Case.objects.for_user(nanchang_officer).overdue(TODAY).values_list("pk", flat=True)) == [long_term.pk]
    assert long_term.days_overdue_on(TODAY) == 74
    after = case_statistics(user=supervisor, today=TODAY)[("feedback_problem", "360100")]["overdue"]
    assert after == before + 1


def test_a_target_still_to_come_is_not_overdue(long_term, supervisor):
    add_milestone(case=long_term, actor=supervisor, due_on=NEXT, target="年度目标（合成）")
    assert not Case.objects.overdue(TODAY).exists()


def test_the_officers_digest_lists_a_case_with_a_missed_target(run_day, long_term, supervisor, nanchang_officer):
    add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="年度目标（合成）")
    run_day(TODAY)
    [message] = [m for m in mail.outbox if m.to == [nanchang_officer.email]]
    assert long_term.title in message.body
    assert "阶段性目标（2025-12-31）未完成：年度目标（合成），逾期 74 天" in message.body


@pytest.fixture
def run_day(celery_in_process):
    from reminders.services import run_reminders
    from reminders.tasks import batches, send_digests

    return lambda today: run_reminders(today=today, dispatch=lambda ids: [send_digests.delay(b) for b in batches(ids)])


@pytest.fixture
def celery_in_process():
    from tracker.celery import app

    saved = app.conf.CELERY_TASK_ALWAYS_EAGER, app.conf.CELERY_TASK_EAGER_PROPAGATES
    app.conf.CELERY_TASK_ALWAYS_EAGER, app.conf.CELERY_TASK_EAGER_PROPAGATES = True, True
    yield app
    app.conf.CELERY_TASK_ALWAYS_EAGER, app.conf.CELERY_TASK_EAGER_PROPAGATES = saved


# --- who may ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["supervisor", "nanchang_officer", "write_client", "province_client"])
def test_the_cases_holders_may_set_targets(request, long_term, who):
    add_milestone(case=long_term, actor=request.getfixturevalue(who), due_on=MISSED, target="目标（合成）")
    assert long_term.deadline == MISSED


def test_another_citys_officer_gets_not_found_and_nothing_changes(long_term, jiujiang_officer):
    with pytest.raises(CaseNotVisible):
        add_milestone(case=long_term, actor=jiujiang_officer, due_on=MISSED, target="目标（合成）")
    assert not Milestone.objects.exists() and Case.objects.get(pk=long_term.pk).version == 1


def test_a_county_officer_may_set_the_targets_of_their_county_only(nanchang):
    county_officer = UserFactory(username="donghu", role="officer", city=None, division_id="360102")
    own = CaseFactory(division_id="360102", city=None, status="in_progress", deadline_type="long_term", deadline=None)
    other = CaseFactory(division_id="360111", city=None, status="in_progress", deadline_type="long_term", deadline=None)
    add_milestone(case=own, actor=county_officer, due_on=MISSED, target="目标（合成）")
    with pytest.raises(CaseNotVisible):
        add_milestone(case=other, actor=county_officer, due_on=MISSED, target="目标（合成）")
    assert list(Milestone.objects.values_list("case", flat=True)) == [own.pk]


def test_a_read_only_client_and_an_officer_after_submission_may_not(long_term, readonly_client, nanchang_officer, supervisor):
    with pytest.raises(RoleNotAllowed):
        add_milestone(case=long_term, actor=readonly_client, due_on=MISSED, target="目标（合成）")
    Case.objects.filter(pk=long_term.pk).update(status="pending_acceptance")
    long_term.refresh_from_db()
    with pytest.raises(RoleNotAllowed):
        add_milestone(case=long_term, actor=nanchang_officer, due_on=MISSED, target="目标（合成）")
    add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="目标（合成）")
    assert Milestone.objects.count() == 1


def test_a_milestone_of_another_case_is_not_found(long_term, supervisor, nanchang):
    other = CaseFactory(city=nanchang, status="in_progress", deadline_type="long_term", deadline=None)
    theirs = add_milestone(case=other, actor=supervisor, due_on=MISSED, target="目标（合成）")
    with pytest.raises(MilestoneNotFound):
        mark_met(case=long_term, actor=supervisor, milestone_id=theirs.pk)


# --- bad input -------------------------------------------------------------


def test_only_long_term_cases_have_milestones(nanchang_case, supervisor):
    with pytest.raises(InvalidInput) as refused:
        add_milestone(case=nanchang_case, actor=supervisor, due_on=MISSED, target="目标（合成）")
    assert refused.value.field == "deadline_type"
    assert not Milestone.objects.exists()


@pytest.mark.parametrize(
    "values,field",
    [
        ({"due_on": "2025-02-30"}, "due_on"),
        ({"due_on": None}, "due_on"),
        ({"due_on": 2025}, "due_on"),
        ({"target": "  "}, "target"),
        ({"target": "a\x00b"}, "target"),
        ({"target": 5}, "target"),
        ({"met_on": "2026-03-16"}, "met_on"),
        ({"note": "x" * 10_001}, "note"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(long_term, supervisor, values, field):
    with pytest.raises(InvalidInput) as refused:
        add_milestone(case=long_term, actor=supervisor, **({"due_on": MISSED, "target": "目标（合成）"} | values))
    assert refused.value.field == field
    assert not Milestone.objects.exists() and Case.objects.get(pk=long_term.pk).version == 1


def test_a_lost_race_leaves_neither_the_milestone_nor_the_deadline(long_term, supervisor):
    stale = Case.objects.get(pk=long_term.pk)
    add_milestone(case=long_term, actor=supervisor, due_on=NEXT, target="先到（合成）")
    with pytest.raises(ConcurrentChange):
        add_milestone(case=stale, actor=supervisor, due_on=MISSED, target="后到（合成）")
    assert list(Milestone.objects.values_list("target", flat=True)) == ["先到（合成）"]
    assert Case.objects.get(pk=long_term.pk).deadline == NEXT


# --- the deadline follows the milestones -------------------------------------


def test_the_deadline_of_a_long_term_case_is_not_set_directly(long_term, supervisor):
    add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="目标（合成）")
    with pytest.raises(InvalidInput) as refused:
        update_case(case=long_term, actor=supervisor, data={"deadline": "2030-01-01"})
    assert refused.value.field == "deadline" and "阶段性目标" in str(refused.value.message)
    # Giving the date it has, or none of its own, changes nothing.
    update_case(case=long_term, actor=supervisor, data={"deadline": "2025-12-31", "progress": "推进中"})
    update_case(case=long_term, actor=supervisor, data={"deadline": None})
    assert Case.objects.get(pk=long_term.pk).deadline == MISSED


def test_a_case_with_milestones_stays_long_term(long_term, supervisor):
    add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="目标（合成）")
    with pytest.raises(InvalidInput) as refused:
        update_case(case=long_term, actor=supervisor, data={"deadline_type": "dated", "deadline": "2030-01-01"})
    assert refused.value.field == "deadline_type"
    assert Case.objects.get(pk=long_term.pk).deadline_type == "long_term"


def test_a_long_term_case_without_milestones_may_become_dated(long_term, supervisor):
    update_case(case=long_term, actor=supervisor, data={"deadline_type": "dated", "deadline": "2030-01-01"})
    assert (long_term.deadline_type, long_term.deadline) == ("dated", datetime.date(2030, 1, 1))


def test_a_bulk_upsert_or_re_import_keeps_the_deadline_the_milestones_set(long_term, supervisor):
    from cases.upsert import upsert_cases

    add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="目标（合成）")
    item = {"campaign": long_term.campaign.code, "reference": long_term.reference, "deadline_type": "long_term"}
    # A ledger says only 长期坚持: no deadline of its own, nothing to change.
    [kept] = upsert_cases(actor=supervisor, items=[item | {"deadline": None}])
    assert kept.outcome == "unchanged"
    [refused] = upsert_cases(actor=supervisor, items=[item | {"deadline": "2030-01-01"}])
    assert refused.outcome == "invalid" and list(refused.errors) == ["deadline"]
    [dated] = upsert_cases(actor=supervisor, items=[item | {"deadline_type": "dated", "deadline": "2030-01-01"}])
    assert dated.outcome == "invalid" and list(dated.errors) == ["deadline_type"]
    assert Case.objects.get(pk=long_term.pk).deadline == MISSED


# --- removal keeps the row -------------------------------------------------


def test_a_removed_target_keeps_its_row_and_counts_nowhere(long_term, supervisor, nanchang_officer):
    from cases.milestones import delete_milestone

    wrong = add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="错填（合成）")
    add_milestone(case=long_term, actor=supervisor, due_on=NEXT, target="二期（合成）")
    overdue_before = case_statistics(user=supervisor, today=TODAY)[("feedback_problem", "360100")]["overdue"]
    assert Case.objects.overdue(TODAY).filter(pk=long_term.pk).exists()

    delete_milestone(case=long_term, actor=nanchang_officer, milestone_id=wrong.pk, expected_version=3)

    row = Milestone.all_objects.get(pk=wrong.pk)
    assert (row.target, row.due_on, row.removed_by) == ("错填（合成）", MISSED, nanchang_officer)
    assert row.removed_at == shanghai(2026, 3, 15, 9, 0)
    # Every reader of the live targets leaves it out: the manager, the
    # case's related manager and its prefetch.
    assert not Milestone.objects.filter(pk=wrong.pk).exists()
    assert [m.target for m in Case.objects.get(pk=long_term.pk).milestones.all()] == ["二期（合成）"]
    [prefetched] = Case.objects.filter(pk=long_term.pk).prefetch_related("milestones")
    assert [m.target for m in prefetched.milestones.all()] == ["二期（合成）"]
    # The deadline, overdue and the statistics follow the targets left.
    assert Case.objects.get(pk=long_term.pk).deadline == NEXT
    assert not Case.objects.overdue(TODAY).filter(pk=long_term.pk).exists()
    after = case_statistics(user=supervisor, today=TODAY)[("feedback_problem", "360100")]["overdue"]
    assert after == overdue_before - 1
    # A removed target is unknown: it cannot be edited nor removed again.
    with pytest.raises(MilestoneNotFound):
        mark_met(case=long_term, actor=supervisor, milestone_id=wrong.pk)
    with pytest.raises(MilestoneNotFound):
        delete_milestone(case=long_term, actor=supervisor, milestone_id=wrong.pk)
    assert Milestone.all_objects.get(pk=wrong.pk).removed_by == nanchang_officer
    # The timeline still says what it was.
    event = long_term.events.get(version=4)
    assert event.changes["milestone"][0]["target"] == "错填（合成）" and event.changes["milestone"][1] is None


def test_a_stale_removal_removes_nothing(long_term, supervisor):
    from cases.milestones import delete_milestone

    milestone = add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="目标（合成）")
    stale = Case.objects.get(pk=long_term.pk)
    add_milestone(case=long_term, actor=supervisor, due_on=NEXT, target="二期（合成）")
    with pytest.raises(ConcurrentChange):
        delete_milestone(case=stale, actor=supervisor, milestone_id=milestone.pk)
    assert Milestone.all_objects.get(pk=milestone.pk).removed_at is None
    assert Case.objects.get(pk=long_term.pk).deadline == MISSED


def test_the_digest_names_the_missed_target_left_not_a_removed_one(run_day, long_term, supervisor, nanchang_officer):
    from cases.milestones import delete_milestone

    wrong = add_milestone(case=long_term, actor=supervisor, due_on=datetime.date(2025, 6, 30), target="错填（合成）")
    add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="年度目标（合成）")
    delete_milestone(case=long_term, actor=supervisor, milestone_id=wrong.pk)
    run_day(TODAY)
    [message] = [m for m in mail.outbox if m.to == [nanchang_officer.email]]
    assert "阶段性目标（2025-12-31）未完成：年度目标（合成），逾期 74 天" in message.body
    assert "错填" not in message.body and "2025-06-30" not in message.body


def test_a_case_whose_targets_were_all_removed_may_become_dated(long_term, supervisor):
    from cases.milestones import delete_milestone

    milestone = add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="目标（合成）")
    delete_milestone(case=long_term, actor=supervisor, milestone_id=milestone.pk)
    assert long_term.deadline is None
    update_case(case=long_term, actor=supervisor, data={"deadline_type": "dated", "deadline": "2030-01-01"})
    assert (long_term.deadline_type, long_term.deadline) == ("dated", datetime.date(2030, 1, 1))
    assert Milestone.all_objects.filter(case=long_term).count() == 1


def test_removed_by_is_only_set_on_a_removed_target(long_term, supervisor):
    from django.db import IntegrityError, transaction

    milestone = add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="目标（合成）")
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.filter(pk=milestone.pk).update(removed_by=supervisor)
